//! Taking over the terminal and giving it back: raw mode, the alternate screen and bracketed
//! paste on entry; all undone on every exit, a panic included. On a terminal of the basic
//! colours only, every colour is written as the 16-colour SGR it understands.

use std::io::{self, Write};

use crossterm::event::{DisableBracketedPaste, EnableBracketedPaste};
use crossterm::execute;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

/// The wizard's terminal: ratatui over crossterm, writing through [`Output`].
pub type Tui = Terminal<CrosstermBackend<Output>>;

/// Enters raw mode and the alternate screen, turns on bracketed paste, and installs a panic
/// hook (after ratatui's own) that restores the terminal before the panic message prints.
/// `basic_colors`: the terminal knows only the 16 colours of `ESC[3Xm` (the Linux console).
pub fn enter(basic_colors: bool) -> io::Result<Tui> {
    drop(ratatui::try_init()?);
    let terminal = Terminal::new(CrosstermBackend::new(Output::new(basic_colors)))?;
    execute!(io::stdout(), EnableBracketedPaste)?;
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = execute!(io::stdout(), DisableBracketedPaste);
        previous(info);
    }));
    Ok(terminal)
}

/// Gives the terminal back as it was: paste mode off, main screen, cooked mode, cursor shown.
pub fn leave() {
    let _ = execute!(io::stdout(), DisableBracketedPaste);
    ratatui::restore();
    let _ = io::stdout().flush();
}

/// Standard output, as the wizard writes it. Crossterm writes every colour, a named one too, as
/// a 256-colour index (`ESC[38;5;2m`), which the Linux console does not read: with
/// `basic_colors`, a frame is kept until it is flushed and each such colour of the first 16 is
/// written as its own SGR (`ESC[32m`) instead.
pub struct Output {
    basic_colors: bool,
    pending: Vec<u8>,
    out: io::Stdout,
}

impl Output {
    pub fn new(basic_colors: bool) -> Self {
        Output {
            basic_colors,
            pending: Vec::new(),
            out: io::stdout(),
        }
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if !self.basic_colors {
            return self.out.write(buf);
        }
        self.pending.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.pending.is_empty() {
            let frame = basic_sgr(&std::mem::take(&mut self.pending));
            self.out.write_all(&frame)?;
        }
        self.out.flush()
    }
}

/// `bytes` with every SGR sequence's 256-colour index of the first 16 (`38;5;N`, `48;5;N`,
/// alone or among other parameters) written as the basic SGR (`3N`/`9N`, `4N`/`10N`);
/// everything else as it was.
pub fn basic_sgr(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i..].starts_with(b"\x1b[") {
            let params = bytes[i + 2..]
                .iter()
                .take_while(|b| b.is_ascii_digit() || **b == b';')
                .count();
            if bytes.get(i + 2 + params) == Some(&b'm') {
                let text = std::str::from_utf8(&bytes[i + 2..i + 2 + params]).unwrap_or("");
                out.extend_from_slice(b"\x1b[");
                out.extend_from_slice(basic_params(text).as_bytes());
                out.push(b'm');
                i += 2 + params + 1;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

/// The parameters of one SGR sequence with each indexed colour below 16 made basic.
fn basic_params(params: &str) -> String {
    let parts: Vec<&str> = params.split(';').collect();
    let mut out: Vec<String> = Vec::with_capacity(parts.len());
    let mut at = 0;
    while at < parts.len() {
        let indexed = match (parts[at], parts.get(at + 1), parts.get(at + 2)) {
            (layer @ ("38" | "48"), Some(&"5"), Some(index)) => index
                .parse::<u8>()
                .ok()
                .and_then(|index| basic_code(layer == "48", index)),
            _ => None,
        };
        match indexed {
            Some(code) => {
                out.push(code.to_string());
                at += 3;
            }
            None => {
                out.push(parts[at].to_string());
                at += 1;
            }
        }
    }
    out.join(";")
}

fn basic_code(background: bool, index: u8) -> Option<u8> {
    let base = if background { 40 } else { 30 };
    match index {
        0..=7 => Some(base + index),
        8..=15 => Some(base + 60 + index - 8),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indexed_colours_of_the_first_sixteen_become_basic_sgr() {
        let written = b"a\x1b[38;5;2mb\x1b[48;5;4m\x1b[38;5;9mc\x1b[38;5;123md\x1b[39m";
        assert_eq!(
            basic_sgr(written),
            b"a\x1b[32mb\x1b[44m\x1b[91mc\x1b[38;5;123md\x1b[39m".to_vec()
        );
        // Crossterm writes both colours in one sequence.
        assert_eq!(
            basic_sgr(b"\x1b[38;5;7;48;5;4mx\x1b[1;38;5;2;49m\x1b[2J"),
            b"\x1b[37;44mx\x1b[1;32;49m\x1b[2J".to_vec()
        );
        assert_eq!(basic_sgr(b"\x1b[38;5;m"), b"\x1b[38;5;m".to_vec());
    }
}
