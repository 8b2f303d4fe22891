//! Control requests (abort, clear, signal, shutdown) answered while the engine's Python is
//! busy, and signals sent to the engine process.

mod support;

use serde_json::json;
use support::{Controller, LIMIT};

#[test]
fn control_requests_are_answered_while_the_python_is_busy() {
    let controller = Controller::start();
    let engine = controller.engine(&[]);
    let gates = tempfile::tempdir().unwrap();
    let r = controller.drive(
        "control.py",
        &[
            "busy",
            &engine.pid().to_string(),
            gates.path().to_str().unwrap(),
        ],
    );
    let uuid = r["uuid"].as_str().unwrap();
    assert_eq!(r["abort_while_busy"], true);
    assert_eq!(r["clear_while_busy"], true);
    assert_eq!(r["aborted"], "TaskAborted");
    assert_eq!(r["kept_after_clear"], false, "clear emptied the namespace");
    assert_eq!(r["interrupted"], "KeyboardInterrupt");
    assert_eq!(r["process_interrupted"], "KeyboardInterrupt");
    assert_eq!(
        r["interrupt_reply"],
        json!(["interrupt_reply", {"status": "ok"}])
    );
    assert_eq!(r["message_interrupted"], "KeyboardInterrupt");
    assert_eq!(r["usr1"], "KeyboardInterrupt");
    assert_eq!(
        r["signal_reply"],
        json!(["signal_reply", {"status": "ok"}, {"engine": uuid}])
    );
    assert_eq!(r["bad_signal"][0], "signal_reply");
    assert_eq!(r["bad_signal"][1]["status"], "error");
    assert_eq!(r["bad_signal"][1]["ename"], "ValueError");
    assert_eq!(r["clear_metadata"], json!({"engine": uuid}));
    assert_eq!(
        r["clear_iopub"],
        json!([["engine.0.status", "busy"], ["engine.0.status", "idle"]])
    );
    assert_eq!(
        r["ids_after"],
        json!([0]),
        "still registered after all that"
    );
}

#[test]
fn shutdown_request_unregisters_and_stops_the_engine() {
    let controller = Controller::start();
    let mut engine = controller.engine(&[]);
    let r = controller.drive("control.py", &["shutdown"]);
    assert_eq!(r["ids_after"], json!([]));
    let status = engine.wait(LIMIT).expect("the engine exits");
    assert!(status.success(), "{status}");
    assert!(
        engine.stderr().contains("engine stopped (Shutdown)"),
        "{}",
        engine.stderr()
    );
}
