//! Keys to messages, given where the admin is: a text field takes printable keys, elsewhere
//! single letters are commands. Every binding is listed in the help screen (`assets/start.toml`).

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::model::{Focusable, Model, Screen, ServicePrincipalOffer};
use super::msg::Msg;

/// The message a key stands for here, if any.
pub fn message_for_key(model: &Model, key: KeyEvent) -> Option<Msg> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    if ctrl && matches!(key.code, KeyCode::Char('c' | 'q')) {
        return Some(Msg::Quit);
    }
    if model.help_open {
        return match key.code {
            KeyCode::Esc | KeyCode::F(1) | KeyCode::Char('?' | 'q') | KeyCode::Enter => {
                Some(Msg::CloseOverlay)
            }
            _ => None,
        };
    }
    if model.explain.is_some() {
        return match key.code {
            KeyCode::Esc => Some(Msg::CloseOverlay),
            KeyCode::F(1) => Some(Msg::ToggleHelp),
            KeyCode::Char('g') if ctrl => Some(Msg::GoToExplainedStep),
            KeyCode::PageDown => Some(Msg::ScrollContent(5)),
            KeyCode::PageUp => Some(Msg::ScrollContent(-5)),
            _ => Some(Msg::EditField(key.into())),
        };
    }
    if model.service_principal == ServicePrincipalOffer::Asking {
        return Some(match key.code {
            KeyCode::Char('y') if !ctrl => Msg::CreateServicePrincipal,
            _ => Msg::DeclineServicePrincipal,
        });
    }
    if model.screen == Screen::ResumeOffer {
        return match key.code {
            KeyCode::Enter | KeyCode::Char('y' | 'r') => Some(Msg::ResumeSavedProgress),
            KeyCode::Char('n') | KeyCode::Esc => Some(Msg::StartOver),
            KeyCode::F(1) | KeyCode::Char('?') => Some(Msg::ToggleHelp),
            _ => None,
        };
    }
    let in_field = model.in_text_input();
    match key.code {
        KeyCode::F(1) => Some(Msg::ToggleHelp),
        KeyCode::F(2) => Some(Msg::OpenExplainScreen),
        KeyCode::PageDown => Some(Msg::NextStep),
        KeyCode::PageUp => Some(Msg::PreviousStep),
        KeyCode::Tab => Some(Msg::FocusNext),
        KeyCode::BackTab => Some(Msg::FocusPrevious),
        KeyCode::Enter => Some(Msg::Confirm),
        KeyCode::Up => Some(Msg::ScrollContent(-1)),
        KeyCode::Down => Some(Msg::ScrollContent(1)),
        KeyCode::Esc => Some(Msg::CloseOverlay),
        _ if in_field => Some(Msg::EditField(key.into())),
        KeyCode::Left => Some(Msg::ChoosePrevious),
        KeyCode::Right => Some(Msg::ChooseNext),
        KeyCode::Char('?') => Some(Msg::ToggleHelp),
        KeyCode::Char('c') | KeyCode::Char('y') if !ctrl => Some(Msg::CopyFocusedBlock),
        KeyCode::Char('w') if !ctrl => Some(Msg::WriteFocusedBlockToFile),
        KeyCode::Char('x') if !ctrl => Some(Msg::OpenExplainScreen),
        KeyCode::Char('e') if !ctrl => Some(Msg::ExportSupportBundle),
        KeyCode::Char('k') if !ctrl => Some(Msg::RunChecks),
        KeyCode::Char('f') if !ctrl => Some(Msg::GoToStepToFix),
        KeyCode::Char('s') if !ctrl => Some(Msg::OfferServicePrincipal),
        KeyCode::Home => Some(Msg::ScrollContent(i32::MIN / 2)),
        KeyCode::End => Some(Msg::ScrollContent(i32::MAX / 2)),
        _ => None,
    }
}

/// The keys that work where the admin is, for the footer.
pub fn footer_keys(model: &Model) -> Vec<(&'static str, &'static str)> {
    if model.help_open {
        return vec![("Esc", "close help"), ("Ctrl-Q", "quit")];
    }
    if model.service_principal == ServicePrincipalOffer::Asking {
        return vec![
            ("y", "create OpenAI's service principal"),
            ("any other key", "cancel"),
        ];
    }
    if model.explain.is_some() {
        return vec![
            ("Esc", "back"),
            ("^G", "go to the step"),
            ("PgDn/PgUp", "scroll"),
            ("F1", "help"),
            ("^Q", "quit"),
        ];
    }
    match (model.screen, model.focused()) {
        (Screen::ResumeOffer, _) => {
            vec![("Enter", "resume"), ("n", "start over"), ("Ctrl-Q", "quit")]
        }
        (_, Some(Focusable::Block(_))) => vec![
            ("c", "copy"),
            ("w", "to file"),
            ("Tab", "next"),
            ("PgDn/PgUp", "step"),
            ("?", "help"),
            ("^Q", "quit"),
        ],
        (_, Some(Focusable::Register | Focusable::Validate)) => vec![
            ("Enter", "run"),
            ("Tab", "next"),
            ("PgUp", "back"),
            ("?", "help"),
            ("^Q", "quit"),
        ],
        (_, Some(Focusable::Choice(_))) => vec![
            ("←/→", "change"),
            ("Tab", "next"),
            ("PgDn", "begin"),
            ("?", "help"),
            ("^Q", "quit"),
        ],
        (Screen::Start, _) => vec![
            ("Tab", "next"),
            ("Enter", "next/begin"),
            ("PgDn", "begin"),
            ("F1", "help"),
            ("^Q", "quit"),
        ],
        _ => vec![
            ("Tab", "next"),
            ("PgDn", "next step"),
            ("PgUp", "back"),
            ("↑/↓", "scroll"),
            ("F1", "help"),
            ("^Q", "quit"),
        ],
    }
}
