//! One table of key bindings: which key, in which input mode, asks for what, and how the
//! footer and the help call it. The keymap, the footer and the help screen are all made from
//! [`BINDINGS`], so a key can never do one thing and be listed as another.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::model::{Focusable, LayerKind, Model, Question, Screen};
use super::msg::{Msg, TextEdit};

/// How keys are read where the admin is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputMode {
    /// The help screen is open.
    Help,
    /// A yes-or-no question is asked (before an action of the cloud's kit).
    Confirming,
    /// The explain screen: keys are text, but for a few.
    Explaining,
    /// The "as code" view: keys move between files, scroll, copy and write.
    AsCode,
    /// The "do it for me" view: y applies, u allows updates, Esc goes back.
    Applying,
    /// The keys at OpenAI: the cursor, validate, delete, read again.
    Keys,
    /// The offer to resume saved progress.
    Resuming,
    /// A text field has focus: printable keys are text.
    Typing,
    /// Moving around a step or the start screen: single letters are commands.
    Moving,
}

/// The mode keys are read in, from the model.
pub fn input_mode(model: &Model) -> InputMode {
    // The layer opened last has the keys; below every layer, the screen.
    match model.layers.top_kind() {
        Some(LayerKind::Help) => InputMode::Help,
        Some(LayerKind::Explain) => InputMode::Explaining,
        Some(LayerKind::AsCode) => InputMode::AsCode,
        Some(LayerKind::Apply) => InputMode::Applying,
        Some(LayerKind::Keys) => InputMode::Keys,
        Some(LayerKind::Question) => InputMode::Confirming,
        None if model.screen == Screen::ResumeOffer => InputMode::Resuming,
        None if model.in_text_input() => InputMode::Typing,
        None => InputMode::Moving,
    }
}

/// Where the footer is drawn, which decides what it lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FooterPlace {
    Help,
    Confirming,
    Explaining,
    AsCode,
    /// The "do it for me" plan, waiting for a yes.
    Applying,
    /// The "do it for me" view while it reads or writes, or after.
    ApplyDone,
    /// The keys at OpenAI.
    Keys,
    Resuming,
    /// A generated block has focus.
    Block,
    /// The register or validate button has focus.
    Run,
    /// A choice (cloud, path) has focus.
    Choice,
    /// The start screen, elsewhere than a choice.
    Start,
    /// A step, elsewhere than a block or a button.
    Step,
}

/// The footer's place, from the model.
pub fn footer_place(model: &Model) -> FooterPlace {
    match input_mode(model) {
        InputMode::Help => return FooterPlace::Help,
        InputMode::Confirming => return FooterPlace::Confirming,
        InputMode::Explaining => return FooterPlace::Explaining,
        InputMode::AsCode => return FooterPlace::AsCode,
        InputMode::Applying
            if model.layers.apply().is_some_and(|a| {
                a.phase == super::model::ApplyPhase::Planned
                    && crate::apply::readiness(&a.plan).may_write()
            }) =>
        {
            return FooterPlace::Applying;
        }
        InputMode::Applying => return FooterPlace::ApplyDone,
        InputMode::Keys => return FooterPlace::Keys,
        InputMode::Resuming => return FooterPlace::Resuming,
        InputMode::Typing | InputMode::Moving => {}
    }
    match (model.screen, model.focused()) {
        (_, Some(Focusable::Block(_))) => FooterPlace::Block,
        (_, Some(Focusable::Register | Focusable::Validate)) => FooterPlace::Run,
        (_, Some(Focusable::Choice(_))) => FooterPlace::Choice,
        (Screen::Start, _) => FooterPlace::Start,
        _ => FooterPlace::Step,
    }
}

/// Which modifiers a binding's key takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mods {
    /// Any, or none.
    Any,
    /// Not Control.
    NoCtrl,
    /// Control.
    Ctrl,
    /// Alt (Meta), without Control.
    Alt,
}

/// A key of a binding.
#[derive(Debug, Clone, Copy)]
struct Key(KeyCode, Mods);

