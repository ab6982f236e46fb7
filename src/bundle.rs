//! The support bundle: one Markdown file with everything a support engineer needs to help
//! (versions, cloud and path, every recorded input, every generated block, recent errors and
//! what they mean) and nothing secret. The whole text passes through `secrets::redact` last.

use crate::clock::iso_8601_utc;
use std::fmt::Write;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::artifacts::{self, ArtifactBody};
use crate::checks::CheckResult;
use crate::explain::{self, describe};
use crate::secrets::redact;
use crate::session::Session;

/// Whether a text block is commands to run (fenced as shell): by the convention of block ids,
/// `…_command`, `…_commands`, `…_query`. Other text (a value, a message) is not shell.
fn is_commands(artifact: crate::guide::ArtifactId) -> bool {
    let key = artifact.key();
    key.ends_with("_command") || key.ends_with("_commands") || key.ends_with("_query")
}

fn fence(text: &str, language: &str) -> String {
    let marker = if text.contains("```") { "~~~~" } else { "```" };
    format!("{marker}{language}\n{}\n{marker}\n", text.trim_end())
}

/// Writes the bundle for saved progress and the errors met in this run (newest last).
pub fn support_bundle(
    session: &Session,
    recent_errors: &[String],
    checks: &[CheckResult],
    calls: &[crate::guide::apply::Call],
) -> String {
    let cloud = session.cloud;
    let guide = cloud.guide();
    let mut inputs = session.inputs.clone();
    inputs.cloud = cloud;
    let mut out = String::new();
    let written = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let _ = writeln!(out, "# ekm-wizard support bundle\n");
    let _ = writeln!(out, "- ekm-wizard {}", env!("CARGO_PKG_VERSION"));
    let _ = writeln!(out, "- written at {}", iso_8601_utc(written));
    let _ = writeln!(
        out,
        "- operating system: {} ({})",
        std::env::consts::OS,
        std::env::consts::ARCH
    );
    let _ = writeln!(out, "- cloud: {} (`{}`)", cloud.display_name(), cloud.key());
    let _ = writeln!(out, "- path: {}", session.path.display_name());
    let steps = guide.steps.len();
    let place = |step: usize| match step.min(steps) {
        0 => "the start screen".to_string(),
        n => format!("step {n} of {steps}"),
    };
    let _ = writeln!(out, "- on screen: {}", place(session.step));
    let _ = writeln!(
        out,
        "- furthest reached: {}",
        place(session.reached.max(session.step))
    );
    let _ = writeln!(
        out,
        "\nNo secret is in this file: the admin API key, cloud tokens and credentials are never recorded.\n"
    );

    let _ = writeln!(out, "## Recorded inputs\n");
    let _ = writeln!(out, "| field | as typed | as used |");
    let _ = writeln!(out, "| --- | --- | --- |");
    let mut fields = crate::guide::recorded_fields(cloud);
    if !fields.contains(&crate::guide::FieldId::NAME) {
        fields.push(crate::guide::FieldId::NAME);
    }
    for field in fields {
        let raw = inputs.raw(field);
        if raw.trim().is_empty() && !inputs.is_relevant(field) {
            // Asked only in some cases (the key behind an alias): not this one.
            continue;
        }
        let used = match inputs.validated(field) {
            Ok(value) => format!("`{value}`"),
            Err(err) => format!("refused: {}", err.problem),
        };
        let typed = if raw.is_empty() {
            "(empty)".to_string()
        } else if raw.chars().count() > crate::guide::MAX_FIELD_LENGTH {
            // A paste gone wrong: its size is what helps, never its whole text.
            format!("({} characters, not shown)", raw.chars().count())
        } else {
            format!("`{raw}`")
        };
        let _ = writeln!(out, "| `{}` | {typed} | {used} |", field.key());
    }
    for left_out in inputs.left_out() {
        let _ = writeln!(
            out,
            "\nLeft out of the saved progress when it was read: {} ({}).",
            left_out.what, left_out.why
        );
    }

    let _ = writeln!(out, "\n## Generated blocks\n");
    for (number, step) in guide.steps.iter().enumerate() {
        let _ = writeln!(out, "### Step {}: {}\n", number + 1, step.title);
        let blocks: Vec<_> = step
            .artifacts_for(session.path)
            .into_iter()
            .filter(|a| artifacts::artifact_is_relevant(cloud, *a, &inputs))
            .collect();
        if blocks.is_empty() {
            let _ = writeln!(out, "(no generated block)\n");
        }
        for artifact in blocks {
            let title = &guide.artifact_text(artifact).title;
            let _ = writeln!(out, "#### {title}\n");
            match artifacts::generate(cloud, artifact, &inputs, session.path) {
                Ok(body @ ArtifactBody::Json(_)) => out.push_str(&fence(&body.to_text(), "json")),
                Ok(body) if is_commands(artifact) => out.push_str(&fence(&body.to_text(), "sh")),
                Ok(body) if artifact == crate::guide::ArtifactId::ENTERPRISE_MESSAGE => {
                    for line in body.to_text().lines() {
                        let _ = writeln!(out, "> {line}");
                    }
                }
                Ok(body) => out.push_str(&fence(&body.to_text(), "text")),
                Err(missing) => {
                    for err in missing {
                        let _ = writeln!(out, "- not ready: {err}");
                    }
                }
            }
            out.push('\n');
        }
    }

    let _ = writeln!(out, "## Live checks\n");
    if checks.is_empty() {
        let _ = writeln!(out, "No live check was run in this session.\n");
    }
    for check in checks {
        let step = guide
            .steps
            .iter()
            .position(|s| s.id == check.step)
            .map(|i| format!("step {}: {}", i + 1, guide.steps[i].title))
            .unwrap_or_else(|| "no step of this guide".into());
        let _ = writeln!(
            out,
            "- {} **{}** ({}; {step}): {}",
            check.status.mark(),
            check.title,
            check.status.words(),
            check.detail
        );
        if check.status == crate::checks::CheckStatus::Fail
            && let Some(found) = explain::explain(&format!("{}: {}", check.title, check.detail))
        {
            let _ = writeln!(
                out,
                "  - {}: {}",
                found.entry.title,
                found.entry.fixes.join(" ")
            );
        }
    }
    out.push('\n');

    if !calls.is_empty() {
        let _ = writeln!(out, "## Calls of the last apply\n");
        let _ = writeln!(
            out,
            "| time | call | outcome | ms |\n| --- | --- | --- | --- |"
        );
        for call in calls {
            let _ = writeln!(
                out,
                "| {} | {} `{}` | {} | {} |",
                call.at,
                call.method,
                crate::secrets::redact(&call.resource).replace('|', "\\|"),
                crate::secrets::redact(&call.outcome).replace('|', "\\|"),
                call.millis
            );
        }
        out.push('\n');
    }

    let _ = writeln!(out, "## Registration\n");
    match (&session.external_key_id, &session.project_id) {
        (Some(key), project) => {
            let project = project
                .as_deref()
                .map(|p| format!("`{p}`"))
                .unwrap_or_else(|| "none created".into());
            let _ = writeln!(out, "- external key: `{key}`\n- project: {project}\n");
        }
        (None, _) => {
            let _ = writeln!(out, "No key has been registered through the wizard.\n");
        }
    }

    let _ = writeln!(out, "## Recent errors\n");
    if recent_errors.is_empty() {
        let _ = writeln!(out, "None.");
    }
    for (number, error) in recent_errors.iter().enumerate() {
        let _ = writeln!(out, "### Error {}\n", number + 1);
        out.push_str(&fence(error, ""));
        match explain::explain(error) {
            Some(explanation) => {
                out.push('\n');
                out.push_str(&describe(&explanation));
            }
            None => {
                let _ = writeln!(out, "\nNo known EKM error matched it.");
            }
        }
        out.push('\n');
    }
    crate::secrets::visible(&redact(&out))
}
