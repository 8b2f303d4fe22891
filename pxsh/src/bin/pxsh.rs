//! `pxsh`: the parallel Python REPL. Parses the command line, sets up logging, and hands
//! the cells to a [`px_sh::Shell`]; errors become one line and an exit status.

use std::io::{IsTerminal, Read};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Parser;
use px_sh::{run_script, Options, Shell};
use px_worker::WorkerConfig;

/// What to run.
enum Mode {
    /// These cells, then exit.
    Script(String),
    /// The interactive shell.
    Interactive,
}

fn mode(options: &Options) -> Result<Mode> {
    if let Some(code) = &options.command {
        return Ok(Mode::Script(code.clone()));
    }
    match &options.script {
        Some(path) if path.as_os_str() == "-" => read_stdin().map(Mode::Script),
        Some(path) => std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))
            .map(Mode::Script),
        None if !std::io::stdin().is_terminal() => read_stdin().map(Mode::Script),
        None => Ok(Mode::Interactive),
    }
}

fn read_stdin() -> Result<String> {
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .context("cannot read the cells from stdin")?;
    Ok(text)
}

async fn run(options: Options) -> Result<ExitCode> {
    let mode = mode(&options)?;
    let color = options.color(std::io::stdout().is_terminal());
    let mut shell = Shell::start(
        WorkerConfig::new(options.python.clone()),
        options.cluster_finder(),
        color,
        options.progress_after,
    )
    .await?;
    if options.engines.is_some() {
        // The cluster asked for starts now, not at the first magic.
        shell.connect(true).await;
    }
    let code = match mode {
        Mode::Script(text) => Ok(run_script(&mut shell, &text).await.exit_code()),
        Mode::Interactive => {
            let history = options
                .history_file
                .clone()
                .or_else(px_sh::default_history_file);
            px_sh::interactive(&mut shell, history, color)
                .await
                .map(|()| 0)
                .map_err(anyhow::Error::from)
        }
    };
    // Whatever happened, the local Python and a started cluster stop here.
    shell.shutdown().await;
    Ok(ExitCode::from(code?))
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("PXSH_LOG")
                // zeromq retries a lost controller every few seconds, warning each time;
                // pxsh reports a lost cluster itself, once.
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,zeromq=error")),
        )
        .init();
    let options = Options::parse();
    let result = tokio::runtime::Runtime::new()
        .context("starting the runtime")
        .and_then(|rt| rt.block_on(run(options)));
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("pxsh: {e:#}");
            ExitCode::FAILURE
        }
    }
}
