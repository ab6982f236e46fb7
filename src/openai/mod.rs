//! OpenAI's Management API: external keys (list, register, validate, delete), projects (list,
//! create, archive) and a key's retirement and replacement, with the admin key kept out of
//! every log, file and screen.

pub mod client;
pub mod keys;
pub mod lifecycle;
pub mod register;
pub mod validity;

pub use client::{AdminKey, ApiBase, ApiError, Client};
