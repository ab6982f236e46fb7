//! Messages: everything that can happen to the wizard, named for what the user wants or for
//! the result that came back, never for the key that triggered it.

use std::path::PathBuf;

use ratatui_textarea::Input;

use crate::clipboard::CopyRoute;

#[derive(Debug, Clone)]
pub enum Msg {
    /// Go to the next step (or begin, from the start screen), if this one is complete.
    NextStep,
    /// Go back one step; always allowed, whatever the state of this one.
    PreviousStep,
    /// Copy one value of the focused block (1–9).
    CopyValue(u8),
    /// Show another step to read it, without checking this one (`]` / `[`).
    ReadStep(i8),
    /// Move focus to the next field or block, wrapping around.
    FocusNext,
    /// Move focus to the previous field or block, wrapping around.
    FocusPrevious,
    /// Enter: next field, begin from the start screen's button, or copy a focused block.
    Confirm,
    /// A keystroke for the focused text field (or the explain screen's text).
    EditField(Input),
    /// An editing command for the focused text (the same in every field).
    EditText(TextEdit),
    /// Text pasted by the terminal (bracketed paste) into the focused field.
    PasteIntoField(String),
    /// Change the focused choice (cloud, path) to the previous option.
    ChoosePrevious,
    /// Change the focused choice to the next option.
    ChooseNext,
    /// Scroll the step's content by this many lines (negative: up).
    ScrollContent(i32),
    /// Scroll what is on top by this many pages (negative: up).
    ScrollPage(i32),
    /// Copy the focused generated block.
    CopyFocusedBlock,
    /// Copy the console link of the step on show.
    CopyConsoleLink,
    /// Show the focused block's exact text, full width, for copying with the mouse.
    ShowExactText,
    /// Write the focused generated block to a file and show where.
    WriteFocusedBlockToFile,
    /// Open the "as code" view of the chosen cloud.
    OpenAsCode,
    /// Show the next (1) or previous (-1) file of the "as code" view.
    ShowCodeFile(i32),
    /// Copy the file on show in the "as code" view.
    CopyCodeFile,
    /// Write every file of the format on show into a folder, and show where.
    WriteCodeFiles,
    /// Open or close the help screen.
    ToggleHelp,
    /// Close the help screen or any other overlay.
    CloseOverlay,
    /// Continue from the saved progress offered at start.
    ResumeSavedProgress,
    /// Ignore the saved progress offered at start and begin again.
    StartOver,
    /// The terminal changed size.
    TerminalResized { width: u16, height: u16 },
    /// A copy finished, one way or another.
    CopyFinished {
        what: String,
        outcome: Result<CopyRoute, String>,
    },
    /// Writing a block to a file finished.
    FileWritten {
        what: String,
        outcome: Result<PathBuf, String>,
    },
    /// Saving progress finished.
    ProgressSaved(Result<(), String>),
    /// Open the screen where any error text can be pasted and explained.
    OpenExplainScreen,
    /// Leave the explain screen for the step its error points to.
    GoToExplainedStep,
    /// Write the support bundle (Markdown, no secrets) and show where.
    ExportSupportBundle,
    /// Register with OpenAI: first look for a key with the same settings, then (confirmed)
    /// register, create the project and validate.
    StartRegistration,
    /// Ask OpenAI to validate the registered key again.
    ValidateRegisteredKey,
    /// The look before registering finished.
    RegistrationPlanned {
        generation: u64,
        outcome: Result<crate::openai::register::Plan, String>,
    },
    /// Registering, creating the project and validating finished.
    RegistrationFinished {
        generation: u64,
        outcome: Result<Registered, String>,
    },
    /// A validation finished.
    ValidationFinished {
        generation: u64,
        outcome: Result<(), String>,
    },
    /// Go to the step that fixes the first failed check (or the failed registration).
    GoToStepToFix,
    /// Run the live checks of the setup with the admin's own credentials.
    RunChecks,
    /// One check finished.
    CheckReported {
        generation: u64,
        result: crate::checks::CheckResult,
    },
    /// Every check finished, or none could run (the reason).
    ChecksFinished {
        generation: u64,
        outcome: Result<(), crate::checks::CannotCheck>,
    },
    /// Offer the action of the current step (or the one a failed check calls for): asks
    /// before doing anything.
    OfferAction,
    /// The admin said yes to the action asked.
    ConfirmAction,
    /// The admin said no.
    DeclineAction,
    /// What came of the action.
    ActionFinished(crate::checks::ActionOutcome),
    /// Time for the spinner's next frame (sent only while something runs).
    SpinnerTick,
    /// `m`: plan "do it for me" (this step's resources, or all from the start screen).
    OpenApply,
    /// The plan was read (or could not be).
    ApplyPlanned(
        Result<Vec<crate::guide::apply::Planned>, String>,
        Vec<crate::guide::apply::Call>,
    ),
    /// `y` in the apply view: carry the plan out.
    ConfirmApply,
    /// `u` in the apply view: change resources that differ too (or not).
    ToggleAllowUpdate,
    /// One resource was done (or skipped), with the calls so far.
    ApplyProgress(Box<crate::apply::Done>, Vec<crate::guide::apply::Call>),
    /// The run ended: the values it made to record, and every call.
    ApplyFinished(
        Result<Vec<(crate::guide::FieldId, String)>, String>,
        Vec<crate::guide::apply::Call>,
    ),
    /// `d`: offer the revocation drill (asks first).
    OfferDrill,
    /// What the drill is doing now.
    DrillProgress(String),
    /// The drill ended; its record.
    DrillFinished(Box<crate::after_setup::drill::DrillRecord>),
    /// A second of an automatic re-check's countdown passed.
    RecheckTick { id: u64 },
    /// Open the view of the organization's EKM keys at OpenAI.
    OpenKeys,
    /// Read the list of keys again.
    ReadKeysAgain,
    /// Move the keys view's cursor by this many keys (negative: up).
    SelectKey(i32),
    /// Ask OpenAI to validate the key under the cursor.
    ValidateSelectedKey,
    /// Offer to delete the key under the cursor (asks first; refused while it is in use).
    DeleteSelectedKey,
    /// The list of keys was read (or could not be).
    KeysListed {
        generation: u64,
        outcome: Result<crate::openai::keys::Listing, String>,
    },
    /// One key of the list was validated: its validity and, when not valid, the words.
    KeyValidated {
        generation: u64,
        id: String,
        outcome: Result<(), (crate::openai::validity::Validity, String)>,
    },
    /// A delete from the keys view ended.
    KeyDeleted {
        generation: u64,
        id: String,
        outcome: Result<(), String>,
    },
    /// Save progress and leave.
    Quit,
}

/// What a registration produced, for the model.
#[derive(Debug, Clone, PartialEq)]
pub struct Registered {
    pub key_id: String,
    pub key_reused: bool,
    pub project_id: Option<String>,
    pub project_reused: bool,
    pub validation: Result<(), String>,
}

/// What an editing key does to the text being typed: one meaning per key, wherever it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextEdit {
    /// Empty the field.
    Clear,
    /// Delete the word before the cursor.
    DeleteWord,
    /// The cursor to the start.
    ToStart,
    /// The cursor to the end.
    ToEnd,
    Undo,
    Redo,
}
