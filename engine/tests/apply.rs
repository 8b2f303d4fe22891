//! apply_request from a stock client through pxengine: everything a DirectView,
//! LoadBalancedView and BroadcastView send, packed and unpacked by stock
//! `ipyparallel.serialize` in the engine's Python.

mod support;

use serde_json::json;
use support::{python, Controller};

#[test]
fn stock_views_apply_push_pull_scatter_gather_and_map() {
    let controller = Controller::start();
    let _engines = [controller.engine(&[]), controller.engine(&[])];
    let r = controller.drive("apply.py", &["all"]);
    assert_eq!(r["apply"], json!([6, 6]));
    assert_eq!(r["pull"], json!([[10, [1, 2]], [10, [1, 2]]]));
    assert_eq!(r["scattered"], json!([[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]));
    assert_eq!(r["gathered"], json!([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
    assert_eq!(r["map"], json!([1, 2, 3, 4, 5, 6]));
    assert_eq!(r["lb_apply"], 42);
    assert_eq!(r["lb_map"], json!([0, 1, 4, 9, 16]));
    assert_eq!(r["interactive"], json!([11, 11]));
    let sum = 2 * (0..1_000_000i64).sum::<i64>();
    assert_eq!(r["numpy"], json!([sum, sum]));
    assert_eq!(r["numpy_dtype"], json!(["int64", "int64"]));
    assert_eq!(r["numpy_pull"], json!([999_999, 999_999]));
    assert_eq!(r["numpy_writeable"], json!([false, false]));
    assert_eq!(r["printed"], json!([7, "from apply\n"]));
    assert_eq!(
        r["apply_iopub"],
        json!([["status", "busy"], ["stream", "stdout"], ["status", "idle"]])
    );
    assert_eq!(r["error"][0], "ZeroDivisionError");
    assert_eq!(r["error"][1], "division by zero");
    assert_eq!(r["error"][2]["method"], "apply");
    assert_eq!(r["error"][2]["engine_id"], 0);
    assert_eq!(
        r["error"][3],
        "[0:apply] ZeroDivisionError: division by zero"
    );
    assert_eq!(r["broadcast_coalescing_false"], json!([true, true]));
    assert_eq!(r["broadcast_coalescing_true"], json!([true, true]));
    assert_eq!(r["broadcast_execute"], json!([5, 5]));
    assert_eq!(r["impossible"], "ImpossibleDependency");
}

#[test]
fn without_ipyparallel_in_the_engines_python_apply_says_what_to_install() {
    let controller = Controller::start();
    // `-S` hides site-packages, where ipyparallel is. The wrapper is written by another
    // process: a write descriptor open here while another test forks would make running
    // it fail with "Text file busy".
    let dir = tempfile::tempdir().unwrap();
    let wrapper = dir.path().join("python-without-site");
    let script = format!("#!/bin/sh\nexec '{}' -S \"$@\"\n", python().display());
    let written = std::process::Command::new("sh")
        .args([
            "-c",
            "printf '%s' \"$1\" > \"$2\" && chmod 755 \"$2\"",
            "sh",
        ])
        .arg(&script)
        .arg(&wrapper)
        .status()
        .unwrap();
    assert!(written.success());
    let _engine = controller.engine(&[&format!("--python={}", wrapper.display())]);
    let r = controller.drive("apply.py", &["missing-ipyparallel"]);
    assert_eq!(r["error"][0], "ModuleNotFoundError");
    let evalue = r["error"][1].as_str().unwrap();
    assert!(evalue.contains("-m pip install ipyparallel"), "{evalue}");
    assert_eq!(r["error"][2], "apply");
    assert_eq!(r["executed"], 1, "code still runs");
}
