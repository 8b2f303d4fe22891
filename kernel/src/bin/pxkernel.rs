//! `pxkernel`: the "Parallel (Rust)" Jupyter kernel, and its installer.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand};
use px_kernel::{install, ClusterFinder, InstallTarget, LocalPython, ParallelBackend, KERNEL_NAME};
use px_wire::KernelConnectionInfo;
use px_worker::{Worker, WorkerConfig};

#[derive(Parser)]
#[command(version, about = "The Parallel (Rust) Jupyter kernel")]
struct Cli {
    #[command(subcommand)]
    command: Option<Cmd>,
    /// The connection file Jupyter gives the kernel.
    #[arg(long = "connection-file", short = 'f')]
    connection_file: Option<PathBuf>,
    /// The Python that runs local cells (default: python3 on PATH).
    #[arg(long)]
    python: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Cmd {
    /// Install the kernelspec so Jupyter lists "Parallel (Rust)".
    Install(InstallArgs),
}

#[derive(Args)]
struct InstallArgs {
    /// Install for the current user (the default).
    #[arg(long, conflicts_with_all = ["sys_prefix", "prefix"])]
    user: bool,
    /// Install into the Python environment's prefix (sys.prefix of --python).
    #[arg(long = "sys-prefix", conflicts_with = "prefix")]
    sys_prefix: bool,
    /// Install into PREFIX/share/jupyter/kernels.
    #[arg(long)]
    prefix: Option<PathBuf>,
    /// Kernelspec directory name.
    #[arg(long, default_value = KERNEL_NAME)]
    name: String,
    /// The Python the installed kernel runs local cells with.
    #[arg(long)]
    python: Option<PathBuf>,
}

fn sys_prefix(python: &std::path::Path) -> Result<PathBuf> {
    let out = Command::new(python)
        .args(["-c", "import sys; print(sys.prefix)"])
        .output()
        .with_context(|| format!("running {}", python.display()))?;
    if !out.status.success() {
        bail!("{} could not tell its sys.prefix", python.display());
    }
    Ok(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
}

fn run_install(args: InstallArgs) -> Result<()> {
    let python = args.python;
    let target = if let Some(p) = args.prefix {
        InstallTarget::Prefix(p)
    } else if args.sys_prefix {
        let py = python.clone().unwrap_or_else(|| PathBuf::from("python3"));
        InstallTarget::Prefix(sys_prefix(&py)?)
    } else {
        InstallTarget::User
    };
    let binary = std::env::current_exe().context("locating the pxkernel binary")?;
    let binary = binary.canonicalize().unwrap_or(binary);
    let dir = install(&target, &args.name, &binary, python.as_deref())
        .with_context(|| format!("installing into {}", target.kernels_dir().display()))?;
    println!("Installed kernelspec {} in {}", args.name, dir.display());
    Ok(())
}

async fn run_kernel(file: PathBuf, python: Option<PathBuf>) -> Result<()> {
    let info = KernelConnectionInfo::load(&file)?;
    let mut config = WorkerConfig::default();
    if let Some(py) = python {
        config.python = py;
    }
    let finder = ClusterFinder::new(config.python.clone());
    let worker = Worker::start(config)
        .await
        .context("starting the local Python")?;
    let backend = ParallelBackend::new(LocalPython::new(worker), finder);
    px_kernel::serve(&info, Arc::new(backend)).await?;
    Ok(())
}

fn main() {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("PXKERNEL_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let cli = Cli::parse();
    let result = match (cli.command, cli.connection_file) {
        (Some(Cmd::Install(args)), _) => run_install(args),
        (None, Some(file)) => tokio::runtime::Runtime::new()
            .context("starting the runtime")
            .and_then(|rt| rt.block_on(run_kernel(file, cli.python))),
        (None, None) => Err(anyhow::anyhow!(
            "no connection file: Jupyter starts pxkernel with --connection-file; to set it up, run `pxkernel install`"
        )),
    };
    if let Err(e) = result {
        eprintln!("pxkernel: {e:#}");
        std::process::exit(1);
    }
}
