//! The wizard's state: which screen, which cloud and path, the text of every field, focus,
//! scroll and the status line. Everything else (validity, generated blocks, step states) is
//! derived from it when needed.

use std::collections::BTreeMap;

use ratatui::style::Style;
use ratatui_textarea::TextArea;

pub use super::mode::{
    ApplyPane, ApplyPhase, AsCodePane, ExplainPane, KeyValidation, KeysListing, KeysPane, Layer,
    LayerKind, Layers, Question,
};
use super::preset::Preset;
use super::registration::RegistrationPane;
use super::theme::Theme;
use crate::artifacts;
use crate::guide::{self, ActionId, ArtifactId, Cloud, FieldId, Guide, Inputs, SetupPath, Step};
use crate::openai::ApiBase;
use crate::session::{Loaded, SESSION_FORMAT, Session};

/// The screen on show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    /// Saved progress was found: offer to resume it.
    ResumeOffer,
    /// Cloud, path and organization.
    Start,
    /// A step of the cloud's guide (0-based index).
    Step(usize),
}

/// A choice on the start screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    Cloud,
    Path,
}

/// Something that can hold focus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focusable {
    Choice(Choice),
    Field(FieldId),
    /// The start screen's "Begin" button.
    Begin,
    Block(ArtifactId),
    /// The masked admin key input (API path, last step).
    AdminKey,
    /// "Check and register" (API path, last step).
    Register,
    /// "Validate" the registered key (API path, last step).
    Validate,
}

/// How a step stands, for the step list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepState {
    /// Every field valid and the step reached.
    Done,
    /// A field holds a value that is refused.
    Invalid,
    /// Not reached, or fields still empty.
    Pending,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusKind {
    Info,
    Success,
    Error,
}

/// The one-line message under the content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub kind: StatusKind,
    pub text: String,
    /// Which saying this is: the same words said again are a new status (a message about
    /// the view on show stays when the view changes only if it was said for the new one).
    pub said: u64,
}

impl Status {
    pub fn new(kind: StatusKind, text: String) -> Self {
        static SAID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        Status {
            kind,
            text,
            said: SAID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        }
    }
}

/// Whether progress can be saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Saving {
    Enabled,
    /// Progress is not saved, for this reason (shown to the admin).
    Disabled(String),
}

/// Everything the wizard starts from.
#[derive(Debug, Clone, Default)]
pub struct StartOptions {
    pub args: Preset,
    /// Saved progress, when `--fresh` was not given.
    pub loaded: Option<Loaded>,
    /// Why progress cannot be saved, if it cannot.
    pub saving_disabled: Option<String>,
    pub width: u16,
    pub height: u16,
    pub theme: Theme,
    /// The Management API base (or why the configured one is refused).
    pub api_base: Option<Result<ApiBase, String>>,
    /// `OPENAI_ADMIN_KEY` is set.
    pub key_from_env: bool,
    /// The secrets of this run, captured from the environment at start.
    pub redactor: crate::secrets::Redactor,
}

/// One file of the "as code" view, from the values recorded so far.
pub struct CodeFile {
    pub format: guide::CodeFormat,
    pub name: String,
    pub text: String,
}

/// The live checks of this run.
#[derive(Debug, Default)]
pub struct ChecksState {
    /// Tags a run so results of a replaced run are dropped.
    pub generation: u64,
    pub running: bool,
    /// Results so far, in the order they arrived.
    pub results: Vec<crate::checks::CheckResult>,
    /// The results of the run before this one (to tell a re-check after a fix).
    pub previous: Vec<crate::checks::CheckResult>,
    /// Why the checks could not run at all.
    pub error: Option<String>,
}

/// Where the revocation drill of the last step stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DrillOffer {
    #[default]
    Idle,
    /// The key may be off: Esc (or quitting) switches it on first.
    Running,
}

/// The smallest terminal the wizard draws in; below it, only a notice (and only quitting).
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

/// Checks run again on their own while a fix may still be spreading through the cloud.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recheck {
    /// Tags the countdown: a tick of a stopped or replaced one is dropped.
    pub id: u64,
    /// How many automatic re-checks were started.
    pub attempt: u32,
    pub seconds_left: u32,
    /// Seconds of waiting so far, this wait included.
    pub waited: u32,
    /// What spreads, and for how long at most.
    pub propagation: crate::guide::Propagation,
}

