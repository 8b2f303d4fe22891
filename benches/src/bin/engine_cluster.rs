//! pxengine against stock ipengine, side by side, both registered with our pxcontroller and
//! driven by the Rust client, so the engine is the only difference:
//!
//! - start to registered: one engine spawned, timed until the client sees its id (median of
//!   several starts, each engine stopped before the next);
//! - load-balanced throughput: no-op tasks (`execute("pass")`, silent) sent all at once
//!   through the task scheduler to two engines, tasks/s until every reply is in.
//!
//! `cargo build --release -p px-controller -p px-engine && cargo run --release -p px-benches
//! --bin engine_cluster [-- --engines 2 --tasks 20000 --starts 5 --hwm 1]`

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use px_benches::{median, python_path};
use px_client::{Client, ConnectionSource, ExecuteOptions};

const CLUSTER_ID: &str = "bench";
const WAIT: Duration = Duration::from_secs(60);

/// Which engine a run starts.
#[derive(Clone, Copy)]
enum Kind {
    Stock,
    Ours,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Stock => "stock ipengine",
            Kind::Ours => "pxengine",
        }
    }
}

struct Args {
    engines: usize,
    /// The task scheduler's high-water mark (stock default 1: one task per engine at a
    /// time, so each task waits a round trip; 0 lets engines queue tasks).
    hwm: u32,
    tasks: usize,
    starts: usize,
    release: PathBuf,
}

fn parse_args() -> Result<Args> {
    let mut args = Args {
        engines: 2,
        hwm: 1,
        tasks: 20_000,
        starts: 5,
        release: Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/release"),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--engines" => args.engines = value()?.parse()?,
            "--tasks" => args.tasks = value()?.parse()?,
            "--hwm" => args.hwm = value()?.parse()?,
            "--starts" => args.starts = value()?.parse()?,
            "--release-dir" => args.release = PathBuf::from(value()?),
            other => bail!("unknown argument {other}"),
        }
    }
    for bin in ["pxcontroller", "pxengine"] {
        if !args.release.join(bin).exists() {
            bail!(
                "{} not found: cargo build --release -p px-controller -p px-engine",
                args.release.join(bin).display()
            );
        }
    }
    Ok(args)
}

/// Kills a whole process group when dropped (stock engines fork a nanny).
struct Group(Child);

impl Drop for Group {
    fn drop(&mut self) {
        let pid = self.0.id() as i32;
        // SAFETY: kill(2) on our own child's process group; no memory is touched.
        unsafe {
            libc::kill(-pid, libc::SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        // SAFETY: as above.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
        let _ = self.0.wait();
    }
}

fn spawn(mut command: Command) -> Result<Group> {
    use std::os::unix::process::CommandExt;
    command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0);
    Ok(Group(command.spawn().context("starting a process")?))
}

struct Cluster {
    profile: tempfile::TempDir,
    _controller: Group,
}

impl Cluster {
    async fn start(args: &Args) -> Result<Cluster> {
        let profile = tempfile::tempdir()?;
        let mut command = Command::new(args.release.join("pxcontroller"));
        command
            .arg("--ip=127.0.0.1")
            .arg(format!("--cluster-id={CLUSTER_ID}"))
            .arg(format!("--profile-dir={}", profile.path().display()))
            .arg(format!("--TaskScheduler.hwm={}", args.hwm));
        let controller = spawn(command)?;
        let cluster = Cluster {
            profile,
            _controller: controller,
        };
        let deadline = Instant::now() + WAIT;
        while !(cluster.file("engine").exists() && cluster.file("client").exists()) {
            if Instant::now() > deadline {
                bail!("pxcontroller wrote no connection files");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(cluster)
    }

    fn file(&self, who: &str) -> PathBuf {
        self.profile
            .path()
            .join(format!("security/ipcontroller-{CLUSTER_ID}-{who}.json"))
    }

    fn engine(&self, kind: Kind, args: &Args) -> Result<Group> {
        let file = format!("--file={}", self.file("engine").display());
        let command = match kind {
            Kind::Stock => {
                let mut c = Command::new(python_path());
                c.args(["-m", "ipyparallel.engine", &file]);
                c
            }
            Kind::Ours => {
                let mut c = Command::new(args.release.join("pxengine"));
                c.arg(&file)
                    .arg(format!("--python={}", python_path().display()));
                c
            }
        };
        spawn(command)
    }
}

/// Milliseconds from spawning one engine to the client seeing it, `args.starts` times.
async fn start_to_registered(kind: Kind, args: &Args) -> Result<f64> {
    let cluster = Cluster::start(args).await?;
    let client = Client::connect(&ConnectionSource::File(cluster.file("client"))).await?;
    let mut samples = Vec::new();
    for _ in 0..args.starts {
        let before = client.ids().len();
        let started = Instant::now();
        let engine = cluster.engine(kind, args)?;
        client.wait_for_engines(before + 1, WAIT).await?;
        samples.push(started.elapsed().as_secs_f64() * 1000.0);
        drop(engine);
        let deadline = Instant::now() + WAIT;
        while client.ids().len() > before && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    Ok(median(&mut samples))
}

/// No-op tasks per second through the load-balanced scheduler.
async fn throughput(kind: Kind, args: &Args) -> Result<f64> {
    let cluster = Cluster::start(args).await?;
    let engines: Vec<Group> = (0..args.engines)
        .map(|_| cluster.engine(kind, args))
        .collect::<Result<_>>()?;
    let client = Client::connect(&ConnectionSource::File(cluster.file("client"))).await?;
    client.wait_for_engines(args.engines, WAIT).await?;
    let view = client.load_balanced_view();
    let quiet = ExecuteOptions::default();
    for _ in 0..100 {
        view.execute("pass", &quiet).await?.get(Some(WAIT)).await?;
    }
    let started = Instant::now();
    let mut pending = Vec::with_capacity(args.tasks);
    for _ in 0..args.tasks {
        pending.push(view.execute("pass", &quiet).await?);
    }
    for ar in &pending {
        ar.get(Some(WAIT)).await?;
    }
    let rate = args.tasks as f64 / started.elapsed().as_secs_f64();
    drop(engines);
    Ok(rate)
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = parse_args()?;
    let mut starts = Vec::new();
    let mut rates = Vec::new();
    for kind in [Kind::Stock, Kind::Ours] {
        let ms = start_to_registered(kind, &args).await?;
        println!(
            "{:<15} start to registered: {ms:8.0} ms (median of {})",
            kind.name(),
            args.starts
        );
        starts.push(ms);
        let rate = throughput(kind, &args).await?;
        println!(
            "{:<15} load-balanced no-op tasks: {rate:8.0} tasks/s ({} tasks, {} engines, hwm {})",
            kind.name(),
            args.tasks,
            args.engines,
            args.hwm
        );
        rates.push(rate);
    }
    println!(
        "start to registered: {:.1}x faster; throughput: {:.1}x",
        starts[0] / starts[1],
        rates[1] / rates[0]
    );
    Ok(())
}
