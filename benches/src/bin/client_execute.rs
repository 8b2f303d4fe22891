//! `execute("pass")` on every engine of one stock cluster, 200 times, with the Rust client and
//! with stock `ipyparallel.Client`, one after the other; prints both medians and the ratio.
//!
//! The cluster is a stock one (`ipcluster start --daemonize` from the venv, in a temporary
//! `IPYTHONDIR`, on 127.0.0.1) so the only difference measured is the client.
//!
//! `cargo run --release -p px-benches --bin client_execute [-- ENGINES]` (default 4).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use px_benches::{median, python_path, run_python};
use px_client::{Client, ConnectOptions, ConnectionSource, ExecuteOptions, Targets};
use serde::Deserialize;

const CALLS: usize = 200;
const WARMUP: usize = 20;
const CLUSTER_ID: &str = "bench";

/// A stock cluster in a temporary IPYTHONDIR, stopped (and its processes killed) on drop.
struct StockCluster {
    ipython_dir: tempfile::TempDir,
}

impl StockCluster {
    fn start(engines: usize) -> Result<Self> {
        let ipython_dir = tempfile::tempdir()?;
        let cluster = StockCluster { ipython_dir };
        let out = cluster
            .ipcluster()
            .args(["start", "--daemonize", "--ip=127.0.0.1"])
            .arg(format!("--cluster-id={CLUSTER_ID}"))
            .arg(format!("-n={engines}"))
            .output()
            .context("running ipcluster (run bash scripts/setup-venv.sh)")?;
        if !out.status.success() {
            bail!(
                "ipcluster start failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(cluster)
    }

    fn ipcluster(&self) -> Command {
        let mut c = Command::new(python_path().with_file_name("ipcluster"));
        c.env("IPYTHONDIR", self.ipython_dir.path())
            .env_remove("IPP_PROFILE_DIR")
            .env_remove("IPP_CLUSTER_ID");
        c
    }

    fn client_file(&self) -> PathBuf {
        self.ipython_dir.path().join(format!(
            "profile_default/security/ipcontroller-{CLUSTER_ID}-client.json"
        ))
    }
}

impl Drop for StockCluster {
    fn drop(&mut self) {
        let _ = self
            .ipcluster()
            .args(["stop", &format!("--cluster-id={CLUSTER_ID}")])
            .output();
        // Whatever ignored the stop: every process started with this IPYTHONDIR in argv or env.
        let dir = self.ipython_dir.path().display().to_string();
        let _ = Command::new("pkill").args(["-9", "-f", &dir]).status();
    }
}

async fn wait_for_file(path: &Path, timeout: Duration) -> Result<()> {
    let deadline = Instant::now() + timeout;
    while !path.exists() {
        if Instant::now() > deadline {
            bail!("{} did not appear within {timeout:?}", path.display());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

async fn rust_samples(file: &Path, engines: usize) -> Result<Vec<f64>> {
    let opts = ConnectOptions {
        timeout: Duration::from_secs(30),
        ..ConnectOptions::default()
    };
    let client = Client::connect_with(&ConnectionSource::File(file.to_owned()), &opts).await?;
    client
        .wait_for_engines(engines, Duration::from_secs(120))
        .await?;
    let view = client.direct_view(Targets::All);
    let opts = ExecuteOptions::default();
    let timeout = Some(Duration::from_secs(30));
    for _ in 0..WARMUP {
        view.execute_sync("pass", &opts, timeout).await?;
    }
    let mut samples = Vec::with_capacity(CALLS);
    for _ in 0..CALLS {
        let t = Instant::now();
        view.execute_sync("pass", &opts, timeout).await?;
        samples.push(t.elapsed().as_secs_f64());
    }
    Ok(samples)
}

#[derive(Deserialize)]
struct PythonReport {
    engines: usize,
    samples: Vec<f64>,
    ipyparallel: String,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn summary(name: &str, mut samples: Vec<f64>) -> f64 {
    let med = median(&mut samples);
    println!(
        "{name:<26} {:>10.3} {:>10.3} {:>10.3}",
        med * 1e3,
        percentile(&samples, 0.9) * 1e3,
        percentile(&samples, 0.99) * 1e3
    );
    med
}

#[tokio::main]
async fn main() -> Result<()> {
    let engines: usize = std::env::args()
        .nth(1)
        .map(|n| n.parse())
        .transpose()
        .context("the argument is the number of engines")?
        .unwrap_or(4);
    let cluster = StockCluster::start(engines)?;
    let file = cluster.client_file();
    wait_for_file(&file, Duration::from_secs(60)).await?;
    let rust = rust_samples(&file, engines).await?;
    let python: Result<PythonReport, String> = run_python(
        "client_execute.py",
        &[
            "--file".into(),
            file.display().to_string(),
            "--n".into(),
            CALLS.to_string(),
            "--warmup".into(),
            WARMUP.to_string(),
        ],
    );
    println!("client_execute: execute(\"pass\") on {engines} stock engines, {CALLS} calls after {WARMUP} warm-up calls");
    println!(
        "{:<26} {:>10} {:>10} {:>10}",
        "client", "p50 ms", "p90 ms", "p99 ms"
    );
    let ours = summary("px-client (Rust)", rust);
    match python {
        Ok(p) => {
            let theirs = summary(&format!("ipyparallel {} Client", p.ipyparallel), p.samples);
            if p.engines != engines {
                println!("note: the stock client saw {} engines", p.engines);
            }
            println!("ratio (stock p50 / Rust p50): {:.1}x", theirs / ours);
        }
        Err(why) => println!("stock side skipped: {why}"),
    }
    drop(cluster);
    Ok(())
}
