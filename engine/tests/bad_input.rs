//! Bad input reaching an engine: unknown request types, an apply payload that is not a
//! pickle, a result that cannot be pickled, and a 100 MB output flood each get a clear
//! answer, memory stays bounded, and the engine keeps serving.

mod support;

use support::Controller;

#[test]
fn bad_requests_get_clear_errors_and_the_engine_keeps_serving() {
    // No task database: the stock hub appends each stream chunk to the record it keeps,
    // which makes a 100 MB flood quadratic in the controller, not in the engine.
    let controller = Controller::start_with(&["--nodb"]);
    let engine = controller.engine(&[]);
    let pid = engine.pid().to_string();
    let r = controller.drive("bad_input.py", &[&pid]);

    for socket in ["unknown_shell", "unknown_control"] {
        let u = &r[socket];
        assert_eq!(u["type"], "frobnicate_reply", "{socket}: {u}");
        assert_eq!(u["status"], "error", "{socket}: {u}");
        assert_eq!(u["ename"], "UnknownMessageType", "{socket}: {u}");
        assert!(
            u["evalue"].as_str().unwrap().contains("frobnicate_request"),
            "{socket}: {u}"
        );
    }
    for bad in ["bad_apply", "no_buffers_apply"] {
        let b = &r[bad];
        assert_eq!(b["type"], "apply_reply", "{bad}: {b}");
        assert_eq!(b["status"], "error", "{bad}: {b}");
        assert!(!b["evalue"].as_str().unwrap_or("").is_empty(), "{bad}: {b}");
    }
    let u = &r["unpicklable"];
    assert!(
        u["evalue"].as_str().unwrap().contains("pickle"),
        "unpicklable: {u}"
    );
    let f = &r["flood"];
    println!("flood: {f}");
    assert_eq!(f["status"], "ok", "{f}");
    assert_eq!(f["idle"], true, "{f}");
    assert_eq!(f["bytes"], 100_000_000, "all the output arrives: {f}");
    let growth = f["peak_mib"].as_u64().unwrap() - f["baseline_mib"].as_u64().unwrap();
    // The output budget is 8 MiB; the rest is the worker's event queue and sockets.
    assert!(growth < 64, "the engine held the flood: {f}");
    for after in [
        "after_unknown",
        "after_bad_apply",
        "after_unpicklable",
        "after_flood",
    ] {
        assert_eq!(r[after], true, "{after}");
    }
    drop(engine);
}
