//! The engine's Python crashing does not kill the engine: the request fails naming what
//! happened, the Python is restarted, and the engine stays registered under the same id.

mod support;

use serde_json::json;
use support::Controller;

#[test]
fn crashes_in_px_cells_fail_that_request_and_the_engine_carries_on() {
    let controller = Controller::start();
    let engine = controller.engine(&[]);
    let r = controller.drive("crash.py", &[]);
    for (name, how) in [
        ("os_exit", "exit code 1"),
        ("sigkill", "signal 9 (SIGKILL)"),
        ("segfault", "signal 11 (SIGSEGV)"),
    ] {
        let c = &r["crashes"][name];
        assert_eq!(c["error"], "WorkerDied", "{name}: {c}");
        let evalue = c["evalue"].as_str().unwrap();
        assert!(evalue.contains(how), "{name}: {evalue}");
        assert!(evalue.contains("variables are lost"), "{name}: {evalue}");
        assert_eq!(c["engine_id"], 0);
        assert_eq!(c["after"], "(False, 42)", "{name}: a working, fresh engine");
        assert_eq!(c["ids"], json!([0]), "{name}");
        assert_eq!(c["uuid_same"], true, "{name}");
    }
    assert_eq!(r["apply_error"][0], "WorkerDied");
    assert!(r["apply_error"][1]
        .as_str()
        .unwrap()
        .contains("exit code 3"));
    assert_eq!(r["apply_error"][2], "apply");
    assert_eq!(r["apply_after"], json!(["ok"]));
    // One line on the engine's stderr per crash says the namespace was lost.
    let log = engine.stderr();
    let lines: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("variables are lost"))
        .collect();
    assert_eq!(lines.len(), 4, "{log}");
    assert!(lines[1].contains("signal 9 (SIGKILL)"), "{}", lines[1]);
}
