//! Text that comes from outside (a cloud, a server, a file, the environment) made safe to
//! show: control characters become visible escapes, and a message is kept to one short line.

/// Replaces every character that could act on a terminal (C0 controls but newline and tab,
/// DEL, C1 controls, ESC, and the bidirectional overrides and isolates) with a visible escape
/// such as `\x1b` or `\u{202e}`.
pub fn visible(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let code = c as u32;
        let dangerous = (code < 0x20 && c != '\n' && c != '\t')
            || code == 0x7f
            || (0x80..=0x9f).contains(&code)
            || matches!(code, 0x200e | 0x200f | 0x061c)
            || (0x202a..=0x202e).contains(&code)
            || (0x2066..=0x2069).contains(&code);
        if !dangerous {
            out.push(c);
        } else if code <= 0xff {
            out.push_str(&format!("\\x{code:02x}"));
        } else {
            out.push_str(&format!("\\u{{{code:x}}}"));
        }
    }
    out
}

/// One line of at most `max` characters: escapes as [`visible`], whitespace runs (newlines
/// included) folded to one space, and an ellipsis where it was cut.
pub fn one_line(text: &str, max: usize) -> String {
    let folded = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let shown = visible(&folded);
    if shown.chars().count() <= max {
        return shown;
    }
    let mut cut: String = shown.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_become_visible() {
        assert_eq!(visible("a\x1b]52;c;eA==\x07b"), "a\\x1b]52;c;eA==\\x07b");
        assert_eq!(visible("x\u{202e}y\u{9b}z"), "x\\u{202e}y\\x9bz");
        assert_eq!(visible("tab\tand\nline"), "tab\tand\nline");
    }

    #[test]
    fn one_line_folds_and_cuts() {
        assert_eq!(one_line("a\n  b\r\nc", 10), "a b c");
        assert_eq!(one_line("abcdefghij", 5), "abcd…");
    }
}