/// Where an action the cloud's kit offers (creating OpenAI's service principal, say) stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ActionOffer {
    #[default]
    Idle,
    /// Asked of the cloud; waiting for its answer.
    Running(ActionId),
}

/// How many errors of this run the support bundle keeps.
pub const RECENT_ERRORS_KEPT: usize = 10;

pub struct Model {
    pub screen: Screen,
    pub cloud: Cloud,
    pub path: SetupPath,
    /// One single-line editor for every field; the text typed is the source of truth.
    pub editors: BTreeMap<FieldId, TextArea<'static>>,
    /// Index into `focusables()`.
    pub focus: usize,
    /// First content line on screen.
    pub scroll: usize,
    /// The furthest step reached (0-based).
    pub reached: usize,
    /// Show "is empty" errors too: set when leaving a step was refused.
    pub show_empty_errors: bool,
    /// What is over the screen (help, explain, as code, do it for me, a question), the
    /// topmost on top: the one mode the keys, the footer and `update` read.
    pub layers: Layers,
    pub status: Option<Status>,
    pub saving: Saving,
    /// Saved progress offered on the resume screen.
    pub resume: Option<Session>,
    /// Start flags that differ from the saved progress, held until the admin chooses: Enter
    /// resumes (the flags go unused), `n` and a yes start over with them.
    pub held_flags: Option<Preset>,
    pub width: u16,
    pub height: u16,
    pub theme: Theme,
    pub quitting: bool,
    /// The countdown to the next automatic re-check, while one is set.
    pub recheck: Option<Recheck>,
    /// The last countdown's id.
    pub recheck_serial: u64,
    /// The admin stopped the countdown: none starts again until they check by hand.
    pub recheck_declined: bool,
    /// The revocation drill (last step, API path, a key registered).
    pub drill: DrillOffer,
    /// Errors met in this run, newest last, for the support bundle (already redacted).
    pub recent_errors: Vec<String>,
    /// The last status messages, oldest first, whole: the help lists them, so a message cut
    /// short on the status line or replaced can still be read.
    pub status_history: Vec<String>,
    /// The secrets of this run, captured at start (and any key typed since): every text the
    /// wizard keeps or shows from outside passes it.
    pub redactor: crate::secrets::Redactor,
    /// Registration on the API path.
    pub registration: RegistrationPane,
    /// The key registered through the wizard, kept in the saved progress.
    pub external_key_id: Option<String>,
    pub project_id: Option<String>,
    /// Turns while something runs.
    pub spinner: usize,
    pub checks: ChecksState,
    pub action: ActionOffer,
    /// Scrolling took every focusable item off screen: keys are commands, not text.
    pub focus_hidden: bool,
    /// Counts the messages that may change what the content holds (every one but a scroll
    /// or a spinner's turn): the content's measure is kept while it stays the same.
    pub revision: u64,
    /// The content's last measure and what it was taken for (see `layout::measure`).
    pub(crate) measured: std::cell::RefCell<Option<super::layout::Measured>>,
}

