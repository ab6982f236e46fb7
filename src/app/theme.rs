//! Colours, emphasis and characters, fitted to the terminal. With `NO_COLOR` set, or on a
//! monochrome terminal (`TERM=dumb`, `vt100`…), only bold, dim, underline and reverse remain,
//! so pass, fail and focus still read; `TERM=linux` gets the 8 basic colours; where the terminal
//! or the locale cannot show more than ASCII, every other character is drawn in ASCII.

use ratatui::style::{Color, Modifier, Style};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub color: bool,
    /// Only the 8 basic colours (no bright ones): the Linux console.
    pub basic_colors: bool,
    /// Only ASCII characters: the terminal or the locale cannot show more.
    pub ascii: bool,
}

impl Default for Theme {
    fn default() -> Self {
        Theme {
            color: true,
            basic_colors: false,
            ascii: false,
        }
    }
}

impl Theme {
    /// What the environment allows: `NO_COLOR`, `TERM`, and the locale's character set.
    pub fn from_env() -> Self {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let term = var("TERM").unwrap_or_default();
        let locale = var("LC_ALL")
            .or_else(|| var("LC_CTYPE"))
            .or_else(|| var("LANG"));
        Theme::for_terminal(
            &term,
            locale.as_deref(),
            std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
        )
    }

    /// The theme for a `TERM`, a locale (`LC_ALL`, `LC_CTYPE` or `LANG`, whichever is set
    /// first) and `NO_COLOR`.
    pub fn for_terminal(term: &str, locale: Option<&str>, no_color: bool) -> Self {
        let monochrome = matches!(
            term,
            "dumb" | "vt52" | "vt100" | "vt102" | "vt220" | "vt320" | "ansi.sys"
        );
        let utf8_locale = locale.is_none_or(|l| {
            let l = l.to_ascii_lowercase();
            l.contains("utf-8") || l.contains("utf8")
        });
        Theme {
            color: !no_color && !monochrome,
            basic_colors: term == "linux" || term == "ansi" || term.starts_with("vt"),
            ascii: monochrome || !utf8_locale,
        }
    }

    /// Whether links are written as terminal hyperlinks (OSC 8): not where the terminal shows
    /// only ASCII or the basic colours (`TERM=dumb`, `vt100`, `linux`), which would print
    /// the sequence or drop the text.
    pub fn hyperlinks(&self) -> bool {
        !self.ascii && !self.basic_colors
    }

    fn fg(&self, color: Color) -> Style {
        if !self.color {
            return Style::default();
        }
        if self.basic_colors {
            let basic = match color {
                Color::LightGreen => Color::Green,
                Color::LightRed => Color::Red,
                Color::LightYellow => Color::Yellow,
                Color::LightBlue => Color::Blue,
                Color::LightCyan => Color::Cyan,
                Color::LightMagenta => Color::Magenta,
                // Ratatui's White is the bright one; Gray is the console's white.
                Color::DarkGray | Color::Gray | Color::White => Color::Gray,
                other => other,
            };
            return Style::default().fg(basic);
        }
        Style::default().fg(color)
    }

    pub fn title(&self) -> Style {
        Style::default().add_modifier(Modifier::BOLD)
    }

    pub fn dim(&self) -> Style {
        if self.color && !self.basic_colors {
            Style::default().fg(Color::DarkGray)
        } else {
            Style::default().add_modifier(Modifier::DIM)
        }
    }

    pub fn error(&self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }

    pub fn success(&self) -> Style {
        self.fg(Color::Green)
    }

    pub fn warning(&self) -> Style {
        self.fg(Color::Yellow)
    }

    /// The focused item's marker and label.
    pub fn focus(&self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    /// The header and footer bars.
    pub fn bar(&self) -> Style {
        if self.color {
            self.fg(Color::White).bg(Color::Blue)
        } else {
            Style::default().add_modifier(Modifier::REVERSED)
        }
    }

    /// A key name in the footer.
    pub fn key(&self) -> Style {
        self.bar().add_modifier(Modifier::BOLD)
    }

    /// Generated JSON and commands.
    pub fn code(&self) -> Style {
        self.fg(Color::LightGreen)
    }

    /// The text cursor in the focused field.
    pub fn cursor(&self) -> Style {
        Style::default().add_modifier(Modifier::REVERSED)
    }

    /// A field's input line.
    pub fn input(&self) -> Style {
        Style::default().add_modifier(Modifier::UNDERLINED)
    }
}

/// The ASCII stand-in for a character an ASCII-only terminal cannot show, keeping its width
/// of one cell: frames become `+ - |`, marks `* x > .`, arrows `< > ^ v`.
pub fn ascii_for(symbol: &str) -> Option<&'static str> {
    if symbol.is_ascii() {
        return None;
    }
    Some(match symbol {
        "─" | "━" | "═" => "-",
        "│" | "┃" | "║" => "|",
        "┌" | "┐" | "└" | "┘" | "├" | "┤" | "┬" | "┴" | "┼" | "╭" | "╮" | "╯" | "╰" => {
            "+"
        }
        "█" | "▓" | "▒" | "░" => "#",
        // Not `v`: that is the scrollbar's down arrow.
        "✓" => "*",
        "✗" => "x",
        "○" => "o",
        "▸" | "›" | "▶" | "→" | "»" => ">",
        "◀" | "←" | "«" => "<",
        "↑" => "^",
        "↓" => "v",
        "·" | "•" | "…" => ".",
        "—" | "–" => "-",
        "“" | "”" => "\"",
        "‘" | "’" => "'",
        _ => "?",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_terminal_and_the_locale_decide_colours_and_characters() {
        let xterm = Theme::for_terminal("xterm-256color", Some("en_US.UTF-8"), false);
        assert!(xterm.color && !xterm.basic_colors && !xterm.ascii);
        let vt100 = Theme::for_terminal("vt100", Some("en_US.UTF-8"), false);
        assert!(!vt100.color && vt100.ascii);
        let dumb = Theme::for_terminal("dumb", None, false);
        assert!(!dumb.color && dumb.ascii);
        let linux = Theme::for_terminal("linux", Some("C.UTF-8"), false);
        assert!(linux.color && linux.basic_colors && !linux.ascii);
        let c_locale = Theme::for_terminal("xterm", Some("C"), false);
        assert!(c_locale.ascii, "a locale without UTF-8 gets ASCII");
        assert!(!Theme::for_terminal("xterm", None, true).color, "NO_COLOR");
        assert_eq!(
            linux.success(),
            Style::default().fg(Color::Green),
            "no bright colours on the console"
        );
    }

    #[test]
    fn every_stand_in_is_one_ascii_cell() {
        for symbol in [
            "─", "│", "┌", "█", "✓", "✗", "▸", "◀", "↑", "↓", "·", "…", "⠋", "é",
        ] {
            let stand_in = ascii_for(symbol).unwrap();
            assert!(stand_in.is_ascii() && stand_in.len() == 1, "{symbol}");
        }
        assert_eq!(ascii_for("a"), None);
    }
}