impl Key {
    fn matches(self, event: &KeyEvent) -> bool {
        let ctrl = event.modifiers.contains(KeyModifiers::CONTROL);
        let alt = event.modifiers.contains(KeyModifiers::ALT);
        self.0 == event.code
            && match self.1 {
                Mods::Any => true,
                Mods::NoCtrl => !ctrl && !alt,
                Mods::Ctrl => ctrl,
                Mods::Alt => alt && !ctrl,
            }
    }
}

/// One row of the table.
pub struct Binding {
    keys: &'static [Key],
    modes: &'static [InputMode],
    /// What the keys ask for.
    action: fn() -> Msg,
    /// In the help screen: the keys as written, and what they do.
    help: Option<(&'static str, &'static str)>,
    /// In the footer: where, in which position, the keys as written, and a short word.
    footer: &'static [(FooterPlace, u8, &'static str, &'static str)],
}

use FooterPlace as F;
use InputMode as M;

const ALL: &[InputMode] = &[
    M::Help,
    M::Confirming,
    M::Explaining,
    M::AsCode,
    M::Applying,
    M::Keys,
    M::Resuming,
    M::Typing,
    M::Moving,
];
const ON_A_STEP: &[InputMode] = &[M::Typing, M::Moving];
const MOVING: &[InputMode] = &[M::Moving];

const fn plain(code: KeyCode) -> Key {
    Key(code, Mods::Any)
}

const fn letter(c: char) -> Key {
    Key(KeyCode::Char(c), Mods::NoCtrl)
}

const fn ctrl(c: char) -> Key {
    Key(KeyCode::Char(c), Mods::Ctrl)
}

const fn alt(code: KeyCode) -> Key {
    Key(code, Mods::Alt)
}

const fn ctrl_key(code: KeyCode) -> Key {
    Key(code, Mods::Ctrl)
}

/// Where text is typed: a field, or the explain screen's pasted text.
const TEXT: &[InputMode] = &[M::Typing, M::Explaining];

