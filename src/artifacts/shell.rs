//! Quoting for the shell commands the wizard prints, so any recorded value pastes safely.

/// Quotes a word for POSIX shells: bare when it is made only of safe characters, otherwise in
/// single quotes with embedded single quotes written as `'\''`.
pub fn quote(word: &str) -> String {
    let safe = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@,+%".contains(c));
    if safe {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// Joins a command's lines with ` \` continuations, indenting every line after the first.
pub fn continued(lines: &[String]) -> String {
    let mut out = String::new();
    for (i, line) in lines.iter().enumerate() {
        if i > 0 {
            out.push_str(" \\\n    ");
        }
        out.push_str(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(quote("alias/openai-ekm"), "alias/openai-ekm");
        assert_eq!(quote("Our EKM key"), "'Our EKM key'");
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(quote(""), "''");
        assert_eq!(quote(r#"{"a":1}"#), r#"'{"a":1}'"#);
    }
}
