//! What is over the screen: one stack of layers (help, explain, as code, do it for me, a
//! question), the topmost on top. The mode keys are read in, what the footer offers, what Esc
//! closes and what `update` sends a key to all follow from the top of this one stack, so their
//! order is written once: the order in which the admin opened them.

use ratatui::style::Style;
use ratatui_textarea::TextArea;

use crate::guide::ActionId;

/// One layer over the step or start screen.
pub enum Layer {
    /// The help screen, scrolled to this row.
    Help { scroll: u16 },
    /// The explain screen.
    Explain(Box<ExplainPane>),
    /// The setup as code.
    AsCode(AsCodePane),
    /// "Do it for me".
    Apply(ApplyPane),
    /// The organization's EKM keys at OpenAI.
    Keys(Box<KeysPane>),
    /// A question waiting for the admin's yes.
    Question(Question),
}

/// Which kind of layer, to find or close one without caring what it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayerKind {
    Help,
    Explain,
    AsCode,
    Apply,
    Keys,
    Question,
}

impl Layer {
    pub fn kind(&self) -> LayerKind {
        match self {
            Layer::Help { .. } => LayerKind::Help,
            Layer::Explain(_) => LayerKind::Explain,
            Layer::AsCode(_) => LayerKind::AsCode,
            Layer::Apply(_) => LayerKind::Apply,
            Layer::Keys(_) => LayerKind::Keys,
            Layer::Question(_) => LayerKind::Question,
        }
    }

    /// Whether the layer takes the content area (help and questions leave it as it is).
    pub fn takes_content(&self) -> bool {
        matches!(
            self,
            Layer::Explain(_) | Layer::AsCode(_) | Layer::Apply(_) | Layer::Keys(_)
        )
    }
}

/// The layers open, the one the admin opened last on top. At most one of each kind.
#[derive(Default)]
pub struct Layers(Vec<Layer>);

impl Layers {
    /// The layer keys go to.
    pub fn top(&self) -> Option<&Layer> {
        self.0.last()
    }

    pub fn top_kind(&self) -> Option<LayerKind> {
        self.top().map(Layer::kind)
    }

    /// Whether a layer of this kind is open, anywhere in the stack.
    pub fn has(&self, kind: LayerKind) -> bool {
        self.0.iter().any(|l| l.kind() == kind)
    }

    /// Opens a layer on top. One of the same kind is replaced, and the help closes: a view
    /// opened from the help is what the admin wants to see.
    pub fn open(&mut self, layer: Layer) {
        let kind = layer.kind();
        self.0
            .retain(|l| l.kind() != kind && l.kind() != LayerKind::Help);
        self.0.push(layer);
    }

    /// Closes the layer of this kind, wherever it is, and gives it back.
    pub fn close(&mut self, kind: LayerKind) -> Option<Layer> {
        let at = self.0.iter().rposition(|l| l.kind() == kind)?;
        Some(self.0.remove(at))
    }

    /// The topmost layer that takes the content area, to draw there.
    pub fn content(&self) -> Option<&Layer> {
        self.0.iter().rev().find(|l| l.takes_content())
    }

    /// The help's scroll, while the help is open.
    pub fn help(&self) -> Option<u16> {
        self.0.iter().find_map(|l| match l {
            Layer::Help { scroll } => Some(*scroll),
            _ => None,
        })
    }

    pub fn help_mut(&mut self) -> Option<&mut u16> {
        self.0.iter_mut().find_map(|l| match l {
            Layer::Help { scroll } => Some(scroll),
            _ => None,
        })
    }

    pub fn explain(&self) -> Option<&ExplainPane> {
        self.0.iter().find_map(|l| match l {
            Layer::Explain(pane) => Some(pane.as_ref()),
            _ => None,
        })
    }

    pub fn explain_mut(&mut self) -> Option<&mut ExplainPane> {
        self.0.iter_mut().find_map(|l| match l {
            Layer::Explain(pane) => Some(pane.as_mut()),
            _ => None,
        })
    }

