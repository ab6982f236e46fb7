//! Typed ids for what a guide is made of: fields, generated blocks, steps and checks. Each is
//! a name fixed at compile time (`FieldId::new("kms_arn")`), declared once by the kit that owns
//! it; the tests of `clouds` prove that every id a kit names exists where it points.

use std::fmt;

use serde::{Serialize, Serializer};

macro_rules! static_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(&'static str);

        impl $name {
            /// An id from its fixed name. Names are lowercase letters, digits, `_` and `-`.
            pub const fn new(name: &'static str) -> Self {
                let bytes = name.as_bytes();
                assert!(!bytes.is_empty(), "an id has a name");
                let mut i = 0;
                while i < bytes.len() {
                    let b = bytes[i];
                    assert!(
                        b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-',
                        "an id is lowercase letters, digits, _ and -"
                    );
                    i += 1;
                }
                $name(name)
            }

            /// The name in files, commands and messages.
            pub fn key(self) -> &'static str {
                self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.0)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.0)
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
    };
}

static_id!(
    /// A value the admin records (`kms_arn`). Its name is the key in config and session files
    /// and, for the registration fields, in OpenAI's request body.
    FieldId
);
static_id!(
    /// A block the wizard generates (`iam_policy`).
    ArtifactId
);
static_id!(
    /// A step of a guide (`create-key`).
    StepId
);
static_id!(
    /// A live check (`key-policy`).
    CheckId
);
static_id!(
    /// Something a kit can do for the admin on a step (`create-service-principal`).
    ActionId
);

impl FieldId {
    /// The OpenAI organization id, asked on the start screen of every cloud.
    pub const ORG_ID: FieldId = FieldId::new("org_id");
    /// The key's name at OpenAI.
    pub const NAME: FieldId = FieldId::new("name");
    /// The name of the project created under the key.
    pub const PROJECT_NAME: FieldId = FieldId::new("project_name");
}

impl ArtifactId {
    /// What a ChatGPT Enterprise customer sends their OpenAI contact, as JSON.
    pub const ENTERPRISE_DETAILS: ArtifactId = ArtifactId::new("enterprise_details");
    /// The same details as a message to paste.
    pub const ENTERPRISE_MESSAGE: ArtifactId = ArtifactId::new("enterprise_message");
    /// The body of OpenAI's register-key request.
    pub const REGISTRATION_BODY: ArtifactId = ArtifactId::new("registration_body");
    /// The curl command that registers the key.
    pub const REGISTRATION_COMMANDS: ArtifactId = ArtifactId::new("registration_commands");
    /// The curl command that creates a project under the key.
    pub const CREATE_PROJECT_COMMAND: ArtifactId = ArtifactId::new("create_project_command");

    /// The blocks every cloud has: the hand-over and the registration.
    pub const SHARED: [ArtifactId; 5] = [
        ArtifactId::ENTERPRISE_DETAILS,
        ArtifactId::ENTERPRISE_MESSAGE,
        ArtifactId::REGISTRATION_BODY,
        ArtifactId::REGISTRATION_COMMANDS,
        ArtifactId::CREATE_PROJECT_COMMAND,
    ];

    /// The id in kebab-case, for file names: `iam-policy`.
    pub fn file_stem(self) -> String {
        self.0.replace('_', "-")
    }
}
