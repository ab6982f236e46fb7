//! Registering in the wizard (API path, last step): the plan of the requests, the admin's
//! go, OpenAI's answers recorded, and validating again.

use crate::app::effect::Effect;
use crate::app::model::{Focusable, Model, StatusKind};
use crate::app::msg::Registered;
use crate::app::registration::Phase;
use crate::app::transitions::{focus_item, request_means, save, status};
use crate::artifacts;
use crate::guide::{FieldId, SetupPath};

pub(crate) fn start_registration(model: &mut Model) -> Vec<Effect> {
    if model.busy() {
        model.status = Some(status(
            StatusKind::Info,
            "Still working on the last request…".into(),
        ));
        return Vec::new();
    }
    let body = match artifacts::generate(
        model.cloud,
        crate::guide::ArtifactId::REGISTRATION_BODY,
        &model.inputs(),
        SetupPath::Api,
    ) {
        Ok(artifacts::ArtifactBody::Json(body)) => body,
        Ok(_) => return Vec::new(),
        Err(missing) => {
            let first = missing.first().map(|e| e.to_string()).unwrap_or_default();
            model.status = Some(status(
                StatusKind::Error,
                format!("The registration body is not ready: {first}"),
            ));
            return Vec::new();
        }
    };
    let Some((base, key)) = request_means(model) else {
        return Vec::new();
    };
    let phase = std::mem::take(&mut model.registration.phase);
    model.registration.generation += 1;
    let generation = model.registration.generation;
    match phase {
        Phase::Ready { existing, .. } => {
            let project_name = model
                .inputs()
                .validated(FieldId::PROJECT_NAME)
                .unwrap_or_else(|_| "EKM project".into());
            model.registration.phase = Phase::Registering;
            model.status = Some(status(
                StatusKind::Info,
                match &existing {
                    Some(_) => {
                        "Using the registered key; creating the project and validating…".into()
                    }
                    None => "Registering the key, creating the project and validating…".into(),
                },
            ));
            vec![Effect::Register {
                generation,
                base,
                key,
                body,
                existing,
                project_name,
            }]
        }
        _ => {
            model.registration.phase = Phase::Checking;
            model.status = Some(status(
                StatusKind::Info,
                "Looking for a key with the same settings…".into(),
            ));
            vec![Effect::PlanRegistration {
                generation,
                base,
                key,
                body,
            }]
        }
    }
}

pub(crate) fn registration_planned(
    model: &mut Model,
    outcome: Result<crate::openai::register::Plan, String>,
) {
    match outcome {
        Ok(plan) => {
            let mut text = match plan.existing.as_ref().and_then(|k| k["id"].as_str()) {
                // An id from OpenAI's listing: shown made safe, form-checked before any use.
                Some(id) => format!(
                    "{} is already registered with these settings: Enter uses it (no duplicate).",
                    crate::secrets::outside_id(id, 80)
                ),
                None => {
                    "No key with these settings yet: Enter registers the body above.".to_string()
                }
            };
            if plan.ekm_enabled == Some(false) {
                text.push_str(" Note: no project shows external_key_id, so EKM may not be enabled for this organization yet.");
            }
            model.status = Some(status(StatusKind::Info, text));
            model.registration.phase = Phase::Ready {
                existing: plan.existing,
                ekm_enabled: plan.ekm_enabled,
            };
        }
        Err(err) => failed(model, err),
    }
}

pub(crate) fn failed(model: &mut Model, err: String) {
    model.status = Some(status(StatusKind::Error, err.clone()));
    model.remember_error(&err);
    model.registration.phase = Phase::Failed(err);
}

pub(crate) fn registration_finished(
    model: &mut Model,
    outcome: Result<Registered, String>,
) -> Vec<Effect> {
    match outcome {
        Ok(registered) => {
            // The typed key is no longer needed: wipe it.
            model.registration.typed_key.clear();
            model.registration.reused_key = registered.key_reused;
            model.external_key_id = Some(registered.key_id.clone());
            model.project_id = registered.project_id.clone();
            model.registration.phase = Phase::Idle;
            validation_finished(model, registered.validation);
            focus_item(model, Focusable::Validate);
            save(model)
        }
        Err(err) => {
            failed(model, err);
            Vec::new()
        }
    }
}

pub(crate) fn validate_registered_key(model: &mut Model) -> Vec<Effect> {
    let Some(key_id) = model.external_key_id.clone() else {
        return Vec::new();
    };
    if model.busy() {
        return Vec::new();
    }
    let Some((base, key)) = request_means(model) else {
        return Vec::new();
    };
    model.registration.generation += 1;
    model.registration.phase = Phase::Validating;
    model.status = Some(status(StatusKind::Info, format!("Validating {key_id}…")));
    vec![Effect::Validate {
        generation: model.registration.generation,
        base,
        key,
        key_id,
    }]
}

pub(crate) fn validation_finished(model: &mut Model, outcome: Result<(), String>) {
    model.registration.phase = Phase::Idle;
    let id = model.external_key_id.clone().unwrap_or_default();
    match &outcome {
        Ok(()) => {
            model.status = Some(status(
                StatusKind::Success,
                format!("{id} is valid: OpenAI can use your key."),
            ));
        }
        Err(err) => {
            model.status = Some(status(
                StatusKind::Error,
                format!("Validation of {id} failed: {err}"),
            ));
            model.remember_error(err);
        }
    }
    model.registration.validation = Some(outcome);
}
