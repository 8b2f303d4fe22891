//! pxsh in a real terminal (tmux): the prompt, `%px` on every engine, a multi-line
//! `%%px` cell, `%autopx`, Ctrl-C during a long `%px`, history across sessions, Ctrl-D,
//! and bad input — each against a stock cluster, as a user would type it.
//!
//! Skipped, with a message, when tmux is not installed.

#[path = "../../client/tests/support/mod.rs"]
mod support;

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::tmux::{self, Tmux};
use common::{cluster, PXSH};
use support::cluster::{cluster_processes, python, StockCluster};

/// How long pxsh may take to show its first prompt (it starts a Python with IPython).
const START: Duration = Duration::from_secs(60);
/// How long a cell on the engines may take to show its output.
const CELL: Duration = Duration::from_secs(30);

/// pxsh on `cluster` in a terminal, with `home` as its `IPYTHONDIR` and data home (so
/// its history is in `home/pxsh/history`).
fn pxsh_on(cluster: &StockCluster, home: &Path) -> Tmux {
    pxsh_with(cluster, home, &[], &[])
}

/// [`pxsh_on`] with more arguments and environment variables.
fn pxsh_with(cluster: &StockCluster, home: &Path, args: &[&str], env: &[(&str, &Path)]) -> Tmux {
    let python = python().to_string_lossy().into_owned();
    let file = cluster.client_file().to_string_lossy().into_owned();
    let mut command = vec![PXSH, "--python", &python, "--file", &file];
    command.extend_from_slice(args);
    let mut vars = vec![("IPYTHONDIR", home), ("XDG_DATA_HOME", home)];
    vars.extend_from_slice(env);
    let session = Tmux::start(&command, &vars, home);
    session.wait_for_text(START, "In [1]: ");
    session
}

/// Whether `screen` shows, after `after`, a `[stdout:N]` header followed by a line `text`
/// for every engine.
fn every_engine_printed(screen: &str, after: &str, ids: &[u32], text: &str) -> bool {
    let Some(start) = screen.rfind(after) else {
        return false;
    };
    let lines: Vec<&str> = screen[start..].lines().map(str::trim_end).collect();
    ids.iter().all(|id| {
        let header = format!("[stdout:{id}]");
        lines.windows(2).any(|w| w[0] == header && w[1] == text)
    })
}

#[test]
fn a_prompt_appears_and_px_prints_on_every_engine() {
    if !tmux::available() {
        return;
    }
    let cluster = cluster();
    let home = tempfile::tempdir().unwrap();
    let term = pxsh_on(&cluster, home.path());
    term.line("%px print('hi')");
    let ids = cluster.ids();
    let screen = term.wait_for(CELL, "[stdout:N] hi on every engine", |s| {
        every_engine_printed(s, "In [1]: %px print('hi')", &ids, "hi")
    });
    term.wait_for_text(CELL, "In [2]: ");
    assert!(!screen.contains("panicked"), "{screen}");
}

#[test]
fn a_multiline_cellpx_cell_runs_grouped_by_engine() {
    if !tmux::available() {
        return;
    }
    let cluster = cluster();
    let home = tempfile::tempdir().unwrap();
    let term = pxsh_on(&cluster, home.path());
    term.line("%%px --group-outputs=engine");
    term.wait_for_text(CELL, "   ...: ");
    term.line("import os");
    term.line("for i in range(2):");
    // The continuation comes indented; the body needs no indent of its own.
    term.wait_for_text(CELL, "   ...:     ");
    term.line("print('row', i)");
    term.keys(&["BSpace", "BSpace", "BSpace", "BSpace"]);
    term.line("print('pid', os.getpid() > 0)");
    term.line("");
    let ids = cluster.ids();
    let screen = term.wait_for(CELL, "the cell's output", |s| {
        every_engine_printed(s, "%%px --group-outputs=engine", &ids, "row 0")
            && s.contains("In [2]: ")
    });
    assert!(screen.contains("   ...:     print('row', i)"), "{screen}");
    for id in ids {
        // Stock's terminal header: the label and a space, on a line of its own.
        let block = format!("[stdout:{id}] \nrow 0\nrow 1\npid True\n");
        assert!(screen.contains(&block), "no {block:?} in:\n{screen}");
    }
}

