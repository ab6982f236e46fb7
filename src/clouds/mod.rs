//! The registry of clouds: every kit the wizard knows, in the order the start screen lists
//! them. Each cloud is one folder beside this file; adding a cloud is a new folder and one
//! line in `KITS`. Nothing else in the wizard names a cloud. A program built on the library
//! may also `add` a kit before it starts (the made-up fourth cloud of the tests is added so).

pub mod aws;
pub mod azure;
pub mod gcp;

use crate::guide::{Cloud, CloudKit};

/// Every kit, in the order they are offered.
pub static KITS: [&'static dyn CloudKit; 3] = [&aws::KIT, &gcp::KIT, &azure::KIT];

/// Kits added by the program at start, after the built-in ones.
static ADDED: std::sync::RwLock<Vec<&'static dyn CloudKit>> = std::sync::RwLock::new(Vec::new());

/// Adds a kit to the registry, after the built-in ones: call it first thing, before anything
/// reads the registry. A kit whose key is taken already is refused.
pub fn add(kit: &'static dyn CloudKit) -> Result<(), String> {
    if by_key(kit.key()).is_some() {
        return Err(format!("a cloud named `{}` is known already", kit.key()));
    }
    ADDED
        .write()
        .map_err(|_| "the registry is unusable".to_string())?
        .push(kit);
    Ok(())
}

/// Every kit: the built-in ones, then any added.
pub fn kits() -> Vec<&'static dyn CloudKit> {
    let added = ADDED.read().map(|added| added.clone()).unwrap_or_default();
    KITS.iter().copied().chain(added).collect()
}

/// Every cloud, in the order they are offered.
pub fn all() -> impl Iterator<Item = Cloud> {
    kits().into_iter().map(Cloud::of)
}

/// The cloud named `key` (`aws`), if there is one.
pub fn by_key(key: &str) -> Option<Cloud> {
    all().find(|cloud| cloud.key() == key)
}

/// The cloud whose keys OpenAI's Management API gives this `type`.
pub fn by_openai_type(key_type: &str) -> Option<Cloud> {
    all().find(|cloud| !key_type.is_empty() && cloud.kit().openai_key_type() == key_type)
}

/// The cloud chosen when none was: the first.
pub fn first() -> Cloud {
    Cloud::of(KITS[0])
}

/// The keys of every cloud, for messages: `aws, gcp, azure`.
pub fn keys() -> String {
    all().map(Cloud::key).collect::<Vec<_>>().join(", ")
}

/// The shapes of every cloud's secrets, kit by kit.
pub fn secret_patterns() -> impl Iterator<Item = &'static crate::secrets::SecretPattern> {
    kits()
        .into_iter()
        .flat_map(|kit| kit.secret_patterns().iter())
}

/// Every environment variable whose value is a secret of some cloud's tools.
pub fn secret_env_vars() -> impl Iterator<Item = &'static str> {
    kits()
        .into_iter()
        .flat_map(|kit| kit.secret_env_vars().iter().copied())
}

#[cfg(test)]
mod tests {
    //! What the typed ids promise, proved for every kit in the registry.

    use std::collections::BTreeSet;

    use super::*;
    use crate::guide::{ArtifactId, FieldId};

    #[test]
    fn the_clouds_secrets_are_redacted_as_before() {
        crate::secrets::watch_patterns(secret_patterns());
        let redact = crate::secrets::redact;
        let text = "Authorization: Bearer abcdefghijklmnop key sk-admin-0123456789abcdefXYZ \
                    token eyJhbGciOi.eyJzdWIiOiIx.sig ya29.a0AfH6SMBxyz1234 AKIAIOSFODNN7EXAMPLE \
                    aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
        let clean = redact(text);
        for secret in [
            "abcdefghijklmnop",
            "sk-admin",
            "eyJhbGciOi",
            "ya29.",
            "AKIAIOSFODNN7EXAMPLE",
            "wJalrXUtnFEMI",
        ] {
            assert!(!clean.contains(secret), "{secret} left in {clean}");
        }
        assert!(clean.contains("[redacted]"));
        let masked = redact("Incorrect API key provided: sk-admin-****cdef. You can find your key");
        assert!(!masked.contains("cdef"), "{masked}");
        let url = redact("could not reach https://admin:hunter2@proxy.example.com/v1");
        assert!(!url.contains("hunter2"), "{url}");
        let plain = "User: arn:aws:sts::111122223333:assumed-role/EnterpriseKeyManagement/OpenAI-EKM-Service";
        assert_eq!(redact(plain), plain, "ARNs are not secrets");
    }

    #[test]
    fn every_kits_secret_patterns_are_redacted_and_marked() {
        crate::secrets::watch_patterns(secret_patterns());
        let redactor = crate::secrets::Redactor::default();
        let mut seen = 0;
        for kit in KITS {
            for pattern in kit.secret_patterns() {
                let example = pattern.example;
                let said = format!("the token was {example}, then nothing");
                assert_eq!(
                    redactor.redact(&said),
                    "the token was [redacted], then nothing",
                    "{}: {}",
                    kit.key(),
                    pattern.regex
                );
                assert!(
                    redactor.looks_secret(example),
                    "{}: {example} is not marked by {:?}",
                    kit.key(),
                    pattern.marks
                );
                assert!(
                    pattern.marks.iter().all(|m| *m == m.to_ascii_lowercase()),
                    "{}: marks are lowercase",
                    kit.key()
                );
                seen += 1;
            }
        }
        assert_eq!(seen, secret_patterns().count());
        assert!(seen > 0, "the kits declare the shapes of their secrets");
    }