    pub fn as_code(&self) -> Option<&AsCodePane> {
        self.0.iter().find_map(|l| match l {
            Layer::AsCode(pane) => Some(pane),
            _ => None,
        })
    }

    pub fn as_code_mut(&mut self) -> Option<&mut AsCodePane> {
        self.0.iter_mut().find_map(|l| match l {
            Layer::AsCode(pane) => Some(pane),
            _ => None,
        })
    }

    pub fn apply(&self) -> Option<&ApplyPane> {
        self.0.iter().find_map(|l| match l {
            Layer::Apply(pane) => Some(pane),
            _ => None,
        })
    }

    pub fn apply_mut(&mut self) -> Option<&mut ApplyPane> {
        self.0.iter_mut().find_map(|l| match l {
            Layer::Apply(pane) => Some(pane),
            _ => None,
        })
    }

    pub fn keys(&self) -> Option<&KeysPane> {
        self.0.iter().find_map(|l| match l {
            Layer::Keys(pane) => Some(pane.as_ref()),
            _ => None,
        })
    }

    pub fn keys_mut(&mut self) -> Option<&mut KeysPane> {
        self.0.iter_mut().find_map(|l| match l {
            Layer::Keys(pane) => Some(pane.as_mut()),
            _ => None,
        })
    }

    /// The question asked, if one is.
    pub fn question(&self) -> Option<Question> {
        self.0.iter().find_map(|l| match l {
            Layer::Question(q) => Some(*q),
            _ => None,
        })
    }

    /// Asks a question (replacing any other: one at a time).
    pub fn ask(&mut self, question: Question) {
        self.open(Layer::Question(question));
    }

    /// Takes the question asked away, to answer it.
    pub fn take_question(&mut self) -> Option<Question> {
        match self.close(LayerKind::Question) {
            Some(Layer::Question(q)) => Some(q),
            _ => None,
        }
    }
}

/// The "explain an error" screen: a text area where any error text can be pasted.
pub struct ExplainPane {
    pub editor: TextArea<'static>,
    /// It opened holding the last error: a paste replaces that text instead of adding to it.
    pub holds_last_error: bool,
    /// First line of the explanation on screen.
    pub scroll: u16,
}

impl ExplainPane {
    pub fn new() -> Self {
        let mut editor = TextArea::default();
        editor.set_placeholder_text("Paste an error here (Ctrl-Shift-V or your terminal's paste)");
        editor.set_cursor_line_style(Style::default());
        editor.set_wrap_mode(ratatui_textarea::WrapMode::WordOrGlyph);
        ExplainPane {
            editor,
            scroll: 0,
            holds_last_error: false,
        }
    }

    /// The pane holding `text` already (the last refusal), ready to explain or to replace.
    pub fn holding(text: &str) -> Self {
        let mut pane = ExplainPane::new();
        pane.editor = TextArea::new(text.lines().map(str::to_string).collect());
        pane.editor
            .set_placeholder_text("Paste an error here (Ctrl-Shift-V or your terminal's paste)");
        pane.editor.set_cursor_line_style(Style::default());
        pane.editor
            .set_wrap_mode(ratatui_textarea::WrapMode::WordOrGlyph);
        pane.editor
            .move_cursor(ratatui_textarea::CursorMove::Bottom);
        pane.editor.move_cursor(ratatui_textarea::CursorMove::End);
        pane.holds_last_error = true;
        pane
    }

    pub fn text(&self) -> String {
        self.editor.lines().join("\n")
    }
}

impl Default for ExplainPane {
    fn default() -> Self {
        Self::new()
    }
}

/// The "as code" view: the setup as files of one format, one file on show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AsCodePane {
    /// Which of the cloud's code formats.
    pub format: usize,
    /// Which file of that format.
    pub file: usize,
    /// First line of the file on screen.
    pub scroll: usize,
}

/// Where "do it for me" stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplyPhase {
    /// Reading what exists.
    Planning,
    /// The plan is shown: waiting for the admin's yes.
    Planned,
    /// Writing.
    Applying,
    /// Done, refused or stopped: the outcome is shown.
    Finished,
}

