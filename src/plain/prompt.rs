//! The plain wizard's questions: a line read with editing and history (rustyline), the admin
//! key read without echo, and questions that take only `yes` in full. The question is its own
//! line, written by the wizard; the answer is typed on the line below it, so the line editor
//! never has to redraw a prompt, and typing a value writes nothing but its characters.

use rustyline::config::{BellStyle, Configurer};
use rustyline::error::ReadlineError;
use rustyline::history::MemHistory;
use rustyline::{Config, Editor};
use zeroize::Zeroizing;

use super::print::Printer;

/// What came of asking for a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Answer {
    Line(String),
    /// Ctrl-C at the prompt.
    Interrupted,
    /// The input ended (Ctrl-D, or the end of a pipe).
    Ended,
}

/// Reads the admin's lines. History lives in memory only: nothing typed is written to a file.
pub(crate) struct LineReader {
    editor: Editor<(), MemHistory>,
}

impl LineReader {
    pub(crate) fn new() -> Result<LineReader, String> {
        let config = Config::builder()
            .auto_add_history(true)
            .history_ignore_space(true)
            .bell_style(BellStyle::None)
            // A paste arrives as typing: the line is never redrawn for it.
            .bracketed_paste(false)
            .build();
        let history = MemHistory::with_config(&config);
        let mut editor = Editor::with_history(config, history).map_err(|e| e.to_string())?;
        editor.enable_synchronized_output(false);
        Ok(LineReader { editor })
    }

    /// Says `question` on a line of its own and reads the answer from the next line. `kept`
    /// is text given back to correct (a refused value): it is on the line already, the cursor
    /// at its start, so putting it there moves nothing.
    pub(crate) fn ask(&mut self, out: &Printer, question: &str, kept: Option<&str>) -> Answer {
        out.line(&out.question(question));
        let read = match kept.filter(|k| !k.is_empty()) {
            Some(kept) => self.editor.readline_with_initial("", ("", kept)),
            None => self.editor.readline(""),
        };
        match read {
            Ok(line) => Answer::Line(line),
            Err(ReadlineError::Interrupted) => Answer::Interrupted,
            Err(_) => Answer::Ended,
        }
    }

    /// Asks a question that changes something: only `yes`, typed in full, says yes.
    pub(crate) fn yes(&mut self, out: &Printer, question: &str) -> bool {
        match self.ask(out, &format!("{question} Type yes to go ahead:"), None) {
            Answer::Line(line) => line.trim().eq_ignore_ascii_case("yes"),
            Answer::Interrupted | Answer::Ended => false,
        }
    }

    /// Reads text pasted whole (an error message, often longer than the terminal is wide) as
    /// the terminal's own line mode gives it: no editor redraws a line that wraps.
    pub(crate) fn pasted(&mut self, out: &Printer, question: &str) -> Answer {
        out.line(&out.question(question));
        let mut line = String::new();
        match std::io::stdin().read_line(&mut line) {
            Ok(0) | Err(_) => Answer::Ended,
            Ok(_) => Answer::Line(line.trim_end_matches(['\r', '\n']).to_string()),
        }
    }

    /// Reads the admin key without echo; nothing typed is shown, kept in history or saved.
    pub(crate) fn secret(&mut self, out: &Printer, question: &str) -> Option<Zeroizing<String>> {
        out.line(&out.question(question));
        if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
            crate::headless::prompt_secret("")
        } else {
            let mut line = Zeroizing::new(String::new());
            std::io::stdin().read_line(&mut line).ok()?;
            let trimmed = Zeroizing::new(line.trim().to_string());
            (!trimmed.is_empty()).then_some(trimmed)
        }
    }
}
