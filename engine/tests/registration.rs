//! pxengine joins a stock controller from every place stock launchers put the connection
//! info, is seen by a stock client, and leaves cleanly.

mod support;

use support::{Controller, LIMIT};

fn registered_uuid(stderr: &str) -> Option<String> {
    let line = stderr
        .lines()
        .find(|l| l.contains("Completed registration with id"))?;
    let start = line.rfind('(')? + 1;
    Some(line[start..line.rfind(')')?].to_owned())
}

/// The stock hub logged the engine's own unregistration request.
fn assert_unregistered(controller: &Controller, uuid: &str) {
    assert!(
        controller.log().contains(&format!(
            "client::client b'{uuid}' requested 'unregistration_request'"
        )),
        "{}",
        controller.log()
    );
}

#[test]
fn registers_from_a_profile_and_cluster_id_and_unregisters_on_sigterm() {
    let controller = Controller::start();
    let mut engine = controller.engine(&[]);
    let at_exit = controller.profile_dir().join("at-exit");
    let report = controller.drive(
        "engines.py",
        &["1", &engine.pid().to_string(), at_exit.to_str().unwrap()],
    );
    assert_eq!(report["ids"], serde_json::json!([0]));
    assert_eq!(report["gone"], serde_json::json!([0]));
    assert_ne!(
        report["pids"][0],
        engine.pid(),
        "code runs in the engine's Python"
    );
    let status = engine.wait(LIMIT).expect("the engine exits after SIGTERM");
    assert!(status.success(), "{status}");
    let said = std::fs::read_to_string(&at_exit).unwrap_or_default();
    assert_eq!(
        said, "bye",
        "the Python exited normally, running its atexit handlers"
    );
    // The hub heard it from the engine, not from missed heartbeats.
    let uuid = registered_uuid(&engine.stderr()).expect("the engine logs its uuid");
    assert_eq!(report["uuids"]["0"], uuid.as_str());
    assert_unregistered(&controller, &uuid);
}

#[test]
fn registers_from_a_connection_file_and_from_ipp_connection_info() {
    let controller = Controller::start();
    let file = controller.engine_file();
    let by_file = controller.engine(&[&format!("--file={}", file.display())]);
    let json = std::fs::read_to_string(&file).unwrap();
    let by_env = controller.engine_with(&[], &[("IPP_CONNECTION_INFO", &json)]);
    let report = controller.drive("engines.py", &["2"]);
    assert_eq!(report["ids"], serde_json::json!([0, 1]));
    let mut uuids: Vec<String> = [&by_file, &by_env]
        .iter()
        .map(|e| registered_uuid(&e.stderr()).expect("registered"))
        .collect();
    uuids.sort();
    let mut seen: Vec<String> = ["0", "1"]
        .iter()
        .map(|id| report["uuids"][id].as_str().unwrap().to_owned())
        .collect();
    seen.sort();
    assert_eq!(
        uuids, seen,
        "the client knows each engine by the uuid it registered"
    );
}

#[test]
fn stock_launcher_arguments_are_accepted_and_unknown_ones_logged() {
    let controller = Controller::start();
    let engine = controller.engine(&[
        "--timeout=5",
        "--Session.debug=True",
        "--IPEngine.enable_nanny=False",
        "--mpi",
        "--work-dir=/tmp",
        "-c",
        "kept = 42",
    ]);
    let report = controller.drive("namespace.py", &["check"]);
    assert_eq!(report["ids"], serde_json::json!([0]));
    assert_eq!(report["kept"], 42, "the startup command ran");
    let log = engine.stderr();
    assert!(log.contains("ignoring --Session.debug=True"), "{log}");
    assert!(log.contains("ignoring --mpi"), "{log}");
}

#[test]
fn an_unreachable_controller_is_one_clear_error() {
    let mut controller = Controller::start();
    let file = controller.engine_file();
    let copy = file.with_file_name("stale-engine.json");
    std::fs::copy(&file, &copy).unwrap();
    controller.stop();
    let mut engine = controller.engine(&[&format!("--file={}", copy.display()), "--timeout=1"]);
    let status = engine.wait(LIMIT).expect("the engine gives up");
    assert_eq!(status.code(), Some(1));
    let stderr = engine.stderr();
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("pxengine: no registration reply from the controller at tcp://127.0.0.1:"),
        "{stderr}"
    );
    assert!(last.ends_with("within 1s"), "{last}");
}

#[test]
fn a_python_that_cannot_start_is_one_clear_error_after_leaving_the_controller() {
    let controller = Controller::start();
    let mut engine = controller.engine(&["--python=/nonexistent/python3"]);
    let status = engine.wait(LIMIT).expect("the engine gives up");
    assert_eq!(status.code(), Some(1));
    let stderr = engine.stderr();
    let last = stderr.lines().last().unwrap_or_default();
    assert_eq!(
        last, "pxengine: cannot run /nonexistent/python3: No such file or directory (os error 2)",
        "{stderr}"
    );
    let uuid = registered_uuid(&stderr).expect("it had registered");
    assert_unregistered(&controller, &uuid);
}

#[test]
fn sigterm_while_waiting_for_the_connection_file_stops_at_once() {
    let controller = Controller::start();
    let missing = controller.profile_dir().join("not-yet.json");
    let mut engine = controller.engine(&[
        &format!("--file={}", missing.display()),
        "--wait-for-file=600",
    ]);
    let deadline = std::time::Instant::now() + LIMIT;
    while !engine.stderr().contains("waiting up to") {
        assert!(std::time::Instant::now() < deadline, "{}", engine.stderr());
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    engine.signal(libc::SIGTERM);
    let status = engine.wait(LIMIT).expect("the engine stops");
    assert!(status.success(), "{status}: {}", engine.stderr());
}
