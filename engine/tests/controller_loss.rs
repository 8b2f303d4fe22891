//! A controller that goes away is noticed within a few heartbeats: the engine registers
//! again when it comes back, keeping its namespace, or exits with one clear line.

mod support;

use serde_json::json;
use support::{Controller, LIMIT};

#[test]
fn a_lost_controller_ends_the_engine_with_one_line_when_told_not_to_wait() {
    let mut controller = Controller::start();
    let mut engine = controller.engine(&["--reconnect-timeout=0"]);
    assert_eq!(controller.drive("engines.py", &["1"])["ids"], json!([0]));
    controller.stop();
    let status = engine.wait(LIMIT).expect("the engine notices and exits");
    assert_eq!(status.code(), Some(1));
    let stderr = engine.stderr();
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("pxengine: lost the controller (no heartbeat for"),
        "{stderr}"
    );
}

#[test]
fn the_engine_registers_again_when_its_controller_comes_back_and_keeps_its_namespace() {
    // --reuse keeps the connection files (ports and key) across the restart.
    let mut controller = Controller::start_with(&["--reuse"]);
    let engine = controller.engine(&[]);
    let before = controller.drive("namespace.py", &["set"]);
    assert_eq!(before["kept"], 42);
    controller.stop();
    controller.restart_reusing_files();
    let after = controller.drive("namespace.py", &["check"]);
    assert_eq!(after["ids"], json!([0]), "the same id");
    assert_eq!(after["uuid"], before["uuid"], "the same uuid");
    assert_eq!(after["kept"], 42, "the namespace survived");
    let log = engine.stderr();
    assert_eq!(
        log.matches("Completed registration with id 0").count(),
        2,
        "{log}"
    );
    assert!(log.contains("no heartbeat from the controller"), "{log}");
}
