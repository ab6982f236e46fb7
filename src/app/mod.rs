//! The terminal wizard: a model, the messages that change it, a pure `update` that returns
//! effects, the views that draw it, and the runtime that connects them to a real terminal.
//!
//! Flow: key -> `keymap` -> `Msg` -> `update(&mut Model, Msg) -> Vec<Effect>` -> the runtime
//! performs each effect and feeds its result back as a `Msg` -> one draw per batch of events.

pub mod effect;
pub mod farewell;
pub mod features;
pub mod keymap;
pub mod layout;
pub mod mode;
pub mod model;
pub mod msg;
pub mod perform;
pub mod preset;
pub mod reading;
pub mod registration;
pub mod runtime;
pub mod startup;
pub mod terminal;
pub mod theme;
pub mod transitions;
pub mod update;
pub mod view;

pub use effect::Effect;
pub use model::Model;
pub use msg::Msg;
pub use preset::Preset;
pub use update::update;