#[test]
fn autopx_on_two_lines_then_off() {
    if !tmux::available() {
        return;
    }
    let cluster = cluster();
    let home = tempfile::tempdir().unwrap();
    let term = pxsh_on(&cluster, home.path());
    term.line("%autopx");
    term.wait_for_text(CELL, "%autopx enabled");
    // The prompt says where the code goes.
    term.wait_for_text(CELL, "In [2]/px: ");
    term.line("a = 7");
    term.wait_for_text(CELL, "In [3]/px: ");
    term.line("print(a * 6)");
    let ids = cluster.ids();
    term.wait_for(CELL, "42 from every engine", |s| {
        every_engine_printed(s, "In [3]/px: print(a * 6)", &ids, "42")
    });
    term.wait_for_text(CELL, "In [4]/px: ");
    term.line("%autopx");
    term.wait_for_text(CELL, "%autopx disabled");
    let screen = term.wait_for_text(CELL, "In [5]: ");
    // `a` lives on the engines, not here.
    term.line("a");
    let screen_after = term.wait_for_text(CELL, "In [6]: ");
    assert!(!screen.contains("In [5]/px"), "{screen}");
    assert!(screen_after.contains("NameError"), "{screen_after}");
}

#[test]
fn ctrl_c_during_px_returns_to_the_prompt_and_frees_the_engines() {
    if !tmux::available() {
        return;
    }
    let cluster = cluster();
    let home = tempfile::tempdir().unwrap();
    let term = pxsh_on(&cluster, home.path());
    term.line("%px import time; time.sleep(30)");
    // Let the request reach the engines.
    std::thread::sleep(Duration::from_millis(1500));
    let pressed = Instant::now();
    term.keys(&["C-c"]);
    term.wait_for_text(Duration::from_secs(5), "In [2]: ");
    let took = pressed.elapsed();
    assert!(
        took < Duration::from_secs(2),
        "back at the prompt after {took:?}"
    );
    let screen = term.screen();
    assert!(
        screen.contains("Received Keyboard Interrupt. Sending signal SIGINT to engines..."),
        "{screen}"
    );
    // The engines are free: a new cell runs at once (a request queued behind the
    // interrupted one may be aborted, as in stock, so ask until one answers).
    let ids = cluster.ids();
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut n = 2;
    loop {
        term.line("%px print('free')");
        let prompt = format!("In [{n}]: %px print('free')");
        let next = format!("In [{}]: ", n + 1);
        let screen = term.wait_for_text(CELL, &next);
        if every_engine_printed(&screen, &prompt, &ids, "free") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the engines stay busy:\n{screen}"
        );
        n += 1;
    }
}

#[test]
fn input_and_getpass_read_the_terminal_and_ctrl_c_ends_a_wait() {
    if !tmux::available() {
        return;
    }
    let cluster = cluster();
    let home = tempfile::tempdir().unwrap();
    let term = pxsh_on(&cluster, home.path());
    term.line("name = input('who? ')");
    // Typed once the question shows, as a user would (typed ahead, the editor has it).
    term.wait_for(CELL, "the question", |s| s.ends_with("\nwho? "));
    term.line("Ada");
    term.wait_for_text(CELL, "In [2]: ");
    term.line("print('hi', name)");
    term.wait_for_text(CELL, "hi Ada");
    term.line("import getpass; secret = getpass.getpass('pw: ')");
    term.wait_for(CELL, "the question", |s| s.ends_with("\npw: "));
    term.line("hunter2");
    term.wait_for_text(CELL, "In [4]: ");
    term.line("print('length', len(secret))");
    let screen = term.wait_for_text(CELL, "length 7");
    assert!(
        !screen.contains("hunter2"),
        "the password was echoed:\n{screen}"
    );
    // Ctrl-C while input() waits: stock's KeyboardInterrupt, and the next line typed goes
    // to the prompt, not to a reader left behind.
    term.line("x = input('never? ')");
    term.wait_for(CELL, "the question", |s| s.ends_with("\nnever? "));
    term.keys(&["C-c"]);
    term.wait_for_text(CELL, "In [6]: ");
    term.line("print('after', 1 + 1)");
    let screen = term.wait_for_text(CELL, "after 2");
    let interrupted = &screen[screen.find("never? ").unwrap()..];
    assert!(
        interrupted.contains("----> 1 x = input('never? ')\n\nKeyboardInterrupt: "),
        "{interrupted}"
    );
    assert!(!interrupted.contains("px_worker"), "{interrupted}");
}

