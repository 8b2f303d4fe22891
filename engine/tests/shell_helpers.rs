//! complete, inspect, is_complete, history and comm_info requests are answered as a stock
//! engine answers them; the same driver is run against a stock engine first, so the
//! expectations below are stock's.

mod support;

use serde_json::{json, Value};
use support::Controller;

fn matches(reply: &Value) -> Vec<&str> {
    reply["matches"]
        .as_array()
        .unwrap_or_else(|| panic!("no matches in {reply}"))
        .iter()
        .filter_map(Value::as_str)
        .collect()
}

fn check(who: &str, r: &Value) {
    let variable = &r["variable"];
    assert_eq!(variable["type"], "complete_reply", "{who}: {variable}");
    assert_eq!(variable["status"], "ok", "{who}: {variable}");
    assert!(
        matches(variable).contains(&"my_long_variable"),
        "{who}: {variable}"
    );
    assert_eq!(variable["cursor_start"], 0, "{who}: {variable}");
    assert_eq!(variable["cursor_end"], 5, "{who}: {variable}");
    assert!(
        matches(&r["module"]).contains(&"os"),
        "{who}: {}",
        r["module"]
    );
    assert_eq!(r["module"]["cursor_start"], 7, "{who}: {}", r["module"]);
    let middle = &r["middle"];
    assert!(
        matches(middle).contains(&"my_long_variable"),
        "{who}: {middle}"
    );
    assert_eq!(middle["cursor_end"], 5, "{who}: {middle}");

    let found = &r["inspect_found"];
    assert_eq!(found["type"], "inspect_reply", "{who}: {found}");
    assert_eq!(found["status"], "ok", "{who}: {found}");
    assert_eq!(found["found"], true, "{who}: {found}");
    assert!(
        found["text"]
            .as_str()
            .unwrap()
            .contains("Return the number of items"),
        "{who}: {found}"
    );
    let missing = &r["inspect_missing"];
    assert_eq!(missing["status"], "ok", "{who}: {missing}");
    assert_eq!(missing["found"], false, "{who}: {missing}");

    for (case, status) in [
        ("complete_code", "complete"),
        ("incomplete_code", "incomplete"),
        ("invalid_code", "invalid"),
    ] {
        assert_eq!(
            r[case]["type"], "is_complete_reply",
            "{who} {case}: {}",
            r[case]
        );
        assert_eq!(r[case]["status"], status, "{who} {case}: {}", r[case]);
    }
    assert_eq!(r["incomplete_code"]["indent"], "    ", "{who}");
    assert_eq!(
        r["comm_info"],
        json!(["comm_info_reply", {"status": "ok", "comms": {}}]),
        "{who}"
    );
    assert_eq!(r["after"], 42, "{who}");
    let history = |case: &str| r[case][1]["history"].clone();
    assert_eq!(
        history("history_tail"),
        json!([[1, 2, "1 / 0"], [1, 3, "b = 2"]]),
        "{who}: {}",
        r["history_tail"]
    );
    assert_eq!(
        history("history_output"),
        json!([[1, 3, ["b = 2", null]]]),
        "{who}"
    );
    assert_eq!(
        history("history_range"),
        json!([[0, 1, "a = 1"], [0, 2, "1 / 0"]]),
        "{who}"
    );
    assert_eq!(history("history_search"), json!([[1, 3, "b = 2"]]), "{who}");
}

#[test]
fn shell_helper_requests_are_answered_as_a_stock_engine_answers_them() {
    let stock = {
        let controller = Controller::start();
        let _engine = controller.stock_engine();
        controller.drive("shell_helpers.py", &[])
    };
    check("stock ipengine", &stock);

    let controller = Controller::start();
    let _engine = controller.engine(&[]);
    let ours = controller.drive("shell_helpers.py", &[]);
    check("pxengine", &ours);
    // The same Python answers both: every field matches stock's, matches and help text too.
    assert_eq!(ours, stock);
}
