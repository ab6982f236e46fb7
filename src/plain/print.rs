//! What the plain wizard prints: a step once, in reading order (its title, where it stands,
//! its console page, its text), its fields as questions, its generated blocks whole between a
//! numbered header line and an end line, check results one line each. Lines only: no cursor
//! movement, no box drawing, and colour (SGR only) when `--color` asked for it. Every line
//! passes `secrets::visible`, so nothing printed can act on the terminal.

use std::io::Write as _;

use crate::app::Model;
use crate::app::model::{Status, StatusKind};
use crate::artifacts;
use crate::checks::{CheckResult, CheckStatus};
use crate::guide::{ArtifactId, FieldId, Inputs};

/// Writes lines to standard output, coloured only when asked.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Printer {
    pub color: bool,
    /// The terminal's width when standard output is one: prose breaks between words there,
    /// never inside one. Piped to a file, lines stay whole. Blocks are never broken.
    pub width: Option<usize>,
}

/// What a piece of text is, for its colour (when colour was asked for).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tone {
    Heading,
    Good,
    Bad,
    Question,
}

impl Printer {
    /// Prints one or more lines (each made visible: nothing in them acts on the terminal).
    pub(crate) fn line(&self, text: &str) {
        let mut out = std::io::stdout().lock();
        for line in text.split('\n') {
            for piece in self.wrapped(&crate::secrets::visible(line)) {
                let _ = writeln!(out, "{piece}");
            }
        }
        let _ = out.flush();
    }

    /// A line of prose as the terminal shows it: broken between words at its width (a word
    /// longer than the width, a link say, stays whole), or whole when there is no terminal.
    fn wrapped(&self, line: &str) -> Vec<String> {
        match self.width {
            Some(width) if width >= 20 && unicode_width::UnicodeWidthStr::width(line) > width => {
                let mut out: Vec<String> = Vec::new();
                let mut current = String::new();
                for word in line.split(' ') {
                    let fits = unicode_width::UnicodeWidthStr::width(current.as_str())
                        + 1
                        + unicode_width::UnicodeWidthStr::width(word)
                        <= width;
                    if current.is_empty() {
                        current = word.to_string();
                    } else if fits {
                        current.push(' ');
                        current.push_str(word);
                    } else {
                        out.push(std::mem::take(&mut current));
                        current = word.to_string();
                    }
                }
                out.push(current);
                out
            }
            _ => vec![line.to_string()],
        }
    }

    /// Text exactly as given (a generated block), made visible, ending with a line break.
    pub(crate) fn text(&self, text: &str) {
        let mut out = std::io::stdout().lock();
        let _ = write!(out, "{}", crate::secrets::visible(text));
        if !text.ends_with('\n') {
            let _ = writeln!(out);
        }
        let _ = out.flush();
    }

    /// Text in a tone's colour; unchanged without `--color`. Applied after `visible`, so the
    /// only escape sequences ever written are these.
    pub(crate) fn paint(&self, tone: Tone, text: &str) -> String {
        if !self.color {
            return text.to_string();
        }
        let code = match tone {
            Tone::Heading => "1",
            Tone::Good => "32",
            Tone::Bad => "31",
            Tone::Question => "1",
        };
        format!("\x1b[{code}m{text}\x1b[0m")
    }

    /// A marker line (a block's header or end) in a tone, never broken: finding it whole is
    /// how a reader, a screen reader's search or a script finds the block.
    pub(crate) fn marker(&self, tone: Tone, text: &str) {
        let shown = crate::secrets::visible(text);
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{}", self.paint(tone, &shown));
        let _ = out.flush();
    }

    /// Prints a line in a tone.
    pub(crate) fn say(&self, tone: Tone, text: &str) {
        let shown = crate::secrets::visible(text);
        let mut out = std::io::stdout().lock();
        for piece in self.wrapped(&shown) {
            let _ = writeln!(out, "{}", self.paint(tone, &piece));
        }
        let _ = out.flush();
    }

    /// A question's words, as `LineReader::ask` prints them.
    pub(crate) fn question(&self, text: &str) -> String {
        text.to_string()
    }

    /// The status the model holds, in words: errors say so first.
    pub(crate) fn status(&self, status: &Status) {
        match status.kind {
            StatusKind::Error => self.say(Tone::Bad, &format!("Problem: {}", status.text)),
            StatusKind::Success => self.say(Tone::Good, &status.text),
            StatusKind::Info => self.line(&status.text),
        }
    }
}

/// The generated blocks of the step on show, in order, numbered from 1 by their place here.
pub(crate) fn blocks(model: &Model) -> Vec<ArtifactId> {
    let Some((_, step)) = model.current_step() else {
        return Vec::new();
    };
    let inputs = model.inputs();
    step.artifacts_for(model.path)
        .into_iter()
        .filter(|a| artifacts::artifact_is_relevant(model.cloud, *a, &inputs))
        .collect()
}