#[test]
fn up_arrow_recalls_history_across_sessions() {
    if !tmux::available() {
        return;
    }
    let cluster = cluster();
    let home = tempfile::tempdir().unwrap();
    {
        let first = pxsh_on(&cluster, home.path());
        first.line("from_last_time = 41");
        first.wait_for_text(CELL, "In [2]: ");
        first.keys(&["C-d"]);
        first.wait_for_text(CELL, "pxsh exited with 0");
    }
    assert!(home.path().join("pxsh/history").exists());
    let second = pxsh_on(&cluster, home.path());
    second.keys(&["Up"]);
    second.wait_for_text(CELL, "In [1]: from_last_time = 41");
    second.keys(&["Enter"]);
    second.wait_for_text(CELL, "In [2]: ");
    second.line("from_last_time + 1");
    second.wait_for_text(CELL, "Out[2]: 42");
}

#[test]
fn bad_input_gives_a_message_and_a_fresh_prompt() {
    if !tmux::available() {
        return;
    }
    let cluster = cluster();
    let home = tempfile::tempdir().unwrap();
    let term = pxsh_on(&cluster, home.path());
    term.line("print(1))");
    term.wait_for_text(CELL, "SyntaxError");
    term.wait_for_text(CELL, "In [2]: ");
    // Unbalanced: the cell continues; Ctrl-C drops it.
    term.line("print((1)");
    term.wait_for_text(CELL, "   ...: ");
    term.keys(&["C-c"]);
    // The dropped cell did not count: a fresh prompt of the same number.
    term.wait_for(CELL, "a fresh In [2]", |s| {
        s.matches("In [2]: ").count() == 2
    });
    term.line("%nosuchmagic");
    term.wait_for_text(
        CELL,
        "UsageError: Line magic function `%nosuchmagic` not found.",
    );
    term.wait_for_text(CELL, "In [3]: ");
    term.line("%%px --bogus");
    term.line("pass");
    term.line("");
    term.wait_for_text(CELL, "UsageError: unrecognized arguments: --bogus");
    term.wait_for_text(CELL, "In [4]: ");
    term.line("%result -2");
    term.wait_for_text(CELL, "UsageError: unrecognized arguments: -2");
    let screen = term.wait_for_text(CELL, "In [5]: ");
    assert!(
        !screen.contains("panicked") && !screen.contains("pxsh exited"),
        "{screen}"
    );
}

#[test]
fn tab_completes_magics_flags_and_local_names() {
    if !tmux::available() {
        return;
    }
    let cluster = cluster();
    let home = tempfile::tempdir().unwrap();
    let term = pxsh_on(&cluster, home.path());
    term.line("a_long_local_name = 1");
    term.wait_for_text(CELL, "In [2]: ");
    term.keys(&["a_long_lo", "Tab"]);
    term.wait_for_text(CELL, "In [2]: a_long_local_name");
    term.keys(&["C-u", "%autop", "Tab"]);
    term.wait_for_text(CELL, "In [2]: %autopx");
    term.keys(&["C-u", "%%px --group-o", "Tab"]);
    term.wait_for_text(CELL, "In [2]: %%px --group-outputs");
}

