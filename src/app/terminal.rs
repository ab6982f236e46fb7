//! Taking over the terminal and giving it back: raw mode, the alternate screen and bracketed
//! paste on entry; all undone on every exit, a panic included.

use std::io::{self, Write};

use crossterm::event::{DisableBracketedPaste, EnableBracketedPaste};
use crossterm::execute;
use ratatui::DefaultTerminal;

/// Enters raw mode and the alternate screen, turns on bracketed paste, and installs a panic
/// hook (after ratatui's own) that restores the terminal before the panic message prints.
pub fn enter() -> io::Result<DefaultTerminal> {
    let terminal = ratatui::try_init()?;
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
