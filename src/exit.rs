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

/// Each exit code and what it means, for the manual pages.
pub const MEANINGS: [(u8, &str); 4] = [
    (EXIT_OK, "done: verified, healthy, proved, or matched"),
    (
        EXIT_REFUSED,
        "failed or refused: a check failed, OpenAI or the cloud refused, nothing matched",
    ),
    (
        EXIT_BAD_INPUT,
        "bad input: a flag, the config file or a field's value (nothing was sent)",
    ),
    (
        EXIT_NOT_VERIFIED,
        "could not verify: nothing failed, but something could not be read (a permission, a sign-in, no answer)",
    ),
];
