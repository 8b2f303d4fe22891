//! Cutting a script (`pxsh FILE`, `pxsh -c CODE`, piped stdin) into the cells pxsh runs
//! one after another.
//!
//! IPython runs a `.ipy` script as one cell, and its input transformers turn every
//! `%magic` line into a call to the magic wherever it stands. Our magics are not IPython
//! magics: a cell is ours only if it is one magic as a whole ([`px_magics::parse_cell`]).
//! So a script is cut where the magics need it, and otherwise kept together:
//!
//! - a line starting with `# %%` (or `#%%`; the "percent" cell marker of Spyder, VS Code
//!   and Jupytext) ends a cell and starts the next;
//! - a line starting with `%%` starts a cell magic; it runs to the next `# %%` marker if
//!   the script has markers, otherwise to the next blank line (which is how the cell
//!   would end when typed at the prompt);
//! - a line starting with `%` that is one of the parallel magics is a cell of its own;
//! - everything between is one ordinary cell, run by the local Python as IPython would
//!   (other `%magics` and `!commands` included).
//!
//! Blank cells are dropped.

use px_magics::parse_cell;

/// Whether `line` is a percent-format cell marker.
fn is_marker(line: &str) -> bool {
    line.strip_prefix('#')
        .is_some_and(|rest| rest.trim_start_matches(' ').starts_with("%%"))
}

/// Whether `line` (at the start of a line) is one of the parallel line magics.
fn is_parallel_line_magic(line: &str) -> bool {
    line.starts_with('%') && !line.starts_with("%%") && parse_cell(line, &[""]).is_some()
}

/// The cells of `script`, in order, each ending with a newline.
///
/// ```
/// let cells = px_sh::split_cells("import os\nx = 1\n%px y = 2\n%%px\nprint(y)\n\nprint(x)\n");
/// assert_eq!(cells, ["import os\nx = 1\n", "%px y = 2\n", "%%px\nprint(y)\n", "print(x)\n"]);
/// ```
pub fn split_cells(script: &str) -> Vec<String> {
    let lines: Vec<&str> = script.lines().collect();
    let has_markers = lines.iter().any(|l| is_marker(l));
    let mut cells = Vec::new();
    let mut current = String::new();
    let mut in_cell_magic = false;
    let mut flush = |current: &mut String| {
        if !current.trim().is_empty() {
            cells.push(std::mem::take(current));
        }
        current.clear();
    };
    for line in lines {
        if is_marker(line) {
            flush(&mut current);
            in_cell_magic = false;
            continue;
        }
        if in_cell_magic {
            if !has_markers && line.trim().is_empty() {
                flush(&mut current);
                in_cell_magic = false;
                continue;
            }
        } else if line.starts_with("%%") {
            flush(&mut current);
            in_cell_magic = true;
        } else if is_parallel_line_magic(line) {
            flush(&mut current);
            current.push_str(line);
            current.push('\n');
            flush(&mut current);
            continue;
        }
        current.push_str(line);
        current.push('\n');
    }
    flush(&mut current);
    cells
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_separate_cells_and_let_cell_magics_span_blank_lines() {
        let script = "# %%\na = 1\n\nb = 2\n#%% second\n%%px --noblock\ndef f():\n    pass\n\n    return 1\n# %% [markdown]\n";
        assert_eq!(
            split_cells(script),
            [
                "a = 1\n\nb = 2\n",
                "%%px --noblock\ndef f():\n    pass\n\n    return 1\n"
            ]
        );
    }

    #[test]
    fn other_magics_stay_in_local_cells() {
        let script = "%time x = 1\n!echo hi\n%autopx\nx\n%autopx\n%pxconfig --verbose\n";
        assert_eq!(
            split_cells(script),
            [
                "%time x = 1\n!echo hi\n",
                "%autopx\n",
                "x\n",
                "%autopx\n",
                "%pxconfig --verbose\n"
            ]
        );
    }

    #[test]
    fn an_indented_magic_belongs_to_its_block() {
        let script = "if True:\n    %px 1\n";
        assert_eq!(split_cells(script), ["if True:\n    %px 1\n"]);
    }

    #[test]
    fn blank_scripts_have_no_cells() {
        assert!(split_cells("\n   \n\n").is_empty());
        assert!(split_cells("").is_empty());
    }
}
