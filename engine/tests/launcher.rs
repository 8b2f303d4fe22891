//! pxengine swapped in for stock's engine command in a stock `ipp.Cluster`.

mod support;

use serde_json::json;
use support::{python, Controller};

#[test]
fn a_stock_cluster_launches_interrupts_and_stops_pxengines() {
    // The fixture's controller is not used: the cluster starts its own, in the same
    // IPYTHONDIR, so the fixture still cleans up whatever is left.
    let sandbox = Controller::start();
    let profile = sandbox.ipython_dir().join("profile_launched");
    let r = sandbox.drive_with(
        "cluster.py",
        &[
            env!("CARGO_BIN_EXE_pxengine"),
            python().to_str().unwrap(),
            profile.to_str().unwrap(),
        ],
    );
    assert_eq!(r["ids"], json!([0, 1]));
    assert_eq!(r["squares"], json!([0, 1, 4, 9]));
    assert_eq!(r["interrupted"], json!(["KeyboardInterrupt"]));
    assert_eq!(r["after_interrupt"], json!(["alive", "alive"]));
    assert_eq!(r["ids_after_stop"], json!([]));
}
