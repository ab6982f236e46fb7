//! The headless commands other than `render`: `explain` and `export`.

use std::io::{IsTerminal, Read, Write};
use std::path::Path;

use serde_json::json;

use crate::bundle;
use crate::cli::{EXIT_BAD_INPUT, EXIT_OK, EXIT_REFUSED};
use crate::explain::{self, describe};
use crate::session::{Loaded, SessionStore};

/// `ekm-wizard explain [TEXT] [--json]`: exit 0 when a known error matched, 1 when not.
pub fn explain(text: Option<&str>, as_json: bool) -> u8 {
    let text = match text {
        Some(text) => text.to_string(),
        None => {
            if std::io::stdin().is_terminal() {
                eprintln!("Paste the error, then press Ctrl-D:");
            }
            let mut buffer = String::new();
            if let Err(err) = std::io::stdin().read_to_string(&mut buffer) {
                eprintln!("error: cannot read standard input: {err}");
                return EXIT_BAD_INPUT;
            }
            buffer
        }
    };
    let explanation = explain::explain(&text);
    let mut stdout = std::io::stdout().lock();
    let written = match (&explanation, as_json) {
        (Some(found), true) => writeln!(
            stdout,
            "{:#}",
            json!({"matched": true, "entry": found.entry, "extracted": found.extracted})
        ),
        (None, true) => writeln!(
            stdout,
            "{:#}",
            json!({"matched": false, "entry": null, "extracted": {}})
        ),
        (Some(found), false) => write!(stdout, "{}", describe(found)),
        (None, false) => writeln!(
            stdout,
            "No known EKM error matched this text. Check it is the whole message, or share it with your OpenAI contact."
        ),
    };
    if written.is_err() {
        return EXIT_REFUSED;
    }
    if explanation.is_some() {
        EXIT_OK
    } else {
        EXIT_REFUSED
    }
}

/// `ekm-wizard export [--output FILE]`: the support bundle of the saved progress.
pub fn export(output: Option<&Path>) -> u8 {
    let Some(store) = SessionStore::default_location() else {
        eprintln!(
            "error: no home or state directory was found, so there is no saved progress to export"
        );
        return EXIT_BAD_INPUT;
    };
    let session = match store.load() {
        Loaded::Session(session) => session,
        Loaded::Nothing => {
            eprintln!(
                "error: no saved progress in {}; walk the wizard first, then export",
                store.dir().display()
            );
            return EXIT_BAD_INPUT;
        }
        Loaded::SetAside { reason, moved_to } => {
            let kept = moved_to
                .map(|p| format!(" (kept as {})", p.display()))
                .unwrap_or_default();
            eprintln!("error: {reason}{kept}");
            return EXIT_BAD_INPUT;
        }
    };
    let text = bundle::support_bundle(&session, &[]);
    match output {
        Some(path) if path == Path::new("-") => {
            if std::io::stdout().lock().write_all(text.as_bytes()).is_err() {
                return EXIT_REFUSED;
            }
        }
        _ => {
            let path = output.unwrap_or(Path::new("ekm-wizard-support.md"));
            if let Err(err) = std::fs::write(path, &text) {
                eprintln!("error: cannot write {}: {err}", path.display());
                return EXIT_BAD_INPUT;
            }
            println!("Wrote the support bundle to {}", path.display());
        }
    }
    EXIT_OK
}