/// The "do it for me" view: the plan, then what was done, and every call made.
#[derive(Debug, Clone)]
pub struct ApplyPane {
    /// The step whose resources are made; `None` for all of them.
    pub step: Option<crate::guide::StepId>,
    /// The kit's applier, built once when the view opened; `None` only in tests of the view.
    pub applier: Option<super::effect::ApplierHandle>,
    pub phase: ApplyPhase,
    pub plan: Vec<crate::guide::apply::Planned>,
    pub done: Vec<crate::apply::Done>,
    pub calls: Vec<crate::guide::apply::Call>,
    /// Resources that differ are changed too (the admin pressed u).
    pub allow_update: bool,
    /// Why the run could not start or stopped, or how it ended.
    pub outcome: Option<String>,
    pub scroll: usize,
}

/// What the keys view knows of OpenAI's listing.
#[derive(Debug, Clone, PartialEq)]
pub enum KeysListing {
    /// Being read.
    Reading,
    /// Read (every page, or `incomplete`).
    Read {
        keys: Vec<crate::openai::keys::ExternalKey>,
        incomplete: bool,
    },
    /// Could not be read, and why.
    Failed(String),
}

/// What validating one key of the list came to.
#[derive(Debug, Clone, PartialEq)]
pub enum KeyValidation {
    /// Asked of OpenAI; no answer yet.
    Asking,
    /// Answered (or not asked), read by `openai::validity`; the error's words when not valid.
    Answered(crate::openai::validity::Validity, Option<String>),
}

/// The organization's EKM keys (the transitions and the view are in `features::keys`).
#[derive(Debug, Clone, PartialEq)]
pub struct KeysPane {
    pub listing: KeysListing,
    /// The key the cursor is on, in the listing's order.
    pub selected: usize,
    /// Tags requests of this view so an answer for a closed or reread view is dropped.
    pub generation: u64,
    /// Each key's last validation in this view.
    pub validations: Vec<(String, KeyValidation)>,
    /// The key whose delete is asked or under way.
    pub deleting: Option<String>,
    /// What the last delete (or refusal to delete) came to, in words.
    pub note: Option<(bool, String)>,
}

/// The one question waiting for the admin's yes (y) or no (any other key). Only one is ever
/// asked at a time, so what y and Esc answer is never a matter of priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Question {
    /// Perform the kit's action.
    Action(ActionId),
    /// Discard the saved progress (from the resume screen).
    Discard,
    /// Start the revocation drill.
    Drill,
    /// Delete the registration of the key chosen in the keys view (nothing uses it).
    DeleteKey,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_layer_opened_last_has_the_keys_and_esc_uncovers_the_one_below() {
        let mut layers = Layers::default();
        assert_eq!(layers.top_kind(), None);
        layers.open(Layer::AsCode(AsCodePane::default()));
        layers.ask(Question::Discard);
        assert_eq!(layers.top_kind(), Some(LayerKind::Question));
        // The content area still shows the code: a question does not take it.
        assert_eq!(layers.content().map(Layer::kind), Some(LayerKind::AsCode));
        assert_eq!(layers.take_question(), Some(Question::Discard));
        assert_eq!(layers.top_kind(), Some(LayerKind::AsCode));
        assert_eq!(layers.take_question(), None);
    }

    #[test]
    fn a_view_opened_from_the_help_closes_it_and_one_of_a_kind_is_replaced() {
        let mut layers = Layers::default();
        layers.open(Layer::Help { scroll: 3 });
        assert_eq!(layers.help(), Some(3));
        layers.open(Layer::Explain(Box::default()));
        assert_eq!(layers.help(), None);
        layers.open(Layer::Help { scroll: 0 });
        assert_eq!(layers.top_kind(), Some(LayerKind::Help));
        assert_eq!(layers.content().map(Layer::kind), Some(LayerKind::Explain));
        layers.ask(Question::Drill);
        layers.ask(Question::Discard);
        assert_eq!(layers.question(), Some(Question::Discard));
        assert!(layers.close(LayerKind::Explain).is_some());
        assert!(!layers.has(LayerKind::Explain));
    }
}
