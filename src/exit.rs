//! What each exit code means, shared by every command and the wizard itself.

/// Success (for `check`: verified).
pub const EXIT_OK: u8 = 0;
/// A check failed, or an API or cloud refused.
pub const EXIT_REFUSED: u8 = 1;
/// Bad input (flags, config file, field values).
pub const EXIT_BAD_INPUT: u8 = 2;
/// Nothing failed, but something could not be verified (no permission to read, no
/// credentials, no answer).
pub const EXIT_NOT_VERIFIED: u8 = 3;