#[test]
fn ctrl_d_exits_0_and_stops_the_cluster_it_started() {
    if !tmux::available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let python = python();
    let term = Tmux::start(
        &[PXSH, "--python", &python.to_string_lossy(), "-n", "2"],
        &[("IPYTHONDIR", dir.path()), ("XDG_DATA_HOME", dir.path())],
        dir.path(),
    );
    term.wait_for_text(
        Duration::from_secs(120),
        "Started a local cluster with 2 engines",
    );
    term.wait_for_text(START, "In [1]: ");
    term.line("%px print('up')");
    term.wait_for(CELL, "output of both engines", |s| {
        every_engine_printed(s, "%px print('up')", &[0, 1], "up")
    });
    assert!(!cluster_processes(dir.path(), "").is_empty());
    term.keys(&["C-d"]);
    term.wait_for_text(Duration::from_secs(30), "pxsh exited with 0");
    // Everything pxsh started carries its IPYTHONDIR: the local Python, the cluster.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !cluster_processes(dir.path(), "").is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    let left = cluster_processes(dir.path(), "");
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn a_slow_px_shows_a_progress_bar_that_goes_when_the_output_prints() {
    if !tmux::available() {
        return;
    }
    let cluster = cluster();
    let home = tempfile::tempdir().unwrap();
    let term = pxsh_with(&cluster, home.path(), &["--progress-after", "0.5"], &[]);
    term.line("%px import time; time.sleep(3); print('slept')");
    let during = term.wait_for_text(CELL, "0/2 engines done");
    assert!(during.contains("%px "), "{during}");
    let ids = cluster.ids();
    let after = term.wait_for(CELL, "the output", |s| {
        every_engine_printed(s, "In [1]: ", &ids, "slept") && s.contains("In [2]: ")
    });
    assert!(!after.contains("engines done"), "the bar stayed:\n{after}");
}

#[test]
fn colour_on_a_terminal_and_none_with_no_color() {
    if !tmux::available() {
        return;
    }
    let cluster = cluster();
    let home = tempfile::tempdir().unwrap();
    let coloured = pxsh_on(&cluster, home.path());
    coloured.line("%px 6 * 7");
    coloured.wait_for_text(CELL, "In [2]: ");
    let screen = coloured.screen_with_colours();
    // Out[N:k] in IPython's red, the prompt in its green, the code highlighted.
    assert!(screen.contains("\u{1b}[31mOut[0:"), "{screen:?}");
    assert!(screen.contains("\u{1b}[32mIn ["), "{screen:?}");
    drop(coloured);

    let no_color = Path::new("1");
    let plain = pxsh_with(&cluster, home.path(), &[], &[("NO_COLOR", no_color)]);
    plain.line("%px 6 * 7");
    plain.line("1/0");
    plain.wait_for_text(CELL, "In [3]: ");
    let screen = plain.screen_with_colours();
    assert!(screen.contains("Out[0:"), "{screen:?}");
    assert!(screen.contains("ZeroDivisionError"), "{screen:?}");
    assert!(!screen.contains('\u{1b}'), "{screen:?}");
}

#[test]
fn a_lost_cluster_is_a_message_and_a_fresh_prompt() {
    if !tmux::available() {
        return;
    }
    // Not the shared cluster: this one is stopped half-way. The guard keeps the tests
    // one at a time all the same.
    let _one_at_a_time = cluster();
    let doomed = StockCluster::start(2);
    let home = tempfile::tempdir().unwrap();
    let term = pxsh_on(&doomed, home.path());
    term.line("%px print('hi')");
    let ids = doomed.ids();
    term.wait_for(CELL, "hi from every engine", |s| {
        every_engine_printed(s, "In [1]: ", &ids, "hi") && s.contains("In [2]: ")
    });
    drop(doomed);
    term.line("%px print('again')");
    let screen = term.wait_for_text(Duration::from_secs(60), "In [3]: ");
    let after = &screen[screen.find("In [2]: ").unwrap_or(0)..];
    assert!(
        after.contains("The cluster is gone"),
        "no message:\n{after}"
    );
    // The shell goes on.
    term.line("print('local', 1 + 1)");
    let screen = term.wait_for_text(CELL, "local 2");
    assert!(
        !screen.contains("panicked") && !screen.contains("pxsh exited"),
        "{screen}"
    );
}
