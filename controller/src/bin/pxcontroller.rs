//! `pxcontroller`: the controller process, started as stock launchers start `ipcontroller`.

use anyhow::Context;
use px_controller::{parse_args, ConfigError, Controller, USAGE};
use tokio::signal::unix::{signal, SignalKind};

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let parsed = match parse_args(&args, |name| std::env::var(name).ok()) {
        Ok(parsed) => parsed,
        Err(ConfigError::Help) => {
            print!("{USAGE}");
            return std::process::ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("pxcontroller: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    // The socket crate logs every connection at info; ours are the lines that matter.
    let filter = std::env::var("RUST_LOG")
        .unwrap_or_else(|_| format!("{},zeromq=warn", parsed.config.log_level));
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .init();
    for ignored in &parsed.ignored {
        tracing::info!("ignored (no effect here): {ignored}");
    }
    match run(parsed.config) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pxcontroller: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(config: px_controller::Config) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let mut term = signal(SignalKind::terminate()).context("cannot catch SIGTERM")?;
        let mut int = signal(SignalKind::interrupt()).context("cannot catch SIGINT")?;
        let controller = Controller::start(&config)
            .await
            .context("cannot start the controller")?;
        controller
            .run(async {
                tokio::select! {
                    _ = term.recv() => tracing::info!("SIGTERM: stopping"),
                    _ = int.recv() => tracing::info!("SIGINT: stopping"),
                }
            })
            .await;
        Ok(())
    })
}
