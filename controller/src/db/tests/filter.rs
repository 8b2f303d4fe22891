//! The db_request query operators, each on its own.

use serde_json::json;

use super::*;

/// Tasks n1, n5, n10 labelled 1, 5, 10; s labelled "spam-eggs"; l labelled ["a", "b"];
/// z with no label. Submitted at t(i) in that order; n1 and n5 completed.
fn labelled() -> ResultStore {
    let mut s = store();
    let labels = [
        ("n1", json!(1)),
        ("n5", json!(5)),
        ("n10", json!(10.0)),
        ("s", json!("spam-eggs")),
        ("l", json!(["a", "b"])),
        ("z", Value::Null),
    ];
    for (i, (id, label)) in labels.into_iter().enumerate() {
        let mut req = request(id, i as i64, &[]);
        req.metadata.insert("label".to_owned(), label);
        s.submitted(Queue::Task, &req, None, t(0));
    }
    for (i, id) in ["n1", "n5"].into_iter().enumerate() {
        let req = request(id, i as i64, &[]);
        s.completed(
            &reply(&req, &uuid(0), "ok", 20 + i as i64, &[]),
            None,
            t(30),
        );
    }
    s
}

fn ids(s: &ResultStore, query: Value) -> Vec<String> {
    let (content, _) = s
        .db_reply(&json!({"query": query, "keys": ["msg_id"]}))
        .unwrap_or_else(|e| panic!("query {query} failed: {e}"));
    content["records"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|r| r["msg_id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn a_plain_value_means_equality() {
    let s = labelled();
    assert_eq!(ids(&s, json!({"label": 5})), ["n5"]);
    assert_eq!(ids(&s, json!({"label": 10})), ["n10"], "10 equals 10.0");
    assert_eq!(ids(&s, json!({"label": null})), ["z"]);
    assert_eq!(ids(&s, json!({"label": ["a", "b"]})), ["l"]);
    assert_eq!(ids(&s, json!({"label": 5, "queue": "task"})), ["n5"]);
    assert_eq!(
        ids(&s, json!({"label": 5, "queue": "mux"})),
        Vec::<String>::new()
    );
}

#[test]
fn eq_and_ne() {
    let s = labelled();
    assert_eq!(ids(&s, json!({"label": {"$eq": 1}})), ["n1"]);
    assert_eq!(
        ids(&s, json!({"label": {"$ne": 1}})),
        ["n5", "n10", "s", "l", "z"]
    );
    assert_eq!(ids(&s, json!({"completed": {"$ne": null}})), ["n1", "n5"]);
}

#[test]
fn gt_means_greater_than_unlike_stock() {
    let s = labelled();
    assert_eq!(ids(&s, json!({"label": {"$gt": 4}})), ["n5", "n10"]);
    assert_eq!(ids(&s, json!({"label": {"$gt": 5}})), ["n10"]);
}

#[test]
fn lt_lte_gte_and_ranges() {
    let s = labelled();
    assert_eq!(ids(&s, json!({"label": {"$lt": 5}})), ["n1"]);
    assert_eq!(ids(&s, json!({"label": {"$lte": 5}})), ["n1", "n5"]);
    assert_eq!(ids(&s, json!({"label": {"$gte": 5}})), ["n5", "n10"]);
    assert_eq!(ids(&s, json!({"label": {"$gt": 1, "$lt": 10}})), ["n5"]);
    // Strings order among themselves; values of other types simply do not match.
    assert_eq!(ids(&s, json!({"label": {"$gt": "a"}})), ["s"]);
}

#[test]
fn dates_compare_as_instants() {
    let s = labelled();
    assert_eq!(
        ids(&s, json!({"submitted": {"$lt": format_iso(t(2))}})),
        ["n1", "n5"]
    );
    assert_eq!(
        ids(&s, json!({"submitted": {"$gte": format_iso(t(4))}})),
        ["l", "z"]
    );
    // The same instant written with an offset instead of Z.
    let with_offset = "2026-01-02T05:04:06.000001+02:00";
    assert_eq!(ids(&s, json!({"submitted": with_offset})), ["n5"]);
    // Pending records have no completion date: they do not match, they do not fail.
    assert_eq!(
        ids(&s, json!({"completed": {"$gt": format_iso(t(20))}})),
        ["n5"]
    );
}

#[test]
fn in_and_nin() {
    let s = labelled();
    assert_eq!(
        ids(&s, json!({"msg_id": {"$in": ["n1", "s", "ghost"]}})),
        ["n1", "s"]
    );
    assert_eq!(ids(&s, json!({"label": {"$in": [5, null]}})), ["n5", "z"]);
    assert_eq!(
        ids(&s, json!({"label": {"$nin": [1, 5, 10]}})),
        ["s", "l", "z"]
    );
}

#[test]
fn all_means_the_list_holds_every_value() {
    let s = labelled();
    assert_eq!(ids(&s, json!({"label": {"$all": ["b", "a"]}})), ["l"]);
    assert_eq!(
        ids(&s, json!({"label": {"$all": ["a", "c"]}})),
        Vec::<String>::new()
    );
    assert_eq!(
        ids(&s, json!({"label": {"$all": [5]}})),
        ["n5"],
        "a scalar holds itself"
    );
    assert_eq!(
        ids(&s, json!({"label": {"$all": []}})),
        Vec::<String>::new()
    );
}

#[test]
fn mod_takes_divisor_and_remainder() {
    let s = labelled();
    assert_eq!(ids(&s, json!({"label": {"$mod": [5, 0]}})), ["n5", "n10"]);
    assert_eq!(ids(&s, json!({"label": {"$mod": [4, 1]}})), ["n1", "n5"]);
    assert_eq!(
        ids(&s, json!({"label": {"$mod": [-4, -3]}})),
        ["n1", "n5"],
        "Python's sign rule"
    );
}

#[test]
fn exists_means_not_null() {
    let s = labelled();
    assert_eq!(ids(&s, json!({"label": {"$exists": false}})), ["z"]);
    assert_eq!(
        ids(&s, json!({"completed": {"$exists": true}})),
        ["n1", "n5"]
    );
    assert_eq!(
        ids(&s, json!({"completed": {"$exists": 0}})),
        ["n10", "s", "l", "z"]
    );
}

#[test]
fn glob_matches_shell_patterns_on_strings() {
    let s = labelled();
    assert_eq!(ids(&s, json!({"label": {"$glob": "spam*"}})), ["s"]);
    assert_eq!(ids(&s, json!({"msg_id": {"$glob": "n?"}})), ["n1", "n5"]);
    assert_eq!(ids(&s, json!({"msg_id": {"$glob": "n[!1]*"}})), ["n5"]);
}

#[test]
fn a_sub_document_without_operators_is_matched_whole() {
    let s = labelled();
    let (content, _) = s
        .db_reply(&json!({"query": {"msg_id": "n5"}}))
        .expect("valid");
    let header = content["records"][0]["header"].clone();
    assert_eq!(ids(&s, json!({"header": header})), ["n5"]);
    assert_eq!(
        ids(&s, json!({"header": {"msg_id": "n5"}})),
        Vec::<String>::new()
    );
}

#[test]
fn an_unknown_field_reads_as_null() {
    let s = labelled();
    assert_eq!(ids(&s, json!({"no_such_field": null})).len(), 6);
    assert_eq!(
        ids(&s, json!({"no_such_field": {"$exists": true}})).len(),
        0
    );
}
