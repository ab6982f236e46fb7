//! The wizard's features, one module each: its transitions (called by `update`, which only
//! dispatches) and the helpers they share with nothing else.

pub mod apply;
pub mod as_code;
pub mod blocks;
pub mod checks;
pub mod drill;
pub mod editing;
pub mod explain;
pub mod help;
pub mod keys;
pub mod navigation;
pub mod question;
pub mod recheck;
pub mod registration;
pub mod resume;

/// Models to start feature tests from.
#[cfg(test)]
pub(crate) mod testing {
    use crate::app::Preset;
    use crate::app::model::{Model, Screen, StartOptions};

    /// The first cloud's wizard, organization recorded, on step `index` (0-based), 80×24.
    pub(crate) fn on_step(index: usize) -> Model {
        let mut model = Model::new(StartOptions {
            args: Preset {
                cloud: Some(crate::clouds::first()),
                org_id: Some("org-abc123".into()),
                ..Default::default()
            },
            width: 80,
            height: 24,
            ..Default::default()
        });
        model.screen = Screen::Step(index);
        model.reached = index;
        model
    }
}
