//! `pxengine`: an engine for an ipyparallel-compatible controller, started as stock
//! launchers start `ipengine` (same options, same environment).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Parser;
use px_engine::{run, ConnectionSource, EngineConfig, Exit, OnControllerLoss};
use px_wire::ProfileDir;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::mpsc;

#[derive(Parser, Debug)]
#[command(
    version,
    about = "A Parallel (Rust) engine: registers with an ipyparallel controller and runs Python for its clients"
)]
struct Cli {
    /// The controller's engine connection file (ipcontroller-engine.json).
    /// $IPP_CONNECTION_INFO, when set, is used instead, as stock engines do.
    #[arg(long)]
    file: Option<PathBuf>,
    /// The profile whose security directory holds the connection file.
    #[arg(long)]
    profile: Option<String>,
    /// The profile directory (default: $IPP_PROFILE_DIR, else the named profile).
    #[arg(long = "profile-dir")]
    profile_dir: Option<PathBuf>,
    /// Where profiles live (default: $IPYTHONDIR, else ~/.ipython).
    #[arg(long = "ipython-dir")]
    ipython_dir: Option<PathBuf>,
    /// The cluster id naming the connection file (default: $IPP_CLUSTER_ID).
    #[arg(long = "cluster-id")]
    cluster_id: Option<String>,
    /// Seconds to wait for the controller's registration reply.
    #[arg(long, default_value_t = 5.0)]
    timeout: f64,
    /// Seconds to wait for a missing connection file to appear.
    #[arg(long = "wait-for-file", default_value_t = 10.0)]
    wait_for_file: f64,
    /// Overrides the connection info's `location` (the controller's host).
    #[arg(long)]
    location: Option<String>,
    /// The Python that runs the code (default: $PXENGINE_PYTHON, else python3 on PATH).
    #[arg(long)]
    python: Option<PathBuf>,
    /// The engine id to ask the controller for.
    #[arg(long)]
    id: Option<u32>,
    /// Code to run in the engine's namespace before serving.
    #[arg(short = 'c', long = "c")]
    startup_command: Vec<String>,
    /// A Python file to run in the engine's namespace before serving.
    #[arg(short = 's', long = "s")]
    startup_script: Vec<PathBuf>,
    /// Working directory of the engine's Python.
    #[arg(long = "work-dir")]
    work_dir: Option<PathBuf>,
    /// Heartbeat periods without a ping before the controller counts as gone (0: never).
    #[arg(long = "missed-beats", default_value_t = 5)]
    missed_beats: u32,
    /// Seconds to keep trying to register again with a controller that went away (0: exit
    /// at once).
    #[arg(long = "reconnect-timeout", default_value_t = 60.0)]
    reconnect_timeout: f64,
    /// IPython's colour scheme for tracebacks (nocolor, neutral, linux, lightbg).
    #[arg(long)]
    colors: Option<String>,
    /// DEBUG, INFO, WARN, ERROR, CRITICAL, or a number (10..50), as stock engines take it.
    #[arg(long = "log-level")]
    log_level: Option<String>,
    /// Log everything (same as --log-level=DEBUG).
    #[arg(long)]
    debug: bool,
}

/// Options stock `ipengine` takes with a value that we accept (and maybe ignore).
const VALUE_OPTIONS: &[&str] = &[
    "file",
    "profile",
    "profile-dir",
    "ipython-dir",
    "cluster-id",
    "timeout",
    "wait-for-file",
    "location",
    "python",
    "id",
    "c",
    "s",
    "work-dir",
    "missed-beats",
    "reconnect-timeout",
    "log-level",
    "colors",
];

/// Flags we know.
const FLAGS: &[&str] = &["debug", "help", "version", "h", "V"];

/// `--Class.trait=value` settings that map to our options.
const TRAITS: &[(&str, &str)] = &[
    ("IPEngine.url_file", "file"),
    ("IPEngine.timeout", "timeout"),
    ("IPEngine.id", "id"),
    ("IPEngine.location", "location"),
    ("IPEngine.startup_command", "c"),
    ("IPEngine.startup_script", "s"),
    ("IPEngine.wait_for_url_file", "wait-for-file"),
    ("IPEngine.max_heartbeat_misses", "missed-beats"),
    ("BaseParallelApplication.cluster_id", "cluster-id"),
    ("BaseParallelApplication.work_dir", "work-dir"),
    ("BaseIPythonApplication.profile", "profile"),
    ("BaseIPythonApplication.ipython_dir", "ipython-dir"),
    ("ProfileDir.location", "profile-dir"),
    ("Application.log_level", "log-level"),
    ("InteractiveShell.colors", "colors"),
    ("ZMQInteractiveShell.colors", "colors"),
];

/// The arguments clap should see, and what was dropped (with why), in the order given.
#[derive(Debug, Default, PartialEq)]
struct Sorted {
    kept: Vec<String>,
    ignored: Vec<String>,
}

