//! The wizard's features, one module each: its transitions (called by `update`, which only
//! dispatches) and the helpers they share with nothing else.

pub mod apply;
pub mod drill;
pub mod recheck;
