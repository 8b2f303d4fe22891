//! pxsh without a terminal: `-c CODE`, `FILE` and piped stdin run their cells on the local
//! Python and a stock cluster's engines, and the exit status says whether any raised.

#[path = "../../client/tests/support/mod.rs"]
mod support;

mod common;

use common::{cluster, pxsh, pxsh_in, run, script, texts};

/// `[stdout:N] ` on its own line then `text`, for every engine (any order), as IPython's
/// terminal streams it.
fn assert_each_engine_printed(stdout: &str, ids: &[u32], text: &str) {
    for id in ids {
        let block = format!("[stdout:{id}] \n{text}\n");
        assert!(stdout.contains(&block), "no {block:?} in:\n{stdout}");
    }
}

/// What a pxsh run on the shared stock cluster left: its exit code, its output, and the
/// cluster's engine ids.
struct Ran {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    ids: Vec<u32>,
}

/// Runs pxsh with `args` on the shared stock cluster, `stdin` piped in.
fn pxsh_run(args: &[&std::ffi::OsStr], stdin: &str) -> Ran {
    let cluster = cluster();
    let home = tempfile::tempdir().unwrap();
    let mut cmd = pxsh(&cluster, home.path());
    cmd.args(args);
    let out = run(cmd, stdin);
    let (stdout, stderr) = texts(&out);
    Ran {
        code: out.status.code(),
        stdout,
        stderr,
        ids: cluster.ids(),
    }
}

/// Runs `-c CODE`.
fn pxsh_c(code: &str) -> Ran {
    pxsh_run(&["-c".as_ref(), code.as_ref()], "")
}

/// Runs a script file `name` holding `text`.
fn pxsh_script(name: &str, text: &str) -> Ran {
    let dir = tempfile::tempdir().unwrap();
    let path = script(dir.path(), name, text);
    pxsh_run(&[path.as_os_str()], "")
}

#[test]
fn dash_c_runs_local_and_parallel_cells() {
    let Ran {
        code,
        stdout,
        stderr,
        ids,
    } = pxsh_c("x = 6 * 7\nx\n%px print('hi')\n%px y = 3\n%px y * 2\nprint('local', x)");
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert!(stdout.starts_with("Out[1]: 42\n"), "{stdout}");
    assert_each_engine_printed(&stdout, &ids, "hi");
    for id in ids {
        assert!(stdout.contains(&format!("Out[{id}:")), "{stdout}");
    }
    assert!(stdout.ends_with("local 42\n"), "{stdout}");
    assert!(
        !stdout.contains('\u{1b}'),
        "no colour into a pipe: {stdout:?}"
    );
}

#[test]
fn a_raising_cell_fails_the_run_but_later_cells_still_run() {
    let ran = pxsh_c("1/0\n%px print('after')");
    assert_eq!(ran.code, Some(1), "{}\n{}", ran.stdout, ran.stderr);
    assert!(ran.stdout.contains("ZeroDivisionError"), "{}", ran.stdout);
    assert_each_engine_printed(&ran.stdout, &ran.ids, "after");
}

#[test]
fn an_engine_error_fails_the_run() {
    let Ran {
        code,
        stdout,
        stderr,
        ids,
    } = pxsh_c("%px 1/0");
    assert_eq!(code, Some(1), "{stdout}\n{stderr}");
    for id in ids {
        assert!(stderr.contains(&format!("[{id}:execute]")), "{stderr}");
    }
    assert!(stdout.contains("2 errors"), "{stdout}");
}

#[test]
fn a_script_file_runs_cell_by_cell() {
    let ran = pxsh_script(
        "job.ipy",
        "import os\nn = 2\n%px import os\n%%px --group-outputs=engine\nprint('pid', os.getpid() > 0)\n\nprint('n is', n)\n",
    );
    assert_eq!(ran.code, Some(0), "{}\n{}", ran.stdout, ran.stderr);
    assert_each_engine_printed(&ran.stdout, &ran.ids, "pid True");
    assert!(ran.stdout.ends_with("n is 2\n"), "{}", ran.stdout);
}

#[test]
fn percent_markers_separate_cells_of_a_script() {
    let ran = pxsh_script(
        "cells.py",
        "# %%\nvalues = [1, 2]\n\n# %%\n%%px\ndef double(v):\n    return 2 * v\n\nprint(double(21))\n# %%\nprint(sum(values))\n",
    );
    assert_eq!(ran.code, Some(0), "{}\n{}", ran.stdout, ran.stderr);
    assert_each_engine_printed(&ran.stdout, &ran.ids, "42");
    assert!(ran.stdout.ends_with("3\n"), "{}", ran.stdout);
}

#[test]
fn piped_stdin_runs_as_a_script() {
    let ran = pxsh_run(&[], "a = 5\n%px b = 2\n%px print(b + 1)\nprint(a)\n");
    assert_eq!(ran.code, Some(0), "{}\n{}", ran.stdout, ran.stderr);
    assert_each_engine_printed(&ran.stdout, &ran.ids, "3");
    assert!(ran.stdout.ends_with("5\n"), "{}", ran.stdout);
}

#[test]
fn bad_flags_and_unknown_magics_are_reported_and_the_run_goes_on() {
    let Ran {
        code,
        stdout,
        stderr,
        ..
    } = pxsh_run(
        &[],
        "%%px --bogus\npass\n\n%nosuchmagic\n%result -2\nprint('still here')\n",
    );
    assert_eq!(code, Some(1), "{stdout}\n{stderr}");
    let all = format!("{stdout}{stderr}");
    assert!(
        all.contains("UsageError: unrecognized arguments: --bogus"),
        "{all}"
    );
    assert!(all.contains("nosuchmagic"), "{all}");
    assert!(
        all.contains("UsageError: unrecognized arguments: -2"),
        "{all}"
    );
    assert!(stdout.ends_with("still here\n"), "{stdout}");
    assert!(!all.contains("panicked"), "{all}");
}

#[test]
fn dash_dash_file_to_nowhere_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = pxsh_in(dir.path());
    cmd.arg("--file")
        .arg(dir.path().join("security/cluster-gone.json"))
        .args(["-c", "%px 1\nprint('local still works')"]);
    let out = run(cmd, "");
    let (stdout, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stdout.contains("ConnectionError"), "{stdout}\n{stderr}");
    assert!(stdout.ends_with("local still works\n"), "{stdout}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn a_missing_script_is_one_line_and_status_1() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = pxsh_in(dir.path());
    cmd.arg(dir.path().join("nope.ipy"));
    let out = run(cmd, "");
    let (_, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.starts_with("pxsh: cannot read"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[test]
fn dash_o_binds_a_result_the_local_python_can_read() {
    let Ran {
        code,
        stdout,
        stderr,
        ids,
    } = pxsh_c(
        "%%px -o ar\nprint('remote')\n6 * 7\n\nprint(len(ar.get()), ar.get()[0].data['text/plain'], ar.successful())\n1/0",
    );
    assert_eq!(code, Some(1), "{stdout}\n{stderr}");
    let n = ids.len();
    assert!(
        stdout.contains(&format!("{n} 42 True\n")),
        "{stdout}\n{stderr}"
    );
    // Numbered as pxsh numbers its cells: the local lines after the %%px cell are cell 2.
    assert!(stdout.contains("Cell In[2], line 2"), "{stdout}");
}
