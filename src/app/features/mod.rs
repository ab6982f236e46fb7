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
pub mod navigation;
pub mod question;
pub mod recheck;
pub mod registration;
pub mod resume;
