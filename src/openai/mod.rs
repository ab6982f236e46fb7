//! OpenAI's Management API: external keys (list, register, validate) and projects (list,
//! create), with the admin key kept out of every log, file and screen.

pub mod client;
pub mod register;

pub use client::{AdminKey, ApiBase, ApiError, Client};
