//! Malformed queries get an error value, never a panic.

use serde_json::json;

use super::*;
use crate::db::QueryError;

fn names(err: QueryError) -> (String, String) {
    (err.ename, err.evalue)
}

fn pair(ename: &str, evalue: &str) -> (String, String) {
    (ename.to_owned(), evalue.to_owned())
}

fn db_err(s: &ResultStore, content: Value) -> (String, String) {
    names(s.db_reply(&content).expect_err("should be refused"))
}

#[test]
fn content_that_is_not_an_object_is_a_type_error() {
    let mut s = store_with(2, 1);
    for content in [json!(null), json!([]), json!("x"), json!(3)] {
        let e = engines();
        let errors = [
            s.queue_reply(&content, e.as_slice()).map(|_| ()),
            s.result_reply(&content).map(|_| ()),
            s.db_reply(&content).map(|_| ()),
            s.resubmit_sources(&content).map(|_| ()),
            s.purge(&content, e.as_slice()).map(|_| ()),
        ];
        for err in errors {
            assert_eq!(
                err.map_err(|e| e.ename),
                Err("TypeError".to_owned()),
                "{content}"
            );
        }
    }
    assert_eq!(s.len(), 2);
}

#[test]
fn missing_required_fields_are_key_errors() {
    let s = store();
    let e = engines();
    assert_eq!(
        names(s.queue_reply(&json!({}), e.as_slice()).unwrap_err()),
        pair("KeyError", "'targets'")
    );
    assert_eq!(
        names(s.result_reply(&json!({})).unwrap_err()),
        pair("KeyError", "'msg_ids'")
    );
    assert_eq!(
        names(s.resubmit_sources(&json!({})).unwrap_err()),
        pair("KeyError", "'msg_ids'")
    );
}

#[test]
fn msg_id_lists_of_the_wrong_type_are_type_errors() {
    let mut s = store_with(1, 1);
    for bad in [
        json!("m0"),
        json!([1]),
        json!([["m0"]]),
        json!({"m0": 1}),
        json!(null),
    ] {
        let ask = json!({"msg_ids": bad});
        assert_eq!(
            s.result_reply(&ask).unwrap_err().ename,
            "TypeError",
            "{bad}"
        );
        assert_eq!(
            s.resubmit_sources(&ask).unwrap_err().ename,
            "TypeError",
            "{bad}"
        );
        if !bad.is_null() && bad != json!("m0") {
            let e = engines();
            assert_eq!(
                s.purge(&ask, e.as_slice()).unwrap_err().ename,
                "TypeError",
                "{bad}"
            );
        }
    }
    let e = engines();
    // A string other than "all" is not a list either.
    assert_eq!(
        s.purge(&json!({"msg_ids": "m0"}), e.as_slice())
            .unwrap_err()
            .ename,
        "TypeError"
    );
    assert_eq!(
        s.purge(&json!({"engine_ids": "0"}), e.as_slice())
            .unwrap_err()
            .ename,
        "TypeError"
    );
    assert!(s.contains("m0"));
}

#[test]
fn targets_of_the_wrong_type_are_type_errors() {
    let s = store();
    let e = engines();
    for bad in [json!({"0": 1}), json!(true)] {
        let err = s
            .queue_reply(&json!({"targets": bad}), e.as_slice())
            .unwrap_err();
        assert_eq!(err.ename, "TypeError", "{bad}");
    }
}

#[test]
fn bad_queries_are_refused_with_stock_like_errors() {
    let s = store_with(2, 1);
    assert_eq!(db_err(&s, json!({"query": [1]})).0, "TypeError");
    assert_eq!(db_err(&s, json!({"query": "msg_id"})).0, "TypeError");
    assert_eq!(
        db_err(&s, json!({"query": {"label": {"$foo": 1}}})),
        pair("KeyError", "'$foo'")
    );
    assert_eq!(
        db_err(&s, json!({"query": {"label": {"$gt": 1, "x": 2}}})).0,
        "ValueError"
    );
    for op in ["$in", "$nin", "$all"] {
        assert_eq!(
            db_err(&s, json!({"query": {"label": {op: 1}}})).0,
            "TypeError",
            "{op}"
        );
    }
    for arg in [
        json!(3),
        json!([3]),
        json!([3, "x"]),
        json!(["a", 1]),
        json!([1, 2, 3]),
    ] {
        let got = db_err(&s, json!({"query": {"label": {"$mod": arg}}})).0;
        let want = if arg.is_array() {
            "ValueError"
        } else {
            "TypeError"
        };
        assert_eq!(got, want, "{arg}");
    }
    assert_eq!(
        db_err(&s, json!({"query": {"label": {"$mod": [0, 1]}}})).0,
        "ZeroDivisionError"
    );
    assert_eq!(
        db_err(&s, json!({"query": {"label": {"$glob": 5}}})).0,
        "TypeError"
    );
    assert_eq!(
        db_err(&s, json!({"query": {"buffers": {"$exists": true}}})).0,
        "ValueError"
    );
}

#[test]
fn bad_keys_are_refused() {
    let s = store_with(1, 1);
    assert_eq!(db_err(&s, json!({"keys": "msg_id"})).0, "TypeError");
    assert_eq!(db_err(&s, json!({"keys": [1]})).0, "TypeError");
    assert_eq!(
        db_err(&s, json!({"keys": ["msg_id", "bogus"]})),
        pair("KeyError", "'bogus'")
    );
}

/// Odd values in every field of every query: whatever comes back, nothing panics and the
/// store keeps its records.
#[test]
fn odd_values_in_any_field_never_panic() {
    let odd = [
        json!(null),
        json!(true),
        json!(-1),
        json!(1e300),
        json!(u64::MAX),
        json!(""),
        json!("all"),
        json!([]),
        json!([null, -1, 1.5, "", [], {}]),
        json!({}),
        json!({"$gt": null, "$lt": []}),
        json!({"$glob": "[[[!*"}),
        json!({"$mod": [1e-300, 0]}),
    ];
    let mut s = store_with(4, 2);
    let e = engines();
    for value in &odd {
        for field in [
            "targets",
            "verbose",
            "msg_ids",
            "status_only",
            "query",
            "keys",
            "engine_ids",
        ] {
            let content = json!({ field: value });
            let _ = s.queue_reply(&content, e.as_slice());
            let _ = s.result_reply(&content);
            let _ = s.db_reply(&content);
            let _ = s.db_reply(&json!({"query": {"label": value, "submitted": value}}));
            let _ = s.resubmit_sources(&content);
        }
        // purge may legitimately drop completed records; pending ones must stay.
        let _ = s.purge(
            &json!({"msg_ids": value, "engine_ids": value}),
            e.as_slice(),
        );
    }
    assert!(s.is_pending("m2") && s.is_pending("m3"));
}
