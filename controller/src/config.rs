//! The controller's settings, from the command line and environment stock launchers use.
//!
//! Launchers and users pass `ipcontroller`'s traitlets-style arguments: aliases
//! (`--ping=1000`, `--ip 0.0.0.0`), flags (`--reuse`) and full trait names
//! (`--HeartMonitor.period=1000`). A clap parser would refuse the last form and any option we
//! do not implement, so this module reads the arguments itself: known settings are applied,
//! anything else is reported back as a warning for the log, never as a failure.

use std::path::PathBuf;
use std::time::Duration;

use px_wire::{ProfileDir, DEFAULT_SCHEME};

/// Everything the controller needs to start.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The interface the engine-facing sockets bind on.
    pub engine_ip: String,
    /// The interface the client-facing sockets bind on.
    pub client_ip: String,
    /// Written as `location` in the connection files (resolves wildcard interfaces).
    pub location: String,
    /// Ports to use before asking the system for free ones, in order.
    pub ports: Vec<u16>,
    /// The task scheduler's scheme name (`leastload`, `lru`, ..., `pure`, `none`).
    pub scheme: String,
    /// Most tasks outstanding per engine in the task scheduler; 0 = unlimited.
    pub hwm: usize,
    /// Heartbeat period.
    pub ping: Duration,
    /// Consecutive missed beats after which an engine is declared dead.
    pub max_heartmonitor_misses: u32,
    /// A registration without a heartbeat for this long is dropped.
    pub registration_timeout: Duration,
    /// Engine-facing broadcast leaves = 2^depth.
    pub broadcast_depth: u32,
    /// Whether results are kept for queries (`--nodb` turns it off).
    pub keep_results: bool,
    /// Most records kept by the result store.
    pub record_limit: usize,
    /// Most bytes of buffers kept by the result store.
    pub size_limit: usize,
    /// Share of completed records dropped at once when a limit is passed.
    pub cull_fraction: f64,
    /// Keep the connection files at exit and reuse their ports and key at start.
    pub reuse_files: bool,
    /// The HMAC key; `None` = a fresh random one.
    pub key: Option<String>,
    /// The HMAC scheme.
    pub signature_scheme: String,
    /// The controller's own session id (`--ident`).
    pub ident: Option<String>,
    /// The profile directory holding `security/` and `log/`.
    pub profile_dir: PathBuf,
    /// Names the connection files (`ipcontroller-<id>-client.json`).
    pub cluster_id: String,
    /// `tracing` filter directive.
    pub log_level: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            engine_ip: "127.0.0.1".to_owned(),
            client_ip: "127.0.0.1".to_owned(),
            location: String::new(),
            ports: Vec::new(),
            scheme: "leastload".to_owned(),
            hwm: 1,
            ping: Duration::from_millis(3000),
            max_heartmonitor_misses: 10,
            registration_timeout: Duration::ZERO,
            broadcast_depth: 1,
            keep_results: true,
            record_limit: 1024,
            size_limit: 1 << 30,
            cull_fraction: 0.1,
            reuse_files: false,
            key: None,
            signature_scheme: DEFAULT_SCHEME.to_owned(),
            ident: None,
            profile_dir: PathBuf::new(),
            cluster_id: String::new(),
            log_level: "info".to_owned(),
        }
    }
}

/// A command line the controller cannot run with.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ConfigError {
    /// An option that takes a value came last, without one.
    #[error("{0} needs a value")]
    MissingValue(String),
    /// A value of the wrong form.
    #[error("bad value for {option}: {value:?} ({expected})")]
    BadValue {
        /// The option as given.
        option: String,
        /// The value as given.
        value: String,
        /// What the option takes.
        expected: &'static str,
    },
    /// `--help`: not an error, but parsing stops.
    #[error("help requested")]
    Help,
}

/// What parsing gave: the settings, and what was ignored (for the log).
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    /// The settings.
    pub config: Config,
    /// One line per argument that was accepted but has no effect here.
    pub ignored: Vec<String>,
}

