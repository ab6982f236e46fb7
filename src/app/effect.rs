//! Effects: the work `update` asks the runtime to do. Each result returns as a `Msg`.

use crate::session::Session;

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Put a block on a clipboard (system, terminal, or a file as the last resort).
    CopyToClipboard {
        what: String,
        text: String,
        file_name: String,
    },
    /// Write a block to a file in the wizard's exports folder.
    WriteToFile {
        what: String,
        text: String,
        file_name: String,
    },
    /// Write the support bundle for this progress and these errors to the exports folder.
    ExportSupportBundle {
        session: Session,
        recent_errors: Vec<String>,
    },
    /// Save progress (never a secret).
    SaveProgress(Session),
    /// Restore the terminal and exit.
    Exit,
}
