//! Driving pxsh in a real terminal: a private tmux server per session (`send-keys`,
//! `capture-pane`), killed with everything in it when the test ends, even on failure.

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::support::cluster::kill_marked;

/// Whether tmux can be run; tests skip (saying so) when it cannot.
pub fn available() -> bool {
    let found = Command::new("tmux")
        .arg("-V")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        eprintln!(
            "SKIPPED: tmux is not installed (apt-get install tmux; scripts/test.sh installs it when it can)"
        );
    }
    found
}

/// A tmux server with one 100×50 window running one command.
pub struct Tmux {
    socket: String,
    /// Everything started with this `IPYTHONDIR` is killed when the session ends.
    ipython_dir: std::path::PathBuf,
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

impl Tmux {
    /// Runs `args` (a program and its arguments) with `env` in a new terminal; after it
    /// exits the window shows `pxsh exited with STATUS` and stays open.
    pub fn start(args: &[&str], env: &[(&str, &Path)], ipython_dir: &Path) -> Tmux {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let socket = format!(
            "pxsh-test-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let env: Vec<String> = env
            .iter()
            .map(|(k, v)| format!("{k}={}", quote(&v.to_string_lossy())))
            .collect();
        let command: Vec<String> = args.iter().map(|a| quote(a)).collect();
        let script = format!(
            "env -u NO_COLOR -u PX_CLUSTER -u PX_PROFILE -u IPP_CLUSTER_ID {} {}; echo \"pxsh exited with $?\"; sleep 600",
            env.join(" "),
            command.join(" ")
        );
        let tmux = Tmux {
            socket,
            ipython_dir: ipython_dir.to_owned(),
        };
        let status = tmux
            .command()
            .args([
                "new-session",
                "-d",
                "-x",
                "100",
                "-y",
                "50",
                "sh",
                "-c",
                &script,
            ])
            .status()
            .expect("running tmux");
        assert!(status.success(), "tmux new-session failed");
        tmux
    }

    fn command(&self) -> Command {
        let mut cmd = Command::new("tmux");
        // No user configuration: default key bindings and window size behaviour.
        cmd.args(["-L", &self.socket, "-f", "/dev/null"]);
        cmd
    }

    /// Sends keys as `tmux send-keys` names them (`Enter`, `C-c`, `Up`, `Tab`).
    pub fn keys(&self, keys: &[&str]) {
        let status = self
            .command()
            .args(["send-keys", "-t", "0"])
            .args(keys)
            .status()
            .expect("tmux send-keys");
        assert!(status.success());
    }

    /// Types `text` literally, then Enter.
    pub fn line(&self, text: &str) {
        let status = self
            .command()
            .args(["send-keys", "-t", "0", "-l", text])
            .status()
            .expect("tmux send-keys");
        assert!(status.success());
        self.keys(&["Enter"]);
    }

    /// The screen and its scrollback, wrapped lines joined, trailing spaces kept (a
    /// prompt ends with one), trailing empty lines dropped.
    pub fn screen(&self) -> String {
        let out = self
            .command()
            .args(["capture-pane", "-p", "-J", "-N", "-t", "0", "-S", "-1000"])
            .output()
            .expect("tmux capture-pane");
        String::from_utf8_lossy(&out.stdout)
            .trim_end_matches('\n')
            .to_owned()
    }

    /// The visible screen with its colours, as tmux re-encodes them (`ESC[31m` …).
    pub fn screen_with_colours(&self) -> String {
        let out = self
            .command()
            .args(["capture-pane", "-p", "-e", "-t", "0"])
            .output()
            .expect("tmux capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits until `done(screen)` holds, polling; fails the test with the screen after
    /// `within`.
    pub fn wait_for(&self, within: Duration, what: &str, done: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + within;
        loop {
            let screen = self.screen();
            if done(&screen) {
                return screen;
            }
            if Instant::now() > deadline {
                panic!("timed out after {within:?} waiting for {what}; the screen:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until the screen contains `text`.
    pub fn wait_for_text(&self, within: Duration, text: &str) -> String {
        self.wait_for(within, &format!("{text:?}"), |s| s.contains(text))
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self
            .command()
            .arg("kill-server")
            .stderr(Stdio::null())
            .status();
        kill_marked(&self.ipython_dir);
    }
}