/// One setting an argument can name.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Setting {
    Ip,
    EngineIp,
    ClientIp,
    Location,
    Ports,
    Scheme,
    Hwm,
    Ping,
    MaxMisses,
    RegistrationTimeout,
    BroadcastDepth,
    RecordLimit,
    SizeLimit,
    CullFraction,
    Key,
    SignatureScheme,
    Ident,
    Profile,
    ProfileDir,
    IpythonDir,
    ClusterId,
    LogLevel,
    WorkDir,
    // Flags: no value.
    NoDb,
    DictDb,
    Reuse,
    Restore,
    Secure,
    NoSecure,
    Debug,
    Quiet,
}

impl Setting {
    fn takes_value(self) -> bool {
        !matches!(
            self,
            Setting::NoDb
                | Setting::DictDb
                | Setting::Reuse
                | Setting::Restore
                | Setting::Secure
                | Setting::NoSecure
                | Setting::Debug
                | Setting::Quiet
        )
    }
}

/// `ipcontroller`'s aliases and flags, and the trait names they stand for.
const NAMES: &[(&str, Setting)] = &[
    ("ip", Setting::Ip),
    ("IPController.ip", Setting::Ip),
    ("IPController.engine_ip", Setting::EngineIp),
    ("IPController.client_ip", Setting::ClientIp),
    ("location", Setting::Location),
    ("IPController.location", Setting::Location),
    ("ports", Setting::Ports),
    ("IPController.ports", Setting::Ports),
    ("scheme", Setting::Scheme),
    ("TaskScheduler.scheme_name", Setting::Scheme),
    ("hwm", Setting::Hwm),
    ("TaskScheduler.hwm", Setting::Hwm),
    ("ping", Setting::Ping),
    ("HeartMonitor.period", Setting::Ping),
    ("HeartMonitor.max_heartmonitor_misses", Setting::MaxMisses),
    (
        "IPController.registration_timeout",
        Setting::RegistrationTimeout,
    ),
    (
        "IPController.broadcast_scheduler_depth",
        Setting::BroadcastDepth,
    ),
    ("DictDB.record_limit", Setting::RecordLimit),
    ("DictDB.size_limit", Setting::SizeLimit),
    ("DictDB.cull_fraction", Setting::CullFraction),
    ("Session.key", Setting::Key),
    ("Session.signature_scheme", Setting::SignatureScheme),
    ("ident", Setting::Ident),
    ("Session.session", Setting::Ident),
    ("profile", Setting::Profile),
    ("BaseIPythonApplication.profile", Setting::Profile),
    ("profile-dir", Setting::ProfileDir),
    ("ProfileDir.location", Setting::ProfileDir),
    ("ipython-dir", Setting::IpythonDir),
    ("cluster-id", Setting::ClusterId),
    ("BaseParallelApplication.cluster_id", Setting::ClusterId),
    ("log-level", Setting::LogLevel),
    ("Application.log_level", Setting::LogLevel),
    ("work-dir", Setting::WorkDir),
    ("nodb", Setting::NoDb),
    ("dictdb", Setting::DictDb),
    ("reuse", Setting::Reuse),
    ("restore", Setting::Restore),
    ("secure", Setting::Secure),
    ("no-secure", Setting::NoSecure),
    ("debug", Setting::Debug),
    ("quiet", Setting::Quiet),
];

/// Options of stock's that take a value and have no effect here; their value is skipped
/// so it is not mistaken for an argument.
const IGNORED_WITH_VALUE: &[&str] = &[
    "transport",
    "port",
    "ssh",
    "enginessh",
    "keyfile",
    "user",
    "log-url",
    "config",
    "mongodb",
];

/// The usage text for `--help`.
pub const USAGE: &str = "\
pxcontroller: the hub and schedulers of a Parallel (Rust) cluster (ipcontroller's drop-in).