/// Every key binding of the wizard, in the order the help lists them; where two rows take the
/// same key in the same mode, the first wins (no row before the last takes Control-C or -Q).
pub static BINDINGS: &[Binding] = &[
    // The help screen: these close it; nothing else does anything.
    Binding {
        keys: &[
            plain(KeyCode::Esc),
            plain(KeyCode::F(1)),
            plain(KeyCode::Char('?')),
            letter('q'),
            plain(KeyCode::Enter),
        ],
        modes: &[M::Help],
        action: || Msg::CloseOverlay,
        help: None,
        footer: &[(F::Help, 1, "Esc", "close help")],
    },
    // The yes-or-no question: y creates, any other key cancels (the mode's fallback).
    Binding {
        keys: &[letter('y')],
        modes: &[M::Confirming],
        action: || Msg::ConfirmAction,
        help: None,
        footer: &[
            (F::Confirming, 1, "y", ASKED_ACTION),
            (F::Confirming, 2, "any other key", "cancel"),
        ],
    },
    // The offer to resume saved progress.
    Binding {
        keys: &[plain(KeyCode::Enter), letter('y'), letter('r')],
        modes: &[M::Resuming],
        action: || Msg::ResumeSavedProgress,
        help: None,
        footer: &[(F::Resuming, 1, "Enter", "resume")],
    },
    Binding {
        keys: &[letter('n'), plain(KeyCode::Esc)],
        modes: &[M::Resuming],
        action: || Msg::StartOver,
        help: None,
        footer: &[(F::Resuming, 2, "n", "start over (asks first)")],
    },
    // The explain screen: a few keys; the rest is text (the mode's fallback).
    Binding {
        keys: &[plain(KeyCode::Esc)],
        modes: &[M::Explaining],
        action: || Msg::CloseOverlay,
        help: None,
        footer: &[(F::Explaining, 1, "Esc", "back")],
    },
    Binding {
        keys: &[ctrl('g')],
        modes: &[M::Explaining],
        action: || Msg::GoToExplainedStep,
        help: None,
        footer: &[(F::Explaining, 2, "^G", "go to the step")],
    },
    Binding {
        keys: &[plain(KeyCode::Esc)],
        modes: &[M::Applying],
        action: || Msg::CloseOverlay,
        help: None,
        footer: &[
            (F::Applying, 3, "Esc", "back"),
            (F::ApplyDone, 1, "Esc", "back"),
        ],
    },
    // The keys at OpenAI: the cursor moves with ↑/↓ (the scroll rows), v, d, r; Esc goes back.
    Binding {
        keys: &[plain(KeyCode::Esc), letter('l'), plain(KeyCode::F(5))],
        modes: &[M::Keys],
        action: || Msg::CloseOverlay,
        help: None,
        footer: &[(F::Keys, 6, "Esc", "back")],
    },
    Binding {
        keys: &[letter('v')],
        modes: &[M::Keys],
        action: || Msg::ValidateSelectedKey,
        help: None,
        footer: &[(F::Keys, 2, "v", "validate")],
    },
    Binding {
        keys: &[letter('d'), plain(KeyCode::Delete)],
        modes: &[M::Keys],
        action: || Msg::DeleteSelectedKey,
        help: None,
        footer: &[(F::Keys, 3, "d", "delete")],
    },
    Binding {
        keys: &[letter('r')],
        modes: &[M::Keys],
        action: || Msg::ReadKeysAgain,
        help: None,
        footer: &[(F::Keys, 4, "r", "reread")],
    },
    // The "as code" view: files, scrolling, copy and write; the rest does nothing.
    Binding {
        keys: &[plain(KeyCode::Esc), letter('a'), plain(KeyCode::F(3))],
        modes: &[M::AsCode],
        action: || Msg::CloseOverlay,
        help: None,
        footer: &[(F::AsCode, 1, "Esc", "back")],
    },
    Binding {
        keys: &[plain(KeyCode::Tab), plain(KeyCode::Right)],
        modes: &[M::AsCode],
        action: || Msg::ShowCodeFile(1),
        help: None,
        footer: &[(F::AsCode, 2, "Tab", "file")],
    },
    Binding {
        keys: &[plain(KeyCode::BackTab), plain(KeyCode::Left)],
        modes: &[M::AsCode],
        action: || Msg::ShowCodeFile(-1),
        help: None,
        footer: &[],
    },
    Binding {
        keys: &[letter('c')],
        modes: &[M::AsCode],
        action: || Msg::CopyCodeFile,
        help: None,
        footer: &[(F::AsCode, 3, "c", "copy")],
    },
    Binding {
        keys: &[letter('w')],
        modes: &[M::AsCode],
        action: || Msg::WriteCodeFiles,
        help: None,
        footer: &[(F::AsCode, 4, "w", "write all")],
    },
    Binding {
        keys: &[plain(KeyCode::PageDown)],
        modes: &[M::Explaining, M::Help, M::AsCode, M::Applying, M::Keys],
        action: || Msg::ScrollPage(1),
        help: None,
        footer: &[
            (F::Explaining, 3, "PgDn/PgUp", "scroll"),
            (F::Help, 2, "↑/↓ PgDn/PgUp", "scroll"),
            (F::AsCode, 5, "↑/↓", "scroll"),
            (F::Applying, 4, "↑/↓", "scroll"),
            (F::ApplyDone, 2, "↑/↓", "scroll"),
        ],
    },
    Binding {
        keys: &[plain(KeyCode::PageUp)],
        modes: &[M::Explaining, M::Help, M::AsCode, M::Applying, M::Keys],
        action: || Msg::ScrollPage(-1),
        help: None,
        footer: &[],
    },
    // Steps and the start screen. Reading ahead first: no field takes Alt or Control with
    // these keys, so they work wherever the focus is (a plain PgDn row would take Ctrl-PgDn).
    Binding {
        keys: &[
            alt(KeyCode::Char(']')),
            ctrl_key(KeyCode::PageDown),
            plain(KeyCode::F(8)),
        ],
        modes: ON_A_STEP,
        action: || Msg::ReadStep(1),
        help: Some((
            "Alt-] / Ctrl-PgDn",
            "read the next step from anywhere, a field too, whatever is recorded (also F8; outside a field ]); Ctrl-PgUp, F7 or [ the previous",
        )),
        footer: &[
            (F::Step, 3, "Alt-]", "read ahead"),
            (F::Start, 5, "Alt-]", "read ahead"),
        ],
    },
    // Not Alt-[: terminals send it as ESC [, which begins every escape sequence.
    Binding {
        keys: &[ctrl_key(KeyCode::PageUp), plain(KeyCode::F(7))],
        modes: ON_A_STEP,
        action: || Msg::ReadStep(-1),
        help: None,
        footer: &[],
    },
    Binding {
        keys: &[plain(KeyCode::PageDown)],
        modes: ON_A_STEP,
        action: || Msg::NextStep,
        help: Some(("PgDn / PgUp", "next / previous step (back always works)")),
        footer: &[
            (F::Block, 5, "PgDn/PgUp", "step"),
            (F::Choice, 3, "PgDn", "begin"),
            (F::Start, 3, "PgDn", "begin"),
            (F::Step, 2, "PgDn/PgUp", "step"),
        ],
    },
    Binding {
        keys: &[plain(KeyCode::PageUp)],
        modes: ON_A_STEP,
        action: || Msg::PreviousStep,
        help: None,
        footer: &[(F::Run, 3, "PgUp", "back")],
    },
    Binding {
        keys: &[
            letter('1'),
            letter('2'),
            letter('3'),
            letter('4'),
            letter('5'),
            letter('6'),
            letter('7'),
            letter('8'),
            letter('9'),
        ],
        modes: MOVING,
        // The digit pressed picks the value (see `message_for_key`).
        action: || Msg::CopyValue(0),
        help: Some((
            "1–9",
            "copy one value of the focused block, as a console asks for it",
        )),
        footer: &[],
    },
    Binding {
        keys: &[letter(']')],
        modes: MOVING,
        action: || Msg::ReadStep(1),
        help: None,
        footer: &[],
    },
    Binding {
        keys: &[letter('[')],
        modes: MOVING,
        action: || Msg::ReadStep(-1),
        help: None,
        footer: &[],
    },
    // Editing text: one meaning per key, in every field and in the explain screen's text.
    Binding {
        keys: &[ctrl('u')],
        modes: TEXT,
        action: || Msg::EditText(TextEdit::Clear),
        help: Some(("Ctrl-U", "in a field: clear it (the admin key too)")),
        footer: &[],
    },
    Binding {
        keys: &[ctrl('w'), alt(KeyCode::Backspace)],
        modes: TEXT,
        action: || Msg::EditText(TextEdit::DeleteWord),
        help: Some((
            "Ctrl-W / Alt-Bksp",
            "in a field: delete the word before the cursor",
        )),
        footer: &[],
    },
    Binding {
        keys: &[plain(KeyCode::Home), ctrl('a')],
        modes: TEXT,
        action: || Msg::EditText(TextEdit::ToStart),
        help: Some(("Home / Ctrl-A", "in a field: to its start")),
        footer: &[],
    },
    Binding {
        keys: &[plain(KeyCode::End), ctrl('e')],
        modes: TEXT,
        action: || Msg::EditText(TextEdit::ToEnd),
        help: Some(("End / Ctrl-E", "in a field: to its end")),
        footer: &[],
    },
    Binding {
        keys: &[ctrl('z')],
        modes: TEXT,
        action: || Msg::EditText(TextEdit::Undo),
        help: Some(("Ctrl-Z / Ctrl-R", "in a field: undo / redo")),
        footer: &[],
    },
    Binding {
        keys: &[ctrl('r')],
        modes: TEXT,
        action: || Msg::EditText(TextEdit::Redo),
        help: None,
        footer: &[],
    },
    Binding {
        keys: &[plain(KeyCode::Tab)],
        modes: ON_A_STEP,
        action: || Msg::FocusNext,
        help: Some((
            "Tab / Shift-Tab",
            "move between fields and generated blocks",
        )),
        footer: &[
            (F::Block, 4, "Tab", "next"),
            (F::Run, 2, "Tab", "next"),
            (F::Choice, 2, "Tab", "next"),
            (F::Start, 1, "Tab", "next"),
            (F::Step, 1, "Tab", "next"),
        ],
    },
    Binding {
        keys: &[plain(KeyCode::BackTab)],
        modes: ON_A_STEP,
        action: || Msg::FocusPrevious,
        help: None,
        footer: &[],
    },
    Binding {
        keys: &[plain(KeyCode::Enter)],
        modes: ON_A_STEP,
        action: || Msg::Confirm,
        help: Some((
            "Enter",
            "next field; on the start screen's last field, begin",
        )),
        footer: &[
            (F::Run, 1, "Enter", "run"),
            (F::Start, 2, "Enter", "next/begin"),
        ],
    },
    Binding {
        keys: &[plain(KeyCode::Left)],
        modes: MOVING,
        action: || Msg::ChoosePrevious,
        help: Some(("←/→", "change a choice (cloud, path)")),
        footer: &[(F::Choice, 1, "←/→", "change")],
    },
    Binding {
        keys: &[plain(KeyCode::Right)],
        modes: MOVING,
        action: || Msg::ChooseNext,
        help: None,
        footer: &[],
    },
    // Only c copies: y answers questions, and a late y after one must not copy anything.
    Binding {
        keys: &[letter('c')],
        modes: MOVING,
        action: || Msg::CopyFocusedBlock,
        help: Some(("c", "copy the focused block (clipboard, OSC 52 or a file)")),
        footer: &[(F::Block, 1, "c", "copy")],
    },
    Binding {
        keys: &[letter('w')],
        modes: MOVING,
        action: || Msg::WriteFocusedBlockToFile,
        help: Some(("w", "write the focused block to a file and show its path")),
        footer: &[(F::Block, 2, "w", "to file")],
    },
    Binding {
        keys: &[letter('v')],
        modes: MOVING,
        action: || Msg::ShowExactText,
        help: Some((
            "v",
            "the focused block's exact text, full width, unframed and unfolded, for copying with the mouse; Esc comes back",
        )),
        footer: &[(F::Block, 3, "v", "plain")],
    },
    Binding {
        keys: &[alt(KeyCode::Char('l'))],
        modes: ON_A_STEP,
        action: || Msg::CopyConsoleLink,
        help: Some((
            "Alt-L / l",
            "copy the step's console link, whole (l only outside a field)",
        )),
        footer: &[],
    },
    Binding {
        keys: &[letter('l')],
        modes: MOVING,
        action: || Msg::CopyConsoleLink,
        help: None,
        footer: &[],
    },
    Binding {
        keys: &[plain(KeyCode::F(2))],
        modes: ON_A_STEP,
        action: || Msg::OpenExplainScreen,
        help: Some((
            "x / F2",
            "explain an error (there, Ctrl-G goes to the step)",
        )),
        footer: &[],
    },
    Binding {
        keys: &[letter('x')],
        modes: &[M::Moving, M::Keys],
        action: || Msg::OpenExplainScreen,
        help: None,
        footer: &[(F::Keys, 5, "x", "explain")],
    },
    Binding {
        keys: &[plain(KeyCode::F(5))],
        modes: ON_A_STEP,
        action: || Msg::OpenKeys,
        help: Some((
            "F5",
            "the organization's EKM keys at OpenAI: list, validate, delete one nothing uses (asks first)",
        )),
        footer: &[
            (F::Choice, 5, "F5", "keys"),
            (F::Start, 6, "F5", "keys"),
            (F::Run, 5, "F5", "keys"),
        ],
    },
    Binding {
        keys: &[letter('k')],
        modes: MOVING,
        action: || Msg::RunChecks,
        help: Some(("k", "check the setup live with your own cloud credentials")),
        footer: &[],
    },
    Binding {
        keys: &[letter('s')],
        modes: MOVING,
        action: || Msg::OfferAction,
        help: Some(("s", KIT_ACTIONS)),
        footer: &[],
    },
    Binding {
        keys: &[letter('f')],
        modes: MOVING,
        action: || Msg::GoToStepToFix,
        help: Some((
            "f",
            "go to the step that fixes the first failed check or registration",
        )),
        footer: &[],
    },
    Binding {
        keys: &[letter('e')],
        modes: MOVING,
        action: || Msg::ExportSupportBundle,
        help: Some(("e", "export a support bundle (Markdown, never a secret)")),
        footer: &[],
    },
    Binding {
        keys: &[plain(KeyCode::F(4))],
        modes: ON_A_STEP,
        action: || Msg::OpenApply,
        help: Some((
            "m / F4",
            "do it for me: this step's resources (on the start screen, all), after a plan and your yes",
        )),
        footer: &[],
    },
    Binding {
        keys: &[letter('m')],
        modes: MOVING,
        action: || Msg::OpenApply,
        help: None,
        footer: &[],
    },
    // The "do it for me" view: y applies the plan, u allows changing what differs.
    Binding {
        keys: &[letter('y')],
        modes: &[M::Applying],
        action: || Msg::ConfirmApply,
        help: Some((
            "y / u",
            "in \"do it for me\": y carries the plan out; u lets it also change what differs",
        )),
        footer: &[(F::Applying, 1, "y", "apply")],
    },
    Binding {
        keys: &[letter('u')],
        modes: &[M::Applying],
        action: || Msg::ToggleAllowUpdate,
        help: None,
        footer: &[(F::Applying, 2, "u", "allow updates")],
    },
    Binding {
        keys: &[letter('d')],
        modes: MOVING,
        action: || Msg::OfferDrill,
        help: Some((
            "d",
            "revocation drill (API path, last step, a key registered): cut OpenAI off and back, timed; asks first",
        )),
        footer: &[],
    },
    Binding {
        keys: &[plain(KeyCode::F(3))],
        modes: ON_A_STEP,
        action: || Msg::OpenAsCode,
        help: Some(("a / F3", AS_CODE)),
        footer: &[],
    },
    Binding {
        keys: &[letter('a')],
        modes: MOVING,
        action: || Msg::OpenAsCode,
        help: None,
        footer: &[],
    },
    Binding {
        keys: &[plain(KeyCode::Up)],
        modes: &[
            M::Typing,
            M::Moving,
            M::Help,
            M::AsCode,
            M::Applying,
            M::Keys,
        ],
        action: || Msg::ScrollContent(-1),
        help: Some(("↑/↓", "scroll the step")),
        footer: &[(F::Step, 4, "↑/↓", "scroll"), (F::Keys, 1, "↑/↓", "key")],
    },
    Binding {
        keys: &[plain(KeyCode::Down)],
        modes: &[
            M::Typing,
            M::Moving,
            M::Help,
            M::AsCode,
            M::Applying,
            M::Keys,
        ],
        action: || Msg::ScrollContent(1),
        help: None,
        footer: &[],
    },
    Binding {
        keys: &[plain(KeyCode::Home)],
        modes: &[M::Moving, M::AsCode],
        action: || Msg::ScrollContent(i32::MIN / 2),
        help: None,
        footer: &[],
    },
    Binding {
        keys: &[plain(KeyCode::End)],
        modes: &[M::Moving, M::AsCode],
        action: || Msg::ScrollContent(i32::MAX / 2),
        help: None,
        footer: &[],
    },
    Binding {
        keys: &[plain(KeyCode::F(1))],
        modes: &[
            M::Explaining,
            M::AsCode,
            M::Applying,
            M::Keys,
            M::Resuming,
            M::Typing,
            M::Moving,
        ],
        action: || Msg::ToggleHelp,
        help: Some(("? / F1", "this help (? only outside a text field)")),
        footer: &[
            (F::Explaining, 4, "F1", "help"),
            (F::Start, 4, "F1", "help"),
            (F::Step, 5, "F1", "help"),
        ],
    },
    Binding {
        keys: &[plain(KeyCode::Char('?'))],
        modes: &[M::Resuming, M::Moving, M::AsCode, M::Applying, M::Keys],
        action: || Msg::ToggleHelp,
        help: None,
        footer: &[
            (F::Keys, 7, "?", "help"),
            (F::Applying, 5, "?", "help"),
            (F::ApplyDone, 3, "?", "help"),
            (F::AsCode, 6, "?", "help"),
            (F::Block, 6, "?", "help"),
            (F::Run, 4, "?", "help"),
            (F::Choice, 4, "?", "help"),
        ],
    },
    Binding {
        keys: &[plain(KeyCode::Esc)],
        modes: ON_A_STEP,
        action: || Msg::CloseOverlay,
        help: Some(("Esc", "close help, or leave the explain screen")),
        footer: &[],
    },
    Binding {
        keys: &[ctrl('c'), ctrl('q')],
        modes: ALL,
        action: || Msg::Quit,
        help: Some(("Ctrl-C / Ctrl-Q", "save progress and quit")),
        footer: &[
            (F::Help, 9, "Ctrl-Q", "quit"),
            (F::Resuming, 9, "Ctrl-Q", "quit"),
            (F::Explaining, 9, "^Q", "quit"),
            (F::AsCode, 9, "^Q", "quit"),
            (F::Applying, 9, "^Q", "quit"),
            (F::ApplyDone, 9, "^Q", "quit"),
            (F::Keys, 9, "^Q", "quit"),
            (F::Block, 9, "^Q", "quit"),
            (F::Run, 9, "^Q", "quit"),
            (F::Choice, 9, "^Q", "quit"),
            (F::Start, 9, "^Q", "quit"),
            (F::Step, 9, "^Q", "quit"),
        ],
    },
];

