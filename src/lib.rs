//! ekm-wizard: a terminal wizard that sets up OpenAI Enterprise Key Management (EKM) in the
//! customer's own cloud KMS, step by step, and the headless commands behind it.

pub mod after_setup;
pub mod app;
pub mod apply;
pub mod artifacts;
pub mod bundle;
pub mod checks;
pub mod cli;
pub mod clipboard;
pub mod clock;
pub mod clouds;
pub mod exit;
pub mod explain;
pub mod guide;
pub mod headless;
pub mod identities;
pub mod inputs;
pub mod net;
pub mod openai;
pub mod plain;
pub mod render;
pub mod secrets;
pub mod session;
pub mod stop;