Options (also accepted in ipcontroller's --Class.trait=value form):
  --ip=IP              interface for engines and clients (127.0.0.1)
  --location=HOST      written in the connection files
  --ports=A-B|A,B,...  ports to use first
  --scheme=NAME        task scheduler: leastload (default), lru, plainrandom, twobin,
                       weighted, pure, none
  --hwm=N              most tasks outstanding per engine (1; 0 = no limit)
  --ping=MS            heartbeat period in ms (3000)
  --nodb               keep no results for queries
  --reuse              keep the connection files and reuse their ports and key
  --secure / --no-secure   fresh random key (default) / signing off
  --profile=NAME, --profile-dir=DIR, --ipython-dir=DIR, --cluster-id=ID
  --log-level=LEVEL    error, warn, info (default), debug, trace, or 0-50
Environment: IPP_CLUSTER_ID, IPP_PROFILE_DIR, IPP_SESSION_KEY.
";

fn lookup(name: &str) -> Option<Setting> {
    NAMES.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
}

/// Reads `args` (without the program name) and `env` (a variable lookup).
pub fn parse(args: &[String], env: impl Fn(&str) -> Option<String>) -> Result<Parsed, ConfigError> {
    let mut config = Config::default();
    let mut ignored = Vec::new();
    let mut profile: Option<String> = None;
    let mut profile_dir: Option<PathBuf> = env("IPP_PROFILE_DIR").map(PathBuf::from);
    let mut ipython_dir: Option<PathBuf> = None;
    let mut cluster_id: Option<String> = None;
    let mut secure: Option<bool> = None;
    let mut ip: Option<String> = None;
    let mut iter = args.iter().peekable();
    while let Some(arg) = iter.next() {
        if arg == "-h" || arg == "--help" || arg == "--help-all" {
            return Err(ConfigError::Help);
        }
        let Some(body) = arg.strip_prefix("--") else {
            ignored.push(format!("argument {arg:?}"));
            continue;
        };
        let (name, inline) = match body.split_once('=') {
            Some((n, v)) => (n, Some(v.to_owned())),
            None => (body, None),
        };
        let Some(setting) = lookup(name) else {
            // `--name value` of an option we skip: take its value with it.
            let skips_value =
                IGNORED_WITH_VALUE.contains(&name) || (name.contains('.') && inline.is_none());
            if inline.is_none() && skips_value {
                if let Some(next) = iter.next_if(|n| !n.starts_with("--")) {
                    ignored.push(format!("--{name} {next}"));
                    continue;
                }
            }
            ignored.push(arg.clone());
            continue;
        };
        if !setting.takes_value() {
            apply_flag(&mut config, setting, &mut secure);
            continue;
        }
        let value = match inline {
            Some(v) => v,
            None => iter
                .next()
                .cloned()
                .ok_or_else(|| ConfigError::MissingValue(arg.clone()))?,
        };
        let value = unquote(&value);
        let bad = |expected| ConfigError::BadValue {
            option: format!("--{name}"),
            value: value.clone(),
            expected,
        };
        match setting {
            Setting::Ip => ip = Some(value.clone()),
            Setting::EngineIp => config.engine_ip = value.clone(),
            Setting::ClientIp => config.client_ip = value.clone(),
            Setting::Location => config.location = value.clone(),
            Setting::Ports => {
                config.ports = parse_ports(&value).ok_or_else(|| bad("a-b or a,b,..."))?
            }
            Setting::Scheme => config.scheme = value.clone(),
            Setting::Hwm => config.hwm = value.parse().map_err(|_| bad("a count"))?,
            Setting::Ping => {
                let ms: u64 = value.parse().map_err(|_| bad("milliseconds"))?;
                if ms == 0 {
                    return Err(bad("milliseconds above 0"));
                }
                config.ping = Duration::from_millis(ms);
            }
            Setting::MaxMisses => {
                config.max_heartmonitor_misses = value.parse().map_err(|_| bad("a count"))?
            }
            Setting::RegistrationTimeout => {
                let secs: f64 = value.parse().map_err(|_| bad("seconds"))?;
                if !(0.0..1e9).contains(&secs) {
                    return Err(bad("seconds"));
                }
                config.registration_timeout = Duration::from_secs_f64(secs);
            }
            Setting::BroadcastDepth => {
                let depth: u32 = value.parse().map_err(|_| bad("a depth of 0 to 8"))?;
                if depth > 8 {
                    return Err(bad("a depth of 0 to 8"));
                }
                config.broadcast_depth = depth;
            }
            Setting::RecordLimit => {
                config.record_limit = value.parse().map_err(|_| bad("a count"))?
            }
            Setting::SizeLimit => config.size_limit = value.parse().map_err(|_| bad("bytes"))?,
            Setting::CullFraction => {
                let f: f64 = value.parse().map_err(|_| bad("a fraction"))?;
                if !(f > 0.0 && f <= 1.0) {
                    return Err(bad("a fraction above 0, at most 1"));
                }
                config.cull_fraction = f;
            }
            Setting::Key => config.key = Some(value.clone()),
            Setting::SignatureScheme => config.signature_scheme = value.clone(),
            Setting::Ident => config.ident = Some(value.clone()),
            Setting::Profile => profile = Some(value.clone()),
            Setting::ProfileDir => profile_dir = Some(PathBuf::from(&value)),
            Setting::IpythonDir => ipython_dir = Some(PathBuf::from(&value)),
            Setting::ClusterId => cluster_id = Some(value.clone()),
            Setting::LogLevel => {
                config.log_level = log_filter(&value).ok_or_else(|| bad("a log level"))?
            }
            Setting::WorkDir => ignored.push(format!(
                "--{name}={value} (the working directory is the launcher's)"
            )),
            // Flags take no value; they were applied above.
            _ => {}
        }
    }
    if let Some(ip) = ip {
        config.engine_ip = ip.clone();
        config.client_ip = ip;
    }
    config.cluster_id = cluster_id
        .or_else(|| env("IPP_CLUSTER_ID"))
        .unwrap_or_default();
    config.profile_dir = match (profile_dir, ipython_dir) {
        (Some(dir), _) => dir,
        (None, Some(ipython)) => ipython.join(format!(
            "profile_{}",
            profile.as_deref().unwrap_or(px_wire::DEFAULT_PROFILE)
        )),
        (None, None) => ProfileDir::named(profile.as_deref().unwrap_or(px_wire::DEFAULT_PROFILE))
            .path()
            .to_owned(),
    };
    match secure {
        Some(false) => config.key = Some(String::new()),
        Some(true) => config.key = None,
        None => {
            if config.key.is_none() {
                config.key = env("IPP_SESSION_KEY");
            }
        }
    }
    Ok(Parsed { config, ignored })
}

fn apply_flag(config: &mut Config, setting: Setting, secure: &mut Option<bool>) {
    match setting {
        Setting::NoDb => config.keep_results = false,
        Setting::DictDb => config.keep_results = true,
        Setting::Reuse | Setting::Restore => config.reuse_files = true,
        Setting::Secure => *secure = Some(true),
        Setting::NoSecure => *secure = Some(false),
        Setting::Debug => config.log_level = "debug".to_owned(),
        Setting::Quiet => config.log_level = "warn".to_owned(),
        _ => {}
    }
}

/// Traitlets values on the command line may be Python string literals (`--ip='*'`).
fn unquote(value: &str) -> String {
    let v = value.trim();
    for q in ['"', '\''] {
        if v.len() >= 2 && v.starts_with(q) && v.ends_with(q) {
            return v[1..v.len() - 1].to_owned();
        }
    }
    v.to_owned()
}

/// `a-b` (inclusive) or `a,b,c` (also Python's `[a, b]`).
fn parse_ports(value: &str) -> Option<Vec<u16>> {
    let v = value.trim_matches(|c| c == '[' || c == ']' || c == '(' || c == ')');
    if let Some((a, b)) = v.split_once('-') {
        let (a, b): (u16, u16) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
        return (a <= b).then(|| (a..=b).collect());
    }
    v.split(',')
        .filter(|p| !p.trim().is_empty())
        .map(|p| p.trim().parse().ok())
        .collect()
}

/// A `tracing` filter for a Python log level name or number.
fn log_filter(value: &str) -> Option<String> {
    let level = match value.to_ascii_uppercase().as_str() {
        "CRITICAL" | "50" | "ERROR" | "40" => "error",
        "WARN" | "WARNING" | "30" => "warn",
        "INFO" | "20" => "info",
        "DEBUG" | "10" => "debug",
        "TRACE" | "0" | "NOTSET" => "trace",
        _ => return None,
    };
    Some(level.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn stock_launcher_arguments_and_environment_are_understood() {
        let env = |name: &str| match name {
            "IPP_CLUSTER_ID" => Some("abc".to_owned()),
            "IPP_PROFILE_DIR" => Some("/tmp/prof".to_owned()),
            _ => None,
        };
        let parsed = parse(
            &args(&["--ip=127.0.0.1", "--ping=1000", "--log-level=20"]),
            env,
        )
        .unwrap();
        let c = parsed.config;
        assert_eq!(c.cluster_id, "abc");
        assert_eq!(c.profile_dir, PathBuf::from("/tmp/prof"));
        assert_eq!(c.ping, Duration::from_millis(1000));
        assert_eq!(c.log_level, "info");
        assert!(parsed.ignored.is_empty(), "{:?}", parsed.ignored);
    }

    #[test]
    fn trait_names_aliases_with_spaces_and_quoted_values_work() {
        let parsed = parse(
            &args(&[
                "--HeartMonitor.period=500",
                "--TaskScheduler.hwm",
                "0",
                "--scheme",
                "lru",
                "--ip='*'",
                "--DictDB.record_limit=10",
                "--cluster-id=x",
            ]),
            no_env,
        )
        .unwrap();
        let c = parsed.config;
        assert_eq!(c.ping, Duration::from_millis(500));
        assert_eq!(c.hwm, 0);
        assert_eq!(c.scheme, "lru");
        assert_eq!((c.engine_ip.as_str(), c.client_ip.as_str()), ("*", "*"));
        assert_eq!(c.record_limit, 10);
        assert_eq!(c.cluster_id, "x");
    }

    #[test]
    fn unknown_options_are_reported_not_refused_and_keep_their_values() {
        let parsed = parse(
            &args(&[
                "--IPController.use_threads=True",
                "--transport",
                "tcp",
                "--log-to-file",
                "--nodb",
            ]),
            no_env,
        )
        .unwrap();
        assert_eq!(
            parsed.ignored,
            [
                "--IPController.use_threads=True",
                "--transport tcp",
                "--log-to-file"
            ]
        );
        assert!(!parsed.config.keep_results);
    }

    #[test]
    fn bad_values_name_the_option() {
        let err = parse(&args(&["--ping=soon"]), no_env).unwrap_err();
        assert_eq!(
            err.to_string(),
            "bad value for --ping: \"soon\" (milliseconds)"
        );
        assert_eq!(
            parse(&args(&["--hwm"]), no_env).unwrap_err(),
            ConfigError::MissingValue("--hwm".into())
        );
        assert!(parse(&args(&["--ports=9-3"]), no_env).is_err());
    }

    #[test]
    fn keys_come_from_the_environment_unless_secure_flags_say_otherwise() {
        let env = |name: &str| (name == "IPP_SESSION_KEY").then(|| "k1".to_owned());
        assert_eq!(parse(&[], env).unwrap().config.key.as_deref(), Some("k1"));
        assert_eq!(
            parse(&args(&["--no-secure"]), env)
                .unwrap()
                .config
                .key
                .as_deref(),
            Some("")
        );
        assert_eq!(parse(&args(&["--secure"]), env).unwrap().config.key, None);
    }

    #[test]
    fn port_lists_and_ranges() {
        assert_eq!(parse_ports("21000-21002"), Some(vec![21000, 21001, 21002]));
        assert_eq!(parse_ports("[5, 6]"), Some(vec![5, 6]));
        assert_eq!(parse_ports("x"), None);
    }
}
