//! Small read-only views of the model for a front end that is not the full-screen one (the
//! plain line-by-line wizard): what an overlay holds, asked here rather than by field names,
//! so that how the model keeps its overlays can change in one place.

use super::model::{ApplyPane, DrillOffer, KeysPane, Model, Question};

impl Model {
    /// The text the explain view holds, while it is open.
    pub(crate) fn explain_text(&self) -> Option<String> {
        self.layers.explain().map(|pane| pane.text())
    }

    /// The "do it for me" view, while it is open.
    pub(crate) fn apply_view(&self) -> Option<&ApplyPane> {
        self.layers.apply()
    }

    /// The view of the keys at OpenAI, while it is open.
    pub(crate) fn keys_view(&self) -> Option<&KeysPane> {
        self.layers.keys()
    }

    /// The question waiting for the admin's yes, if one is asked.
    pub(crate) fn question_asked(&self) -> Option<Question> {
        self.layers.question()
    }

    /// Whether the revocation drill is under way (the key may be off).
    pub(crate) fn drill_running(&self) -> bool {
        self.drill == DrillOffer::Running
    }

    /// Seconds until the next automatic re-check, while one is counted down.
    pub(crate) fn recheck_seconds_left(&self) -> Option<u32> {
        self.recheck.map(|recheck| recheck.seconds_left)
    }
}
