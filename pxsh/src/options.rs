//! pxsh's command line.

use std::path::PathBuf;

use clap::Parser;
use px_cluster::ClusterFinder;

/// pxsh: Python locally, `%px` / `%%px` / `%autopx` / `%result` / `%pxconfig` on a cluster's
/// engines.
///
/// Without `-c` or FILE, and with a terminal on stdin, pxsh is an interactive shell;
/// otherwise it runs the cells it is given and exits with status 1 if any of them raised.
#[derive(Debug, Clone, Parser)]
#[command(name = "pxsh", version, about, long_about = None)]
pub struct Options {
    /// Run CODE (its cells, as in a script) and exit.
    #[arg(short = 'c', value_name = "CODE", conflicts_with = "script")]
    pub command: Option<String>,

    /// Run the cells of this script and exit (`-` reads stdin). Cells are separated as
    /// in an IPython script: each `%` magic line is a cell, a `%%` cell magic runs to the
    /// next blank line, and `# %%` lines separate cells explicitly.
    #[arg(value_name = "FILE")]
    pub script: Option<PathBuf>,

    /// Connect to the running cluster of this IPython profile.
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,

    /// Connect to the cluster of this file: a client connection file
    /// (`ipcontroller-client.json`) or a cluster file (`cluster-<id>.json`).
    #[arg(long = "file", value_name = "PATH", conflicts_with_all = ["profile", "engines"])]
    pub connection_file: Option<PathBuf>,

    /// Start a local cluster of N engines now (stopped when pxsh exits), instead of
    /// using a running one.
    #[arg(short = 'n', long = "engines", value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub engines: Option<u16>,

    /// The Python that runs local code and, with its ipyparallel, a started cluster.
    #[arg(long, value_name = "PATH", default_value = "python3")]
    pub python: PathBuf,

    /// Plain output: no colours, no highlighting (also when NO_COLOR is set, or stdout is
    /// not a terminal).
    #[arg(long = "no-color")]
    pub no_color: bool,

    /// Seconds a blocking %px may run before a progress bar shows (negative: never).
    #[arg(
        long = "progress-after",
        value_name = "SECONDS",
        allow_negative_numbers = true
    )]
    pub progress_after: Option<f64>,

    /// Where the interactive history is kept (default: pxsh/history in the XDG data dir).
    #[arg(long = "history-file", value_name = "PATH")]
    pub history_file: Option<PathBuf>,
}

impl Options {
    /// Whether colour is wanted, given whether stdout is a terminal: never with
    /// `--no-color` or a non-empty `NO_COLOR` (no-color.org).
    pub fn color(&self, stdout_is_terminal: bool) -> bool {
        let no_color_env = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        stdout_is_terminal && !self.no_color && !no_color_env
    }
}

impl Options {
    /// Where the session's engines come from: `--file`, else `-n` (a cluster started
    /// now, in `--profile` if given), else `--profile`'s running cluster, else the
    /// environment's or default profile's, started when none is running.
    pub fn cluster_finder(&self) -> ClusterFinder {
        let finder = ClusterFinder::new(self.python.clone()).owned_by("pxsh");
        if let Some(file) = &self.connection_file {
            finder.looking_at(px_cluster::source_for_file(file))
        } else if let Some(n) = self.engines {
            finder.starting(usize::from(n), self.profile.clone())
        } else if let Some(profile) = &self.profile {
            finder.in_profile(profile.clone())
        } else {
            finder
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Options, clap::Error> {
        Options::try_parse_from(std::iter::once("pxsh").chain(args.iter().copied()))
    }

    #[test]
    fn options_parse_as_documented() {
        let o = parse(&["-n", "4", "--python", "/py", "-c", "%px 1"]).unwrap();
        assert_eq!(o.engines, Some(4));
        assert_eq!(o.command.as_deref(), Some("%px 1"));
        assert_eq!(o.python, PathBuf::from("/py"));
        let o = parse(&["script.ipy", "--progress-after", "-1"]).unwrap();
        assert_eq!(o.script, Some(PathBuf::from("script.ipy")));
        assert_eq!(o.progress_after, Some(-1.0));
    }

    #[test]
    fn contradictory_options_are_refused() {
        assert!(parse(&["--file", "x.json", "-n", "2"]).is_err());
        assert!(parse(&["--file", "x.json", "--profile", "p"]).is_err());
        assert!(parse(&["-c", "1", "script.py"]).is_err());
        assert!(parse(&["-n", "0"]).is_err());
    }
}
