//! The commands the plain wizard takes at any question, in words: `help`, `next`, `back`,
//! `step N`, `show N`, `copy N`, `write N`, `check`, `explain`, `register`, `do it`, `drill`,
//! `fields`, `quit`. A value that happens to be one of these words is typed after `=`.

/// One command, as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Help,
    Next,
    Back,
    /// Go to step N (0 is the start).
    Step(usize),
    /// Print block N of this step again.
    Show(usize),
    Copy(usize),
    Write(usize),
    Check,
    /// Explain the last error, or the text given.
    Explain(Option<String>),
    Register,
    DoIt,
    Drill,
    /// List the organization's EKM keys at OpenAI.
    Keys,
    /// Validate key N of that list.
    Validate(usize),
    /// Answer this step's questions again.
    Fields,
    Quit,
}

/// The words the help prints, one command a line.
pub const HELP: &[(&str, &str)] = &[
    (
        "next (or Enter at the step's last question)",
        "go on to the next step, once this one's values are accepted",
    ),
    ("back", "go back one step"),
    ("step N", "go to step N to read it (step 0 is the start)"),
    ("fields", "answer this step's questions again"),
    ("show N", "print block N of this step again"),
    ("copy N", "copy block N to the clipboard"),
    ("write N", "write block N to a file and say where"),
    ("check", "run the live checks with your own credentials"),
    (
        "explain",
        "explain the last error (or: explain followed by an error's text)",
    ),
    (
        "register",
        "on the last step: register the key with OpenAI (asks first)",
    ),
    (
        "do it",
        "make this step's resources for you: the plan, then a question",
    ),
    (
        "drill",
        "on the last step, once registered: the revocation drill (asks first)",
    ),
    (
        "keys",
        "the organization's EKM keys at OpenAI, numbered (read with your admin key)",
    ),
    ("validate N", "ask OpenAI to validate key N of that list"),
    ("quit", "save your progress and leave (Ctrl-D too)"),
    ("help", "this list"),
];

/// Reads a line as a command; `None` when it is not one (a value). A line starting with `=`
/// is always a value.
pub fn parse(line: &str) -> Option<Command> {
    let line = line.trim();
    if line.starts_with('=') {
        return None;
    }
    let lower = line.to_ascii_lowercase();
    let words: Vec<&str> = lower.split_whitespace().collect();
    let number = |word: Option<&&str>| word.and_then(|w| w.parse::<usize>().ok());
    Some(match words.as_slice() {
        ["help"] | ["?"] => Command::Help,
        ["next"] => Command::Next,
        ["back"] => Command::Back,
        ["check"] => Command::Check,
        ["register"] => Command::Register,
        ["do", "it"] => Command::DoIt,
        ["drill"] => Command::Drill,
        ["keys"] => Command::Keys,
        ["validate", n] => Command::Validate(number(Some(n))?),
        ["fields"] => Command::Fields,
        ["quit"] | ["exit"] => Command::Quit,
        ["explain"] => Command::Explain(None),
        ["explain", ..] => {
            // The text after the word, as typed (its case kept).
            let text = line["explain".len()..].trim().to_string();
            Command::Explain(Some(text))
        }
        ["step", n] => Command::Step(number(Some(n))?),
        ["show", n] => Command::Show(number(Some(n))?),
        ["copy", n] => Command::Copy(number(Some(n))?),
        ["write", n] => Command::Write(number(Some(n))?),
        _ => return None,
    })
}

/// A value typed at a question: what follows `=` when the line starts with it.
pub fn value(line: &str) -> &str {
    let line = line.trim();
    line.strip_prefix('=').unwrap_or(line).trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_commands_and_values_are_not() {
        assert_eq!(parse("next"), Some(Command::Next));
        assert_eq!(parse(" Do It "), Some(Command::DoIt));
        assert_eq!(parse("copy 2"), Some(Command::Copy(2)));
        assert_eq!(parse("step 0"), Some(Command::Step(0)));
        assert_eq!(
            parse("explain AccessDenied on kms:Decrypt"),
            Some(Command::Explain(Some("AccessDenied on kms:Decrypt".into())))
        );
        assert_eq!(parse("keys"), Some(Command::Keys));
        assert_eq!(parse("validate 2"), Some(Command::Validate(2)));
        assert_eq!(parse("copy two"), None);
        assert_eq!(parse("org-abc123"), None);
        assert_eq!(parse("=next"), None);
        assert_eq!(value("=next"), "next");
        assert_eq!(value("  a value with spaces "), "a value with spaces");
    }
}