/// The start of a step: its title and place, its console page, its text.
pub(crate) fn step_head(out: &Printer, model: &Model) {
    let Some((index, step)) = model.current_step() else {
        return;
    };
    let steps = model.guide().steps.len();
    out.line("");
    out.say(
        Tone::Heading,
        &format!("Step {} of {steps}: {}", index + 1, step.title),
    );
    let inputs = model.inputs();
    if let Some(url) = step.console_url(&inputs) {
        out.line(&format!("Console: {url}"));
    }
    for paragraph in step.paragraphs_for(model.path) {
        out.line("");
        out.line(paragraph.trim());
    }
    out.line("");
}

/// The end of a step, once its fields are answered: its notes, advice and blocks, and how to
/// copy a block.
pub(crate) fn step_tail(out: &Printer, model: &Model) {
    let Some((_, step)) = model.current_step() else {
        return;
    };
    let inputs = model.inputs();
    for note in artifacts::step_notes(model.cloud, step.id, &inputs) {
        out.line(&format!("Note: {note}"));
    }
    for advice in &step.advice {
        out.line(&format!("Advice: {advice}"));
    }
    let blocks = blocks(model);
    for (index, artifact) in blocks.iter().enumerate() {
        block(out, model, index + 1, blocks.len(), *artifact);
    }
    if !blocks.is_empty() {
        out.line(
            "To copy a block: copy N. To write it to a file: write N. To see it again: show N.",
        );
    }
}

/// One generated block, whole and unfolded, between its header line and its end line; or
/// what it still needs.
pub(crate) fn block(out: &Printer, model: &Model, number: usize, of: usize, artifact: ArtifactId) {
    let text = model.guide().artifact_text(artifact);
    out.line("");
    out.marker(
        Tone::Heading,
        &format!(
            "--- Block {number} of {of}: {} ({}) ---",
            text.title, text.hint
        ),
    );
    match artifacts::generate(model.cloud, artifact, &model.inputs(), model.path) {
        Ok(body) => out.text(&body.to_text()),
        Err(missing) => {
            for err in missing {
                out.line(&format!(
                    "Not ready: it needs {}: {}",
                    err.label(),
                    err.problem
                ));
            }
        }
    }
    out.marker(Tone::Heading, &format!("--- End of block {number} ---"));
    out.line("");
}

/// A field as a question: its label, where it is asked, whether it is required, the form
/// it takes, and what it holds now or what empty gives.
pub(crate) fn field_question(model: &Model, field: FieldId, label: &str) -> String {
    let inputs = model.inputs();
    let place = match model.current_step() {
        Some((index, _)) => format!("step {}", index + 1),
        None => "start".to_string(),
    };
    let mut empty = Inputs::new(model.cloud);
    for (other, value) in inputs.typed() {
        if other != field {
            empty.set(other, value.to_string());
        }
    }
    let required = match empty.validated(field) {
        Ok(_) => match empty.default_value(field).filter(|d| !d.is_empty()) {
            Some(default) => format!("optional, empty uses {default}"),
            None => "optional".to_string(),
        },
        Err(_) => "required".to_string(),
    };
    let form = model
        .cloud
        .field(field)
        .map(|spec| spec.expected)
        .filter(|e| !e.is_empty())
        .map(|e| format!(", like {e}"))
        .unwrap_or_default();
    let now = inputs.raw(field).trim();
    let kept = if now.is_empty() {
        String::new()
    } else {
        format!(" (now {now}; Enter keeps it)")
    };
    format!("{label}, {place}, {required}{form}{kept}:")
}

/// One check's result as it arrives, with how many of the run are done.
pub(crate) fn check_result(out: &Printer, result: &CheckResult, done: usize, of: usize) {
    let (tone, word) = match result.status {
        CheckStatus::Pass => (Tone::Good, "Passed"),
        CheckStatus::Fail => (Tone::Bad, "Failed"),
        CheckStatus::Warn => (Tone::Bad, "Warning"),
        CheckStatus::Unverified => (Tone::Bad, "Not verified"),
        CheckStatus::Skip => (Tone::Bad, "Skipped"),
        CheckStatus::Waiting => (Tone::Question, "Waiting"),
        CheckStatus::DoesNotApply => (Tone::Question, "Does not apply"),
    };
    let detail = crate::secrets::one_line(&result.detail, 400);
    out.say(
        tone,
        &format!(
            "{word}: {}: {detail} ({done} of {of} checks done)",
            result.title
        ),
    );
}

#[cfg(test)]
mod wrapping_tests {
    use super::*;

    #[test]
    fn prose_breaks_between_words_at_the_terminal_and_stays_whole_in_a_pipe() {
        let text = "OpenAI wraps your data keys with a key that stays in your account, always.";
        let terminal = Printer {
            color: false,
            width: Some(30),
        };
        let lines = terminal.wrapped(text);
        assert!(lines.len() > 1);
        assert!(lines.iter().all(|l| l.chars().count() <= 30), "{lines:?}");
        assert_eq!(lines.join(" "), text, "no word is cut or lost");
        let link = format!("see https://example.com/{}", "a".repeat(60));
        assert!(
            terminal.wrapped(&link).iter().any(|l| l.len() > 30),
            "a long word stays whole"
        );
        let pipe = Printer {
            color: false,
            width: None,
        };
        assert_eq!(pipe.wrapped(text), vec![text.to_string()]);
    }
}