/// Sorts stock-style arguments: `--name=value`, `--name value`, `-c value`, traitlets'
/// `--Class.trait=value` (mapped where we have a counterpart), and flags. Anything
/// unknown is set aside to be logged, so a launcher's extra options never stop the engine.
fn sort_args(args: impl IntoIterator<Item = String>) -> Sorted {
    let mut out = Sorted::default();
    let mut args = args.into_iter().peekable();
    while let Some(arg) = args.next() {
        let Some(stripped) = arg.strip_prefix("--").or_else(|| arg.strip_prefix('-')) else {
            out.ignored.push(arg);
            continue;
        };
        let (name, inline) = match stripped.split_once('=') {
            Some((name, value)) => (name.to_owned(), Some(value.to_owned())),
            None => (stripped.to_owned(), None),
        };
        let mut take_value = |inline: Option<String>| {
            inline.or_else(|| args.next_if(|next| !next.starts_with('-') || next == "-"))
        };
        if let Some(&(_, ours)) = TRAITS.iter().find(|(t, _)| *t == name) {
            match take_value(inline) {
                Some(value) => out.kept.push(format!("--{ours}={}", unquote(&value))),
                None => out.ignored.push(arg),
            }
        } else if VALUE_OPTIONS.contains(&name.as_str()) {
            match take_value(inline) {
                Some(value) => out.kept.push(format!("--{name}={value}")),
                None => out.kept.push(arg), // clap names the missing value
            }
        } else if FLAGS.contains(&name.as_str()) && inline.is_none() {
            out.kept.push(arg);
        } else {
            let value = take_value(inline);
            out.ignored.push(match value {
                Some(v) if !arg.contains('=') => format!("{arg} {v}"),
                _ => arg,
            });
        }
    }
    out
}

/// Traitlets values may be quoted Python literals (`--IPEngine.url_file='x.json'`).
fn unquote(value: &str) -> &str {
    let v = value.trim();
    for q in ['"', '\''] {
        if let Some(inner) = v.strip_prefix(q).and_then(|v| v.strip_suffix(q)) {
            return inner;
        }
    }
    v
}

/// The tracing filter for a stock log level.
fn filter_for(level: Option<&str>, debug: bool) -> String {
    let ours = match level.map(|l| l.trim().to_ascii_uppercase()) {
        _ if debug => "debug",
        Some(l) if l == "DEBUG" || l == "10" || l == "0" => "debug",
        Some(l) if l == "WARN" || l == "WARNING" || l == "30" => "warn",
        Some(l) if l == "ERROR" || l == "40" || l == "CRITICAL" || l == "50" => "error",
        _ => "info",
    };
    format!("warn,px_engine={ours},pxengine={ours}")
}

fn source(cli: &Cli) -> ConnectionSource {
    if let Some(json) = std::env::var("IPP_CONNECTION_INFO")
        .ok()
        .filter(|j| !j.trim().is_empty())
    {
        if cli.file.is_some() {
            tracing::info!("using $IPP_CONNECTION_INFO, not --file, as stock engines do");
        }
        return ConnectionSource::Json(json);
    }
    if let Some(file) = &cli.file {
        return ConnectionSource::File(file.clone());
    }
    let profile = profile_dir(cli);
    let cluster_id = cli
        .cluster_id
        .clone()
        .unwrap_or_else(px_wire::cluster_id_from_env);
    ConnectionSource::Profile {
        profile,
        cluster_id,
    }
}

/// The engine's profile: named on the command line, else as IPython finds it.
fn profile_dir(cli: &Cli) -> ProfileDir {
    match (&cli.profile_dir, &cli.profile, &cli.ipython_dir) {
        (Some(dir), _, _) => ProfileDir::at(dir),
        (None, name, Some(ipython_dir)) => ProfileDir::at(ipython_dir.join(format!(
            "profile_{}",
            name.as_deref().unwrap_or(px_wire::DEFAULT_PROFILE)
        ))),
        (None, name, None) => ProfileDir::resolve(name.as_deref()),
    }
}

/// The files a stock engine runs as it starts, in its order: `$PYTHONSTARTUP`, then the
/// profile's `startup/*.py` and `*.ipy` sorted by name.
fn startup_files(cli: &Cli) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::env::var_os("PYTHONSTARTUP")
        .map(PathBuf::from)
        .filter(|p| p.is_file())
        .into_iter()
        .collect();
    let dir = profile_dir(cli).path().join("startup");
    let mut in_profile: Vec<PathBuf> = std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "py" || e == "ipy"))
        .collect();
    in_profile.sort();
    files.extend(in_profile);
    files
}

fn seconds(value: f64, what: &str) -> Result<Duration> {
    Duration::try_from_secs_f64(value)
        .with_context(|| format!("--{what}={value} is not a duration"))
}