/// The message a key stands for here, if any.
pub fn message_for_key(model: &Model, key: KeyEvent) -> Option<Msg> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    // While the "terminal too small" notice is up nothing is on screen to act on: only
    // quitting works, so no key changes what the admin cannot see.
    if !model.terminal_fits() {
        let quits = [ctrl('c'), ctrl('q')].iter().any(|k| k.matches(&key));
        return quits.then_some(Msg::Quit);
    }
    let mode = input_mode(model);
    let bound = BINDINGS
        .iter()
        .find(|b| b.modes.contains(&mode) && b.keys.iter().any(|k| k.matches(&key)));
    if let Some(binding) = bound {
        return Some(match ((binding.action)(), key.code) {
            (Msg::CopyValue(_), KeyCode::Char(digit @ '1'..='9')) => {
                Msg::CopyValue(digit as u8 - b'0')
            }
            (msg, _) => msg,
        });
    }
    // What an unbound key does depends on the mode alone.
    match mode {
        InputMode::Explaining | InputMode::Typing => Some(Msg::EditField(key.into())),
        InputMode::Confirming => Some(Msg::DeclineAction),
        InputMode::Help
        | InputMode::AsCode
        | InputMode::Applying
        | InputMode::Keys
        | InputMode::Resuming
        | InputMode::Moving => None,
    }
}

