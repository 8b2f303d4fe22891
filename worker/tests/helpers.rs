//! The kernel's helper requests: is_complete, complete, inspect.

mod common;

use common::{assert_is_complete_answers, config, run, start};

#[tokio::test]
async fn is_complete_follows_ipython() {
    let worker = start(config()).await;
    assert_is_complete_answers(&worker).await;
    worker.shutdown().await.unwrap();
}

#[tokio::test]
async fn completion_of_pri_includes_print() {
    let worker = start(config()).await;
    let completion = worker.complete("pri", 3).await.unwrap();
    assert!(
        completion.matches.iter().any(|m| m == "print"),
        "{:?}",
        completion.matches
    );
    assert_eq!((completion.cursor_start, completion.cursor_end), (0, 3));
    run(&worker, "my_variable = 3").await;
    let completion = worker.complete("x = my_va", 9).await.unwrap();
    assert_eq!(completion.matches, ["my_variable"]);
    assert_eq!(completion.cursor_start, 4);
    worker.shutdown().await.unwrap();
}

#[tokio::test]
async fn inspect_finds_print_and_not_nonsense() {
    let worker = start(config()).await;
    let found = worker.inspect("print(", 6, 0).await.unwrap();
    assert!(found.found);
    assert!(found.data["text/plain"].as_str().unwrap().contains("print"));
    let missing = worker.inspect("no_such_name_here", 5, 0).await.unwrap();
    assert!(!missing.found);
    worker.shutdown().await.unwrap();
}