impl Model {
    pub fn new(options: StartOptions) -> Model {
        let mut model = Model {
            screen: Screen::Start,
            cloud: crate::clouds::first(),
            path: SetupPath::Api,
            editors: BTreeMap::new(),
            focus: 0,
            scroll: 0,
            reached: 0,
            show_empty_errors: false,
            layers: Layers::default(),
            status: None,
            saving: match options.saving_disabled {
                Some(reason) => Saving::Disabled(reason),
                None => Saving::Enabled,
            },
            resume: None,
            held_flags: None,
            width: options.width,
            height: options.height,
            theme: options.theme,
            quitting: false,
            recheck: None,
            recheck_serial: 0,
            recheck_declined: false,
            drill: DrillOffer::Idle,
            recent_errors: Vec::new(),
            status_history: Vec::new(),
            redactor: options.redactor.clone(),
            registration: RegistrationPane {
                key_from_env: options.key_from_env,
                api_base: options.api_base,
                ..Default::default()
            },
            external_key_id: None,
            project_id: None,
            spinner: 0,
            checks: ChecksState::default(),
            action: ActionOffer::Idle,
            focus_hidden: false,
            revision: 0,
            measured: std::cell::RefCell::new(None),
        };
        let args = options.args;
        let flags_given = args.cloud.is_some() || args.org_id.is_some();
        for cloud in crate::clouds::all() {
            model.ensure_editors(cloud);
        }
        match options.loaded {
            Some(Loaded::Session(session)) if !flags_given => {
                model.resume = Some(session);
                model.screen = Screen::ResumeOffer;
            }
            Some(Loaded::Session(session)) if flags_agree_with(&args, &session) => {
                // Flags that only repeat or add to what was recorded keep all of it, the step
                // reached included: the walk goes on where it was.
                model.cloud = session.cloud;
                model.ensure_editors(model.cloud);
                model.load_inputs(&session.inputs);
                if let Some(left_out) = session.inputs.left_out_sentence() {
                    model.status = Some(Status::new(StatusKind::Error, left_out));
                }
                model.path = session.path;
                model.external_key_id = session.external_key_id;
                model.project_id = session.project_id;
                model.reached = session.reached.min(model.guide().steps.len());
                model.apply_preset(&args);
                if let (Screen::Step(_), 1..) = (model.screen, session.step) {
                    model.screen =
                        Screen::Step(session.step.min(model.guide().steps.len()).max(1) - 1);
                }
                model.refresh_editor_styles();
                return model;
            }
            Some(Loaded::Session(session)) => {
                // Flags for another cloud or other values: nothing saved goes without a yes.
                model.resume = Some(session);
                model.screen = Screen::ResumeOffer;
                model.held_flags = Some(args);
                model.refresh_placeholders();
                model.refresh_editor_styles();
                return model;
            }
            Some(Loaded::SetAside { reason, moved_to }) => {
                let kept = moved_to
                    .map(|p| format!(" It was kept as {}.", p.display()))
                    .unwrap_or_default();
                model.status = Some(Status::new(
                    StatusKind::Error,
                    format!("Starting fresh: {reason}.{kept}"),
                ));
            }
            _ => {}
        }
        model.apply_preset(&args);
        model.refresh_editor_styles();
        model
    }

    /// Takes the start flags: the cloud, path, organization and presented id they give, and
    /// the first step when they are enough to begin.
    pub fn apply_preset(&mut self, args: &Preset) {
        if let Some(cloud) = args.cloud {
            self.cloud = cloud;
        }
        self.ensure_editors(self.cloud);
        self.refresh_placeholders();
        if let Some(path) = args.path {
            self.path = path;
        }
        if let Some(org) = &args.org_id {
            self.set_field(FieldId::ORG_ID, org);
        }
        if let (Some(external), Some(field)) = (&args.external_id, self.cloud.presented_id_field())
        {
            self.set_field(field, external);
        }
        if args.cloud.is_some() && args.org_id.is_some() {
            match self.start_problem() {
                None => self.screen = Screen::Step(0),
                Some(problem) => {
                    self.status = Some(Status::new(StatusKind::Error, problem));
                    self.show_empty_errors = true;
                }
            }
        }
    }

    /// How held start flags differ from the saved progress, in words ("cloud Azure Key Vault
    /// (saved: AWS KMS)").
    pub fn held_flags_differences(&self) -> Vec<String> {
        match (&self.held_flags, &self.resume) {
            (Some(args), Some(session)) => differences(args, session),
            _ => Vec::new(),
        }
    }

    /// Whether the terminal is big enough to draw the wizard in.
    pub fn terminal_fits(&self) -> bool {
        self.width >= MIN_WIDTH && self.height >= MIN_HEIGHT
    }