/// The keys that work where the admin is, for the footer, in their order.
pub fn footer_keys(model: &Model) -> Vec<(&'static str, &'static str)> {
    let place = footer_place(model);
    let asked = match model.layers.question() {
        Some(Question::Action(id)) => model.action_spec(id).map(|a| a.title),
        Some(Question::Discard) => Some("discard the saved progress"),
        Some(Question::Drill) => Some("start the drill"),
        Some(Question::DeleteKey) => Some("delete the key"),
        None => None,
    };
    // Ctrl-G is offered only when the text explained names a step of this cloud to go to.
    let goes_to_step = model.layers.explain().is_some_and(|pane| {
        crate::explain::explain(&pane.text()).is_some_and(|found| {
            found.entry.cloud == model.cloud && found.entry.step_position().is_some()
        })
    });
    let mut shown: Vec<(u8, &'static str, &'static str)> = BINDINGS
        .iter()
        .filter(|b| goes_to_step || !matches!((b.action)(), Msg::GoToExplainedStep))
        .flat_map(|b| b.footer.iter())
        .filter(|(at, ..)| *at == place)
        .map(|(_, order, keys, word)| {
            let word = match (*word, asked) {
                (ASKED_ACTION, Some(title)) => title,
                (ASKED_ACTION, None) => "yes",
                (word, _) => word,
            };
            (*order, *keys, word)
        })
        .collect();
    shown.sort_by_key(|(order, ..)| *order);
    shown
        .into_iter()
        .map(|(_, keys, word)| (keys, word))
        .collect()
}

