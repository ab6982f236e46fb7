//! The support bundle: one Markdown file with everything a support engineer needs to help
//! (versions, cloud and path, every recorded input, every generated block, recent errors and
//! what they mean) and nothing secret. The whole text passes through `secrets::redact` last.

use std::fmt::Write;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::artifacts::{self, ArtifactBody};
use crate::checks::CheckResult;
use crate::explain::{self, describe};
use crate::secrets::redact;
use crate::session::Session;

fn fence(text: &str, language: &str) -> String {
    let marker = if text.contains("```") { "~~~~" } else { "```" };
    format!("{marker}{language}\n{}\n{marker}\n", text.trim_end())
}

/// Writes the bundle for saved progress and the errors met in this run (newest last).
pub fn support_bundle(
    session: &Session,
    recent_errors: &[String],
    checks: &[CheckResult],
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
    let _ = writeln!(out, "- written at Unix time {written}");
    let _ = writeln!(
        out,
        "- operating system: {} ({})",
        std::env::consts::OS,
        std::env::consts::ARCH
    );
    let _ = writeln!(out, "- cloud: {} (`{}`)", cloud.display_name(), cloud.key());
    let _ = writeln!(out, "- path: {}", session.path.display_name());
    let _ = writeln!(
        out,
        "- step on screen: {} of {}; furthest reached: {}",
        session.step,
        guide.steps.len(),
        session.reached.saturating_add(1)
    );
    let _ = writeln!(
        out,
        "\nNo secret is in this file: the admin API key, cloud tokens and credentials are never recorded.\n"
    );

    let _ = writeln!(out, "## Recorded inputs\n");
    let _ = writeln!(out, "| field | as typed | as used |");
    let _ = writeln!(out, "| --- | --- | --- |");
    for field in crate::guide::recorded_fields(cloud)
        .into_iter()
        .chain([crate::guide::FieldId::NAME])
    {
        let raw = inputs.raw(field);
        let used = match inputs.validated(field) {
            Ok(value) => format!("`{value}`"),
            Err(err) => format!("refused: {}", err.problem),
        };
        let typed = if raw.is_empty() {
            "(empty)".to_string()
        } else {
            format!("`{raw}`")
        };
        let _ = writeln!(out, "| `{}` | {typed} | {used} |", field.key());
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
                Ok(body) => out.push_str(&fence(&body.to_text(), "sh")),
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
        let _ = writeln!(
            out,
            "- {} **{}** ({:?}, step `{}`): {}",
            check.status.mark(),
            check.title,
            check.status,
            check.step,
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