    /// The guide of the chosen cloud.
    pub fn guide(&self) -> &'static Guide {
        self.cloud.guide()
    }

    /// The step on screen, if a step is on screen.
    pub fn current_step(&self) -> Option<(usize, &'static Step)> {
        match self.screen {
            Screen::Step(index) => self.guide().steps.get(index).map(|s| (index, s)),
            _ => None,
        }
    }

    /// The field for the id OpenAI presents, when the start screen asks for it.
    pub fn presented_id_field(&self) -> Option<FieldId> {
        match self.path {
            SetupPath::Api => self.cloud.presented_id_field(),
            SetupPath::ChatGpt => None,
        }
    }

    /// The text typed into a field.
    pub fn field_text(&self, field: FieldId) -> &str {
        self.editors
            .get(&field)
            .and_then(|e| e.lines().first())
            .map(String::as_str)
            .unwrap_or("")
    }

    /// Replaces a field's text, keeping its editor's settings.
    pub fn set_field(&mut self, field: FieldId, text: &str) {
        let mut editor = new_editor(self.cloud, field, text);
        editor.set_placeholder_style(self.theme.dim());
        self.editors.insert(field, editor);
    }

    /// Gives every field of `cloud` an editor, keeping those that exist.
    pub fn ensure_editors(&mut self, cloud: Cloud) {
        for spec in cloud.all_fields() {
            let dim = self.theme.dim();
            self.editors.entry(spec.id).or_insert_with(|| {
                let mut editor = new_editor(cloud, spec.id, "");
                editor.set_placeholder_style(dim);
                editor
            });
        }
    }

    pub fn load_inputs(&mut self, inputs: &Inputs) {
        for (field, text) in inputs.typed() {
            self.set_field(field, text);
        }
    }

    /// All the text typed, as inputs for validation and generation.
    pub fn inputs(&self) -> Inputs {
        let mut inputs = Inputs::new(self.cloud);
        for (field, editor) in &self.editors {
            if let Some(text) = editor.lines().first().filter(|t| !t.is_empty()) {
                inputs.set(*field, text.clone());
            }
        }
        inputs
    }

    /// What can hold focus on the current screen, in Tab order.
    pub fn focusables(&self) -> Vec<Focusable> {
        match self.screen {
            Screen::ResumeOffer => Vec::new(),
            Screen::Start => {
                let mut items = vec![
                    Focusable::Choice(Choice::Cloud),
                    Focusable::Choice(Choice::Path),
                    Focusable::Field(FieldId::ORG_ID),
                ];
                if let Some(field) = self.presented_id_field() {
                    items.push(Focusable::Field(field));
                }
                items.push(Focusable::Begin);
                items
            }
            Screen::Step(_) => {
                let Some((_, step)) = self.current_step() else {
                    return Vec::new();
                };
                let inputs = self.inputs();
                let fields = step
                    .fields_for(self.path, &inputs)
                    .into_iter()
                    .map(Focusable::Field);
                let blocks = step
                    .artifacts_for(self.path)
                    .into_iter()
                    .filter(|a| artifacts::artifact_is_relevant(self.cloud, *a, &inputs))
                    .map(Focusable::Block);
                let mut items: Vec<Focusable> = fields.chain(blocks).collect();
                if self.registers_here() {
                    if !self.registration.key_from_env {
                        items.push(Focusable::AdminKey);
                    }
                    items.push(Focusable::Register);
                    if self.external_key_id.is_some() {
                        items.push(Focusable::Validate);
                    }
                }
                items
            }
        }
    }

    /// The item with focus; none while scrolling has hidden it (keys are commands then).
    pub fn focused(&self) -> Option<Focusable> {
        if self.focus_hidden {
            return None;
        }
        self.focusables().get(self.focus).copied()
    }

    /// Remembers an error for the support bundle, without any secret in it.
    pub fn remember_error(&mut self, text: &str) {
        let text = self.redactor.redact(text.trim());
        if text.is_empty() || self.recent_errors.last() == Some(&text) {
            return;
        }
        self.recent_errors.push(text);
        if self.recent_errors.len() > RECENT_ERRORS_KEPT {
            self.recent_errors.remove(0);
        }
    }

    /// Whether the screen on show is where the key is registered: the last step, API path.
    pub fn registers_here(&self) -> bool {
        self.path == SetupPath::Api
            && matches!(self.screen, Screen::Step(index) if index + 1 == self.guide().steps.len())
    }

    /// Whether typed keys go into a text input (a field, or the admin key).
    /// Every file of the "as code" view, format by format, from the values recorded so far
    /// (a value not recorded, or refused, becomes a variable without a default).
    pub fn code_files(&self) -> Vec<CodeFile> {
        let inputs = self.inputs();
        let kit = self.cloud.kit();
        kit.code_formats()
            .iter()
            .flat_map(|format| {
                kit.as_code(format.key, &inputs)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(name, text)| CodeFile {
                        format: *format,
                        name,
                        text,
                    })
            })
            .collect()
    }

    pub fn in_text_input(&self) -> bool {
        self.focused_field().is_some() || self.focused() == Some(Focusable::AdminKey)
    }

    /// Whether something is running (the spinner turns only then).
    pub fn busy(&self) -> bool {
        self.registration.phase.busy()
            || self.checks.running
            || self.drill == DrillOffer::Running
            || self
                .layers
                .apply()
                .is_some_and(|a| matches!(a.phase, ApplyPhase::Planning | ApplyPhase::Applying))
            || matches!(self.action, ActionOffer::Running(_))
            || self.layers.keys().is_some_and(KeysPane::busy)
    }

    /// The field with focus, if a text field has it.
    pub fn focused_field(&self) -> Option<FieldId> {
        match self.focused() {
            Some(Focusable::Field(field)) => Some(field),
            _ => None,
        }
    }

    /// Why the start screen cannot be left yet, if it cannot.
    pub fn start_problem(&self) -> Option<String> {
        self.start_error()
            .map(|e| format!("Before you begin, fix {}: {}", e.label(), e.problem))
    }

    /// The first refused field of the start screen.
    pub fn start_error(&self) -> Option<guide::FieldError> {
        let inputs = self.inputs();
        std::iter::once(FieldId::ORG_ID)
            .chain(self.presented_id_field())
            .find_map(|f| inputs.validated(f).err())
    }

    /// The first refused field of a step, if any.
    pub fn step_problem(&self, index: usize) -> Option<guide::FieldError> {
        let step = self.guide().steps.get(index)?;
        let inputs = self.inputs();
        step.fields_for(self.path, &inputs)
            .into_iter()
            .find_map(|f| inputs.validated(f).err())
    }

    /// How a step stands, for the step list.
    pub fn step_state(&self, index: usize) -> StepState {
        let Some(step) = self.guide().steps.get(index) else {
            return StepState::Pending;
        };
        let inputs = self.inputs();
        let fields = step.fields_for(self.path, &inputs);
        let typed_and_refused = fields
            .iter()
            .any(|f| !inputs.raw(*f).trim().is_empty() && inputs.validated(*f).is_err());
        if typed_and_refused {
            return StepState::Invalid;
        }
        let all_valid = fields.iter().all(|f| inputs.validated(*f).is_ok());
        // A step without fields counts as done once passed; one with fields once reached.
        let seen = if fields.is_empty() {
            index < self.reached
        } else {
            index <= self.reached
        };
        if all_valid && seen {
            StepState::Done
        } else {
            StepState::Pending
        }
    }

    /// The progress to save: the screen, path, furthest step and the non-secret inputs.
    pub fn session(&self) -> Session {
        Session {
            format: SESSION_FORMAT,
            cloud: self.cloud,
            path: self.path,
            step: match self.screen {
                Screen::Step(index) => index + 1,
                _ => 0,
            },
            reached: self.reached,
            inputs: self.inputs(),
            external_key_id: self.external_key_id.clone(),
            project_id: self.project_id.clone(),
        }
    }

    /// Shows the cursor only in the focused field.
    /// Shows every field's example as the current cloud gives it, in the theme's dim style.
    pub fn refresh_placeholders(&mut self) {
        let cloud = self.cloud;
        let dim = self.theme.dim();
        for (field, editor) in self.editors.iter_mut() {
            editor.set_placeholder_text(placeholder(cloud, *field));
            editor.set_placeholder_style(dim);
        }
    }

    pub fn refresh_editor_styles(&mut self) {
        let focused = self.focused_field();
        let cursor = self.theme.cursor();
        for (field, editor) in self.editors.iter_mut() {
            editor.set_cursor_style(if Some(*field) == focused {
                cursor
            } else {
                Style::default()
            });
            editor.set_cursor_line_style(Style::default());
        }
    }
}

