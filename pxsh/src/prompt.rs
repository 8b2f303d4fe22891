//! IPython's prompts, in its default ("neutral") colours: `In [n]: ` green with a bold
//! bright number, `   ...: ` aligned under it, `Out[n]: ` red.

const GREEN: &str = "\x1b[32m";
const BRIGHT_GREEN_BOLD: &str = "\x1b[1;92m";
const RED: &str = "\x1b[31m";
const BRIGHT_RED_BOLD: &str = "\x1b[1;91m";
const RESET: &str = "\x1b[0m";

/// The input prompt, plain: `In [n]: `, or `In [n]/px: ` while autopx sends every cell
/// to the engines (so nobody mistakes where their code runs).
pub fn in_prompt(n: u64, autopx: bool) -> String {
    let tag = if autopx { "/px" } else { "" };
    format!("In [{n}]{tag}: ")
}

/// [`in_prompt`] in IPython's colours (the same width on screen).
pub fn in_prompt_colored(n: u64, autopx: bool) -> String {
    let tag = if autopx { "/px" } else { "" };
    format!("{GREEN}In [{BRIGHT_GREEN_BOLD}{n}{RESET}{GREEN}]{tag}: {RESET}")
}

/// The continuation prompt under an input prompt of `width` columns: `...: `
/// right-aligned, as IPython draws it (`   ...: ` under `In [5]: `).
pub fn continuation_prompt(width: usize) -> String {
    format!("{:>w$}", "...: ", w = width.max(5))
}

/// [`continuation_prompt`] in IPython's colours.
pub fn continuation_prompt_colored(width: usize) -> String {
    format!("{GREEN}{}{RESET}", continuation_prompt(width))
}

/// `Out[n]: `, red with a bold bright number when `color`.
pub fn out_prompt(n: u64, color: bool) -> String {
    if color {
        format!("{RED}Out[{BRIGHT_RED_BOLD}{n}{RESET}{RED}]: {RESET}")
    } else {
        format!("Out[{n}]: ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompts_line_up_as_in_ipython() {
        assert_eq!(in_prompt(5, false), "In [5]: ");
        assert_eq!(continuation_prompt(in_prompt(5, false).len()), "   ...: ");
        assert_eq!(continuation_prompt(in_prompt(10, false).len()), "    ...: ");
        assert_eq!(in_prompt(3, true), "In [3]/px: ");
        assert_eq!(
            crate::ansi::strip(&in_prompt_colored(12, true)),
            in_prompt(12, true)
        );
        assert_eq!(crate::ansi::strip(&out_prompt(7, true)), "Out[7]: ");
    }
}