/// The help screen's lines: the keys as written, and what they do.
pub fn help_lines() -> Vec<(&'static str, &'static str)> {
    BINDINGS
        .iter()
        .filter_map(|b| b.help)
        .flat_map(|(keys, words)| {
            if words == KIT_ACTIONS {
                crate::clouds::all()
                    .flat_map(|c| c.kit().actions().iter().map(|a| (keys, a.help)))
                    .collect()
            } else if words == AS_CODE {
                vec![(keys, as_code_help())]
            } else {
                vec![(keys, words)]
            }
        })
        .collect()
}

/// Stands in the table for the title of the action being asked.
const ASKED_ACTION: &str = "\u{1}asked action";
/// Stands in the table for the help lines of every kit's actions.
const KIT_ACTIONS: &str = "\u{1}kit actions";
/// Stands in the table for the help line of the setup as code, which names the formats.
const AS_CODE: &str = "\u{1}as code";

/// The help line of the setup as code: every kit's formats, each named once, in the order the
/// kits are offered.
fn as_code_help() -> &'static str {
    static LINE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    LINE.get_or_init(|| {
        let mut titles: Vec<&str> = Vec::new();
        for cloud in crate::clouds::all() {
            for format in cloud.kit().code_formats() {
                if !titles.contains(&format.title) {
                    titles.push(format.title);
                }
            }
        }
        if titles.is_empty() {
            "the setup as code: copy or write the files".to_string()
        } else {
            format!(
                "the setup as code ({}): copy or write the files",
                titles.join(", ")
            )
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_footer_place_lists_distinct_positions_and_quit_where_it_can() {
        for place in [
            F::Help,
            F::Confirming,
            F::Explaining,
            F::AsCode,
            F::Applying,
            F::ApplyDone,
            F::Keys,
            F::Resuming,
            F::Block,
            F::Run,
            F::Choice,
            F::Start,
            F::Step,
        ] {
            let mut orders: Vec<u8> = BINDINGS
                .iter()
                .flat_map(|b| b.footer.iter())
                .filter(|(at, ..)| *at == place)
                .map(|(_, order, ..)| *order)
                .collect();
            assert!(!orders.is_empty(), "{place:?} has a footer");
            let count = orders.len();
            orders.sort_unstable();
            orders.dedup();
            assert_eq!(
                orders.len(),
                count,
                "{place:?}: two entries in one position"
            );
        }
    }

    #[test]
    fn no_row_is_shadowed_by_an_earlier_one() {
        for (index, binding) in BINDINGS.iter().enumerate() {
            for key in binding.keys {
                for mode in binding.modes {
                    let first = BINDINGS
                        .iter()
                        .position(|b| {
                            b.modes.contains(mode)
                                && b.keys.iter().any(|k| k.0 == key.0 && k.1 == key.1)
                        })
                        .unwrap();
                    assert_eq!(
                        first, index,
                        "{:?} in {mode:?} is taken by row {first} before row {index}",
                        key.0
                    );
                }
            }
        }
    }

    #[test]
    fn the_as_code_help_names_each_kits_formats_once() {
        let (_, line) = help_lines()
            .into_iter()
            .find(|(keys, _)| *keys == "a / F3")
            .unwrap();
        for cloud in crate::clouds::all() {
            for format in cloud.kit().code_formats() {
                assert_eq!(line.matches(format.title).count(), 1, "{line}");
            }
        }
        assert!(!line.contains('\u{1}'), "{line}");
    }

    #[test]
    fn the_help_lists_every_command_letter() {
        let help = help_lines();
        for keys in [
            "c", "w", "k", "s", "f", "e", "a / F3", "m / F4", "x / F2", "? / F1", "F5",
        ] {
            assert!(
                help.iter().any(|(k, _)| *k == keys),
                "{keys} is not in the help"
            );
        }
    }
}
