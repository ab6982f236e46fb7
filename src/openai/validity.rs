//! What a validation's answer means, decided once for every front end: the key is valid,
//! OpenAI asked the cloud and relays its refusal (invalid), or our own request was not
//! answered on its merits (a 401 or 403 of the admin key, a rate limit, a server error, no
//! answer, an answer that cannot be read), so nothing is known of the key.

use super::client::ApiError;
use crate::exit::{EXIT_NOT_VERIFIED, EXIT_OK, EXIT_REFUSED};

/// The one reading of a validation's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validity {
    /// OpenAI used the key.
    Valid,
    /// OpenAI answered about the key: it could not use it (the cloud's error, relayed), or
    /// it has no such key.
    Invalid,
    /// The question never reached the key: our request was refused (the admin key's 401 or
    /// 403), limited (429), failed at OpenAI (5xx) or went unanswered.
    NotAsked,
}

impl Validity {
    pub fn of(validation: &Result<(), ApiError>) -> Validity {
        match validation {
            Ok(()) => Validity::Valid,
            Err(ApiError::Refused { .. }) => Validity::Invalid,
            Err(
                ApiError::Unauthorized(_)
                | ApiError::Forbidden(_)
                | ApiError::RateLimited(_)
                | ApiError::Server { .. }
                | ApiError::Network(_)
                | ApiError::Unreadable(_),
            ) => Validity::NotAsked,
        }
    }

    /// 0 valid, 1 invalid, 3 not asked.
    pub fn exit_code(self) -> u8 {
        match self {
            Validity::Valid => EXIT_OK,
            Validity::Invalid => EXIT_REFUSED,
            Validity::NotAsked => EXIT_NOT_VERIFIED,
        }
    }

    /// The `status` of the JSON reports: `success`, `failed` or `not-verified`.
    pub fn json_status(self) -> &'static str {
        match self {
            Validity::Valid => "success",
            Validity::Invalid => "failed",
            Validity::NotAsked => "not-verified",
        }
    }

    /// One word or two for a person: `valid`, `invalid`, `could not ask`.
    pub fn words(self) -> &'static str {
        match self {
            Validity::Valid => "valid",
            Validity::Invalid => "invalid",
            Validity::NotAsked => "could not ask",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_refused_request_is_not_asked_and_the_clouds_refusal_is_invalid() {
        let cases: Vec<(Result<(), ApiError>, Validity)> = vec![
            (Ok(()), Validity::Valid),
            (
                Err(ApiError::Refused {
                    status: 400,
                    message: "kms:Decrypt denied".into(),
                    kind: None,
                    param: None,
                    code: None,
                }),
                Validity::Invalid,
            ),
            (
                Err(ApiError::Unauthorized("bad key".into())),
                Validity::NotAsked,
            ),
            (Err(ApiError::Forbidden("scope".into())), Validity::NotAsked),
            (
                Err(ApiError::RateLimited("slow".into())),
                Validity::NotAsked,
            ),
            (
                Err(ApiError::Server {
                    status: 503,
                    message: "down".into(),
                }),
                Validity::NotAsked,
            ),
            (
                Err(ApiError::Network("no answer".into())),
                Validity::NotAsked,
            ),
        ];
        for (outcome, expected) in cases {
            assert_eq!(Validity::of(&outcome), expected, "{outcome:?}");
        }
        assert_eq!(Validity::Invalid.exit_code(), EXIT_REFUSED);
        assert_eq!(Validity::NotAsked.exit_code(), EXIT_NOT_VERIFIED);
        assert_eq!(Validity::NotAsked.json_status(), "not-verified");
    }
}
