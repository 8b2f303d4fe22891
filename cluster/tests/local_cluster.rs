//! `ClusterFinder` with stock ipyparallel from the test venv: starting a local cluster of N
//! engines, reconnecting to it, stopping it with nothing left behind; a named file that is
//! missing is an error that starts nothing.
//!
//! Everything runs in a throw-away `IPYTHONDIR` (set for this test process, so that the
//! finder's lookups and the `ipcluster` it starts agree); whatever carries that directory
//! in its environment is killed when a test ends, even on failure.

#[path = "../../client/tests/support/mod.rs"]
mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use px_cluster::{ClusterError, ClusterFinder};
use support::cluster::{cluster_processes, kill_marked, python};
use tempfile::TempDir;

/// The throw-away `IPYTHONDIR`; dropping it kills what still runs there.
struct IpythonDir(TempDir);

impl IpythonDir {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        // One test per binary touches the environment, before any thread reads it.
        std::env::set_var("IPYTHONDIR", dir.path());
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("IPP_") {
                std::env::remove_var(key);
            }
        }
        IpythonDir(dir)
    }

    fn path(&self) -> &Path {
        self.0.path()
    }
}

impl Drop for IpythonDir {
    fn drop(&mut self) {
        kill_marked(self.0.path());
    }
}

fn wait_until_gone(dir: &Path, cluster_id: &str, within: Duration) -> Vec<u32> {
    let deadline = Instant::now() + within;
    loop {
        let left = cluster_processes(dir, cluster_id);
        if left.is_empty() || Instant::now() > deadline {
            return left;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starts_n_engines_reconnects_and_stops_them() {
    let dir = IpythonDir::new();

    // A file that does not exist: an error, and no cluster started in its place.
    let missing = dir.path().join("security/cluster-nope.json");
    let mut named = ClusterFinder::new(python()).looking_at(px_cluster::source_for_file(&missing));
    let err = named.connect().await.err().expect("no such cluster");
    assert!(matches!(err, ClusterError::Client(_)), "{err}");
    assert!(named.started_cluster().is_none());

    let mut finder = ClusterFinder::new(python())
        .owned_by("pxtest")
        .starting(2, None);
    let found = tokio::time::timeout(Duration::from_secs(120), finder.connect())
        .await
        .expect("the cluster starts in time")
        .expect("the cluster starts");
    assert_eq!(found.client.ids().len(), 2);
    let cluster_id = finder.started_cluster().expect("started").to_owned();
    assert_eq!(cluster_id, format!("pxtest-{}", std::process::id()));
    let notice = found.notice.expect("a notice");
    assert!(
        notice.contains("2 engines") && notice.contains(&cluster_id),
        "{notice}"
    );
    assert!(!cluster_processes(dir.path(), &cluster_id).is_empty());

    // Asking again reconnects to the same cluster, with nothing to announce.
    let again = finder.connect().await.expect("reconnects");
    assert!(again.notice.is_none());
    assert_eq!(again.client.ids().len(), 2);
    drop((found.client, again.client));

    finder.stop().await;
    assert!(finder.started_cluster().is_none());
    let left = wait_until_gone(dir.path(), &cluster_id, Duration::from_secs(15));
    assert!(left.is_empty(), "processes left behind: {left:?}");
}