/// A single-line editor holding `text`.
fn new_editor(cloud: Cloud, field: FieldId, text: &str) -> TextArea<'static> {
    let mut editor = TextArea::new(vec![text.to_string()]);
    editor.move_cursor(ratatui_textarea::CursorMove::End);
    editor.set_placeholder_text(placeholder(cloud, field));
    editor
}

/// A field's example as its editor shows it while empty: marked `e.g.`, so it never reads as a
/// value typed or a default taken (the hint says what an empty field uses).
fn placeholder(cloud: Cloud, field: FieldId) -> String {
    let example = example(cloud, field);
    if example.is_empty() || example.starts_with("e.g.") {
        example
    } else {
        format!("e.g. {example}")
    }
}

fn example(cloud: Cloud, field: FieldId) -> String {
    if field == FieldId::ORG_ID {
        return guide::start_text().org_id.placeholder.clone();
    }
    if cloud.presented_id_field() == Some(field) {
        return guide::start_text().external_id.placeholder.clone();
    }
    // The cloud's own example first: a field several clouds share shows this cloud's.
    std::iter::once(cloud)
        .chain(crate::clouds::all())
        .map(|c| c.guide().field_text(field).placeholder.clone())
        .find(|p| !p.is_empty())
        .unwrap_or_default()
}

