//! Splitting a flag line into words, as IPython's `arg_split` does before argparse sees it.
//!
//! IPython uses `shlex` in non-POSIX mode: words are split on whitespace, a quote at the
//! start of a word opens a quoted word that may hold spaces, and the quotes are **kept**
//! (`--targets '[0, 1]'` gives the value `'[0, 1]'`). There are no escapes. A quoted word
//! ends at its closing quote even if a letter follows (`'a'b` is two words), and a quote in
//! the middle of a word is an ordinary character (`a'b c'd` is two words).

/// Why a flag line could not be split: stock raises a plain `ValueError` (not a
/// UsageError), so the kernel shows it as a local exception.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("No closing quotation")]
pub struct UnclosedQuote;

const WHITESPACE: &[char] = &[' ', '\t', '\r', '\n'];
const QUOTES: &[char] = &['\'', '"'];

/// Splits `line` into words the way `IPython.utils._process_common.arg_split` does.
pub fn arg_split(line: &str) -> Result<Vec<String>, UnclosedQuote> {
    let mut words = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        while chars.next_if(|c| WHITESPACE.contains(c)).is_some() {}
        let Some(first) = chars.next() else {
            return Ok(words);
        };
        let mut word = String::from(first);
        if QUOTES.contains(&first) {
            loop {
                match chars.next() {
                    None => return Err(UnclosedQuote),
                    Some(c) => {
                        word.push(c);
                        if c == first {
                            break;
                        }
                    }
                }
            }
        } else {
            while let Some(c) = chars.next_if(|c| !WHITESPACE.contains(c)) {
                word.push(c);
            }
        }
        words.push(word);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_are_kept_and_group_words() {
        assert_eq!(
            arg_split("--targets '[0, 1]' -b").unwrap(),
            ["--targets", "'[0, 1]'", "-b"]
        );
        assert_eq!(arg_split("a'b c'd").unwrap(), ["a'b", "c'd"]);
        assert_eq!(arg_split("'a'b").unwrap(), ["'a'", "b"]);
        assert_eq!(arg_split("  \t ").unwrap(), Vec::<String>::new());
        assert_eq!(arg_split("-t 'open"), Err(UnclosedQuote));
    }
}