    #[test]
    fn keys_are_unique_and_every_guide_parses() {
        let keys: BTreeSet<&str> = all().map(Cloud::key).collect();
        assert_eq!(keys.len(), KITS.len());
        for cloud in all() {
            let guide = cloud.guide();
            assert!(!guide.title.is_empty());
            assert_eq!(
                guide.steps.iter().map(|s| s.id).collect::<Vec<_>>(),
                cloud.kit().steps(),
                "{cloud}: the guide's steps are the kit's, in order"
            );
            for step in &guide.steps {
                assert!(step.short.chars().count() <= 16, "{}", step.short);
                for field in &step.fields {
                    assert!(
                        guide.fields.contains_key(&field.id),
                        "{cloud}: {:?} has no text",
                        field.id
                    );
                }
                for artifact in &step.artifacts {
                    assert!(
                        guide.artifacts.contains_key(&artifact.id),
                        "{cloud}: {:?} has no text",
                        artifact.id
                    );
                }
            }
        }
    }

    #[test]
    fn every_field_is_asked_and_every_block_shown() {
        for cloud in all() {
            let guide = cloud.guide();
            let asked: BTreeSet<FieldId> = guide
                .steps
                .iter()
                .flat_map(|s| s.fields.iter().map(|f| f.id))
                .chain([FieldId::ORG_ID])
                .chain(cloud.presented_id_field())
                .collect();
            for spec in cloud.all_fields() {
                assert!(
                    asked.contains(&spec.id),
                    "{cloud}: {:?} is asked on no step",
                    spec.id
                );
            }
            let shown: BTreeSet<ArtifactId> = guide
                .steps
                .iter()
                .flat_map(|s| s.artifacts.iter().map(|a| a.id))
                .collect();
            for artifact in cloud.kit().artifacts() {
                assert!(
                    shown.contains(artifact),
                    "{cloud}: {artifact:?} is shown on no step"
                );
            }
            for artifact in guide.artifacts.keys() {
                assert!(
                    shown.contains(artifact),
                    "{cloud}: {artifact:?} has text but no step shows it"
                );
            }
            let (documents, commands) = cloud.kit().render_layout();
            for (key, artifact) in documents.iter().chain(commands) {
                assert!(
                    cloud.kit().artifacts().contains(artifact),
                    "{cloud}: render's `{key}` is not a block of the kit"
                );
            }
        }
    }

    #[test]
    fn every_check_fixes_at_a_step_of_its_guide_and_needs_what_exists() {
        for cloud in all() {
            let plan = cloud.kit().check_plan();
            assert!(!plan.is_empty(), "{cloud} has checks");
            let mut seen = BTreeSet::new();
            for spec in plan {
                assert!(seen.insert(spec.id), "{cloud}: {} twice", spec.id);
                assert!(
                    cloud.guide().step(spec.fix_step).is_some(),
                    "{cloud}: {} is fixed at {}, not a step of the guide",
                    spec.id,
                    spec.fix_step
                );
                for field in spec.needs_fields {
                    assert!(
                        cloud.field(*field).is_some(),
                        "{cloud}: {} needs {field}, not a field of the kit",
                        spec.id
                    );
                }
                for need in spec.needs_checks {
                    // Only earlier checks: the plan can never wait on itself.
                    assert!(
                        seen.contains(&need.check) && need.check != spec.id,
                        "{cloud}: {} needs {}, which is not an earlier check",
                        spec.id,
                        need.check
                    );
                }
                assert!(spec.calls >= 1 && !spec.proves.is_empty());
            }
        }
    }

    #[test]
    fn every_action_names_its_step_and_checks() {
        for cloud in all() {
            let plan = cloud.kit().check_plan();
            for action in cloud.kit().actions() {
                assert!(cloud.guide().step(action.step).is_some(), "{}", action.id);
                for check in action.offered_after {
                    assert!(plan.iter().any(|s| s.id == *check), "{check}");
                }
            }
        }
    }

    #[test]
    fn every_step_but_the_hand_over_has_its_console_page() {
        for cloud in all() {
            let steps = &cloud.guide().steps;
            for step in &steps[..steps.len() - 1] {
                assert!(
                    step.console
                        .as_deref()
                        .is_some_and(|url| url.starts_with("https://")),
                    "{cloud}: step {} has no console page",
                    step.id
                );
            }
        }
        let step = gcp::cloud().guide().step(gcp::STEP_CREATE_KEY).unwrap();
        let mut inputs = crate::guide::Inputs::new(gcp::cloud());
        assert_eq!(
            step.console_url(&inputs).unwrap(),
            "https://console.cloud.google.com/security/kms/keyrings",
            "without the project, the page without the query"
        );
        inputs.set(gcp::KMS_PROJECT_ID, "projects/adjective-noun-12345");
        assert_eq!(
            step.console_url(&inputs).unwrap(),
            "https://console.cloud.google.com/security/kms/keyrings?project=adjective-noun-12345"
        );
    }

    #[test]
    fn every_troubleshooting_entry_sends_to_a_step_of_its_cloud() {
        for entry in crate::explain::knowledge().entries() {
            assert!(
                entry
                    .step
                    .is_some_and(|step| entry.cloud.guide().step(step).is_some()),
                "{} sends to step `{:?}`, not a step of {}",
                entry.id,
                entry.step,
                entry.cloud
            );
        }
    }
}
