//! The wizard's features, one module each: its transitions (called by `update`, which only
//! dispatches) and the helpers they share with nothing else.

pub mod apply;
pub mod as_code;
pub mod drill;
pub mod explain;
pub mod recheck;
pub mod registration;
