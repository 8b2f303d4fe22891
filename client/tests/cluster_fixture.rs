//! The `StockCluster` fixture against stock ipyparallel: it starts, reports usable files,
//! grows by an engine, and leaves no process behind, even when its owner is SIGKILLed.

mod support;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use px_wire::{ClientConnectionInfo, ClusterFile, EngineConnectionInfo};
use support::cluster::{cluster_processes, kill_marked, StockCluster, STOP_TIMEOUT};

/// Set in the environment of the owner process that `cluster_dies_when_its_owner_is_killed`
/// starts (this test binary, running `owner_process_for_kill_test`).
const OWNER_ENV: &str = "PX_FIXTURE_KILL_TEST_OWNER";
/// Prefix of the owner's report line: `<prefix> <ipython_dir> <cluster_id>`.
const OWNER_READY: &str = "OWNER-READY";

/// Polls until no process of the cluster is left, or `timeout`; returns the survivors.
fn wait_for_no_processes(ipython_dir: &std::path::Path, id: &str, timeout: Duration) -> Vec<u32> {
    let deadline = Instant::now() + timeout;
    loop {
        let left = cluster_processes(ipython_dir, id);
        if left.is_empty() || Instant::now() > deadline {
            return left;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn describe(pids: &[u32]) -> String {
    pids.iter()
        .map(|pid| {
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            format!("{pid}: {cmdline}")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn start_two_engines_reports_ids_and_loadable_files() {
    let cluster = StockCluster::start(2);

    assert_eq!(cluster.ids(), vec![0, 1]);
    let client = ClientConnectionInfo::load(&cluster.client_file()).unwrap();
    assert_eq!(client.interface, "tcp://127.0.0.1");
    assert!(!client.security.key.is_empty(), "stock controllers sign");
    let engine = EngineConnectionInfo::load(&cluster.engine_file()).unwrap();
    assert_eq!(engine.registration, client.registration);
    let file = ClusterFile::load(&cluster.cluster_file()).unwrap();
    assert_eq!(file.cluster.cluster_id, cluster.cluster_id());
    assert_eq!(file.cluster.n, Some(2));

    let profile = px_wire::ProfileDir::at(cluster.profile_dir());
    assert_eq!(
        profile.client_file(cluster.cluster_id()),
        cluster.client_file()
    );
    assert_eq!(
        profile.engine_file(cluster.cluster_id()),
        cluster.engine_file()
    );
    assert!(cluster.profile_dir().starts_with(cluster.ipython_dir()));
}

#[test]
fn drop_leaves_no_cluster_process_and_no_directory() {
    let cluster = StockCluster::start(2);
    let dir = cluster.ipython_dir().to_path_buf();
    let id = cluster.cluster_id().to_owned();
    let running = cluster.processes();
    // Runner, controller (plus its scheduler processes), two engines (plus nannies).
    assert!(running.len() >= 4, "{}", describe(&running));
    assert!(running.contains(&cluster.controller_pid()));
    for pid in cluster.engine_pids() {
        assert!(running.contains(&pid), "engine {pid} not found");
    }

    let started = Instant::now();
    drop(cluster);
    let took = started.elapsed();

    let left = cluster_processes(&dir, &id);
    assert!(left.is_empty(), "left after drop:\n{}", describe(&left));
    assert!(!dir.exists(), "{} not removed", dir.display());
    // The kill fallback starts only after STOP_TIMEOUT; a clean stop takes ~0.6 s.
    assert!(took < STOP_TIMEOUT, "no clean stop: drop took {took:?}");
}

#[test]
fn added_engine_registers_and_is_stopped_on_drop() {
    let mut cluster = StockCluster::start(2);
    let pid = cluster.add_engine();

    assert_eq!(cluster.wait_for_engines(3), vec![0, 1, 2]);

    let (dir, id) = (
        cluster.ipython_dir().to_path_buf(),
        cluster.cluster_id().to_owned(),
    );
    assert!(cluster.processes().contains(&pid));
    drop(cluster);
    let left = cluster_processes(&dir, &id);
    assert!(left.is_empty(), "left after drop:\n{}", describe(&left));
}

#[tokio::test]
async fn start_async_gives_a_running_cluster() {
    let cluster = StockCluster::start_async(1).await;
    assert_eq!(cluster.ids(), vec![0]);
}

/// Kills the owner process on drop, and sweeps what it may have left, so a failing
/// assertion does not leak a cluster.
struct Owner {
    child: Child,
    ipython_dir: Option<PathBuf>,
}

impl Drop for Owner {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(dir) = &self.ipython_dir {
            kill_marked(dir);
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

#[test]
fn cluster_dies_when_its_owner_is_killed() {
    let child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "owner_process_for_kill_test",
            "--ignored",
            "--nocapture",
        ])
        .env(OWNER_ENV, "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut owner = Owner {
        child,
        ipython_dir: None,
    };

    // The report line, read on a thread so that a hung owner fails the test in time.
    let stdout = owner.child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(rest) = line.strip_prefix(OWNER_READY) {
                let _ = tx.send(rest.trim().to_owned());
                return;
            }
        }
    });
    let report = rx
        .recv_timeout(Duration::from_secs(150))
        .expect("the owner process did not report its cluster");
    let (dir, id) = report.rsplit_once(' ').unwrap();
    let (dir, id) = (PathBuf::from(dir), id.to_owned());
    owner.ipython_dir = Some(dir.clone());
    let running = cluster_processes(&dir, &id);
    assert!(running.len() >= 3, "{}", describe(&running));

    // SIGKILL: no destructor runs in the owner.
    owner.child.kill().unwrap();
    owner.child.wait().unwrap();

    let left = wait_for_no_processes(&dir, &id, Duration::from_secs(15));
    assert!(
        left.is_empty(),
        "left 15 s after SIGKILL:\n{}",
        describe(&left)
    );
    // The orphaned runner removes the IPYTHONDIR itself.
    let deadline = Instant::now() + Duration::from_secs(5);
    while dir.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(!dir.exists(), "{} not removed", dir.display());
}

/// Not a test: the owner process of `cluster_dies_when_its_owner_is_killed`.
#[test]
#[ignore = "helper process, started by cluster_dies_when_its_owner_is_killed"]
fn owner_process_for_kill_test() {
    if std::env::var_os(OWNER_ENV).is_none() {
        return;
    }
    let mut cluster = StockCluster::start(1);
    // An added engine is the fixture's own child, not the runner's: it must die too.
    cluster.add_engine();
    println!(
        "{OWNER_READY} {} {}",
        cluster.ipython_dir().display(),
        cluster.cluster_id()
    );
    loop {
        std::thread::sleep(Duration::from_secs(1));
    }
}

/// Start-up time with 4 engines, for tuning: `cargo test -- --ignored --nocapture timing`.
#[test]
#[ignore = "measurement, not a check"]
fn timing_start_four_engines() {
    for heartbeat in [support::cluster::TEST_HEARTBEAT_MS, 0] {
        let started = Instant::now();
        let cluster = StockCluster::builder(4)
            .heartbeat_period_ms(heartbeat)
            .start();
        let start = started.elapsed();
        let stopping = Instant::now();
        drop(cluster);
        println!(
            "heartbeat {heartbeat} ms (0 = stock): start(4) {start:.2?}, drop {:.2?}",
            stopping.elapsed()
        );
    }
}

/// Tests may share one cluster through a `static OnceLock<StockCluster>`.
#[test]
fn fixture_is_send_and_sync() {
    fn shareable<T: Send + Sync + 'static>() {}
    shareable::<StockCluster>();
}