impl Model {
    /// What discarding the saved progress would lose, in a few words.
    pub fn what_discarding_loses(&self) -> String {
        let Some(session) = &self.resume else {
            return "nothing".into();
        };
        let steps = session.cloud.guide().steps.len();
        let place = match session.step.min(steps) {
            0 => "the start screen".to_string(),
            n => format!("step {n} of {steps}"),
        };
        let values = session
            .inputs
            .typed()
            .filter(|(_, v)| !v.trim().is_empty())
            .count();
        let mut lost = format!(
            "{}, {place}, {values} value{} recorded",
            session.cloud.display_name(),
            if values == 1 { "" } else { "s" }
        );
        if let Some(key) = &session.external_key_id {
            lost.push_str(&format!(", registered key {key}"));
        }
        lost
    }

    /// The spec of an action of the current cloud.
    pub fn action_spec(&self, id: ActionId) -> Option<&'static crate::guide::kit::ActionSpec> {
        self.cloud.kit().actions().iter().find(|a| a.id == id)
    }
}

/// Whether start flags only repeat or add to saved progress: the same cloud and path, and an
/// organization and presented id that are the saved ones or fill empty fields.
fn flags_agree_with(args: &Preset, session: &Session) -> bool {
    differences(args, session).is_empty()
}

/// What start flags change of saved progress, in words.
fn differences(args: &Preset, session: &Session) -> Vec<String> {
    let mut found = Vec::new();
    if let Some(cloud) = args.cloud.filter(|c| *c != session.cloud) {
        found.push(format!(
            "cloud {} (saved: {})",
            cloud.display_name(),
            session.cloud.display_name()
        ));
    }
    if let Some(path) = args.path.filter(|p| *p != session.path) {
        found.push(format!(
            "path {} (saved: {})",
            path.display_name(),
            session.path.display_name()
        ));
    }
    let differs = |given: &Option<String>, field: FieldId| -> Option<String> {
        let given = given.as_deref()?.trim();
        let saved = session.inputs.raw(field).trim();
        (!saved.is_empty() && saved != given).then(|| saved.to_string())
    };
    if let Some(saved) = differs(&args.org_id, FieldId::ORG_ID) {
        found.push(format!(
            "organization {} (saved: {saved})",
            args.org_id.as_deref().unwrap_or_default().trim()
        ));
    }
    if let Some(field) = args
        .cloud
        .unwrap_or(session.cloud)
        .presented_id_field()
        .filter(|_| args.cloud.is_none_or(|c| c == session.cloud))
        && let Some(saved) = differs(&args.external_id, field)
    {
        found.push(format!(
            "presented id {} (saved: {saved})",
            args.external_id.as_deref().unwrap_or_default().trim()
        ));
    }
    found
}