fn config(cli: &Cli) -> Result<EngineConfig> {
    let mut config = EngineConfig::new(source(cli));
    config.location = cli.location.clone();
    config.requested_id = cli.id;
    config.registration_timeout = seconds(cli.timeout, "timeout")?;
    config.wait_for_file = seconds(cli.wait_for_file, "wait-for-file")?;
    config.missed_beats = if cli.missed_beats == 0 {
        u32::MAX
    } else {
        cli.missed_beats
    };
    let reconnect = seconds(cli.reconnect_timeout, "reconnect-timeout")?;
    config.on_controller_loss = if reconnect.is_zero() {
        OnControllerLoss::Exit
    } else {
        OnControllerLoss::Reconnect(reconnect)
    };
    config.worker.python = cli
        .python
        .clone()
        .or_else(|| std::env::var_os("PXENGINE_PYTHON").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("python3"));
    config.worker.cwd = cli.work_dir.clone();
    config.worker.ipython_colors = cli.colors.as_deref().map(str::to_lowercase);
    config.startup_files = startup_files(cli);
    config.startup_code = cli.startup_command.clone();
    for script in &cli.startup_script {
        let code = std::fs::read_to_string(script)
            .with_context(|| format!("reading the startup script {}", script.display()))?;
        config.startup_code.push(code);
    }
    Ok(config)
}

/// Passes the signals an engine acts on to it, as numbers.
fn forward_signals() -> Result<mpsc::UnboundedReceiver<i32>> {
    let (tx, rx) = mpsc::unbounded_channel();
    for (kind, number) in [
        (SignalKind::interrupt(), libc::SIGINT),
        (SignalKind::terminate(), libc::SIGTERM),
        (SignalKind::hangup(), libc::SIGHUP),
        (SignalKind::quit(), libc::SIGQUIT),
        (SignalKind::user_defined1(), libc::SIGUSR1),
        (SignalKind::user_defined2(), libc::SIGUSR2),
    ] {
        let mut stream = signal(kind).context("installing signal handlers")?;
        let tx = tx.clone();
        tokio::spawn(async move {
            while stream.recv().await.is_some() {
                if tx.send(number).is_err() {
                    return;
                }
            }
        });
    }
    Ok(rx)
}

async fn serve(cli: Cli) -> Result<Exit> {
    let config = config(&cli)?;
    let signals = forward_signals()?;
    Ok(run(config, signals).await?)
}

fn main() {
    let sorted = sort_args(std::env::args().skip(1));
    let cli = Cli::parse_from(std::iter::once("pxengine".to_owned()).chain(sorted.kept));
    let filter = std::env::var("PXENGINE_LOG")
        .unwrap_or_else(|_| filter_for(cli.log_level.as_deref(), cli.debug));
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_new(&filter)
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    for arg in &sorted.ignored {
        tracing::info!("ignoring {arg} (not used by pxengine)");
    }
    let result = tokio::runtime::Runtime::new()
        .context("starting the runtime")
        .and_then(|rt| rt.block_on(serve(cli)));
    match result {
        Ok(exit) => tracing::info!("engine stopped ({exit:?})"),
        Err(e) => {
            eprintln!("pxengine: {e:#}");
            std::process::exit(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(args: &[&str]) -> Sorted {
        sort_args(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn stock_forms_of_known_options_are_kept() {
        let s = sorted(&[
            "--profile-dir=/p",
            "--cluster-id",
            "abc",
            "-c",
            "import os",
            "--log-level=DEBUG",
            "--debug",
        ]);
        assert_eq!(
            s.kept,
            [
                "--profile-dir=/p",
                "--cluster-id=abc",
                "--c=import os",
                "--log-level=DEBUG",
                "--debug"
            ]
        );
        assert!(s.ignored.is_empty());
    }

    #[test]
    fn traits_map_to_options_or_are_set_aside() {
        let s = sorted(&[
            "--IPEngine.url_file='/x/e.json'",
            "--IPEngine.timeout=7",
            "--Session.debug=True",
            "--mpi",
            "--ssh=host",
        ]);
        assert_eq!(s.kept, ["--file=/x/e.json", "--timeout=7"]);
        assert_eq!(s.ignored, ["--Session.debug=True", "--mpi", "--ssh=host"]);
        // clap accepts what is kept.
        let cli =
            Cli::try_parse_from(std::iter::once("pxengine".to_owned()).chain(s.kept)).unwrap();
        assert_eq!(cli.file, Some(PathBuf::from("/x/e.json")));
        assert_eq!(cli.timeout, 7.0);
    }

    #[test]
    fn an_unknown_option_takes_its_value_along() {
        let s = sorted(&["--url", "tcp://x:1", "--timeout", "3"]);
        assert_eq!(s.ignored, ["--url tcp://x:1"]);
        assert_eq!(s.kept, ["--timeout=3"]);
    }

    #[test]
    fn log_levels_read_as_stock_spells_them() {
        assert!(filter_for(Some("DEBUG"), false).contains("px_engine=debug"));
        assert!(filter_for(Some("30"), false).contains("px_engine=warn"));
        assert!(filter_for(None, false).contains("px_engine=info"));
        assert!(filter_for(Some("ERROR"), true).contains("px_engine=debug"));
    }
}
