//! execute_request from a stock client through pxengine: replies, streamed output, rich
//! output, errors, and the IOPub messages around them as a stock engine publishes them.

mod support;

use serde_json::json;
use support::Controller;

#[test]
fn execute_requests_reply_and_publish_as_a_stock_engine_does() {
    let controller = Controller::start();
    let _engine = controller.engine(&[]);
    let gate = controller.profile_dir().join("gate");
    let r = controller.drive("execute.py", &[gate.to_str().unwrap()]);
    let uuid = r["engine_uuid"].as_str().unwrap();

    // Silent: no count; %px-style: counted, stdout and Out[1].
    assert_eq!(r["quiet_count"], 0);
    assert_eq!(r["px_stdout"], "hi\n");
    assert_eq!(r["px_result"], json!({"text/plain": "10"}));
    assert_eq!(r["px_count"], 1);
    assert_eq!(r["px_reply_count"], 1);
    assert_eq!(
        r["px_input"],
        json!([{"code": "print('hi')\na * 2", "execution_count": 1}])
    );
    // busy, the code, its output, idle: topics and metadata as stock engines send them.
    assert_eq!(
        r["px_iopub"],
        json!([
            ["engine.0.status", "status", uuid],
            ["engine.0.execute_input", "execute_input", uuid],
            ["engine.0.stdout", "stream", null],
            ["engine.0.execute_result", "execute_result", null],
            ["engine.0.status", "status", uuid],
        ])
    );

    assert_eq!(r["streamed_before_end"], true);
    assert_eq!(r["running_stdout"], "first\nsecond\n");
    assert_eq!(
        r["outputs"],
        json!([{"text/html": "<b>x</b>", "text/plain": "<IPython.core.display.HTML object>"}])
    );

    assert_eq!(r["published"], json!({"i": 4, "items": [1, 2]}));

    assert_eq!(r["error_ename"], "ZeroDivisionError");
    assert_eq!(r["error_evalue"], "division by zero");
    assert_eq!(
        r["error_engine_info"],
        json!({"engine_uuid": uuid, "engine_id": 0, "method": "execute"})
    );
    assert_eq!(
        r["error_str"],
        "[0:execute] ZeroDivisionError: division by zero"
    );
    assert_eq!(r["error_status"], "error");
    assert_eq!(
        r["error_iopub"],
        json!([
            ["status", null],
            ["execute_input", null],
            ["error", "ZeroDivisionError"],
            ["status", null]
        ])
    );
    // Two prints 50 ms apart are one message; the print after a longer pause is another.
    assert_eq!(r["gathered_streams"], json!(["a\nb\n", "c\n"]));
}
