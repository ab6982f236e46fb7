//! One run of `ekm-wizard check <cloud> --json` as the GCP and Azure tests read it, and the
//! judgement of a broken setup: the named check says so, at its step, explained by an entry of
//! its cloud, and nothing else fails.

#![allow(dead_code)]

use ekm_wizard::clouds::{aws, azure, gcp};
use std::process::{Command, Output};

use ekm_wizard::guide::Cloud;
use serde_json::Value;

use super::fake_cloud::FakeCloud;

pub struct Outcome {
    pub code: Option<i32>,
    pub report: Value,
    pub stdout: String,
    pub stderr: String,
}

impl Outcome {
    /// Reads a finished run; a canary token on any output fails the test.
    pub fn from_output(output: Output) -> Outcome {
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!(
            !stdout.contains("CANARY") && !stderr.contains("CANARY"),
            "the token leaked:\n{stdout}\n{stderr}"
        );
        Outcome {
            code: output.status.code(),
            report: serde_json::from_str(&stdout).unwrap_or(Value::Null),
            stdout,
            stderr,
        }
    }

    pub fn check(&self, id: &str) -> &Value {
        self.report["checks"]
            .as_array()
            .and_then(|c| c.iter().find(|c| c["id"] == id))
            .unwrap_or_else(|| panic!("no check {id} in {:#}\n{}", self.report, self.stderr))
    }

    pub fn status(&self, id: &str) -> String {
        self.check(id)["status"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    pub fn detail(&self, id: &str) -> String {
        self.check(id)["detail"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }
}

/// Runs `ekm-wizard check <cloud> <flags> --json [--timeout 5] <extra>` with `HOME` and `PATH`
/// pointed at an empty directory (no cloud CLI, no saved credentials), `set` added and
/// `unset` removed from the environment.
pub fn run_check(
    cloud: &str,
    flags: &[&str],
    extra: &[&str],
    set: &[(&str, String)],
    unset: &[&str],
) -> Outcome {
    let home = tempfile::tempdir().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_ekm-wizard"));
    command
        .args(["check", cloud])
        .args(flags)
        .arg("--json")
        .args(if extra.contains(&"--timeout") {
            &[][..]
        } else {
            &["--timeout", "5"][..]
        })
        .args(extra)
        .env("HOME", home.path())
        .env("EKM_WIZARD_STATE_DIR", home.path())
        .env("PATH", home.path());
    for name in unset {
        command.env_remove(name);
    }
    command.envs(set.iter().map(|(k, v)| (*k, v.as_str())));
    let outcome = Outcome::from_output(command.output().expect("the binary runs"));
    let cloud = match cloud {
        "aws" => aws::cloud(),
        "gcp" => gcp::cloud(),
        _ => azure::cloud(),
    };
    every_fix_step_is_in_the_guide(&outcome.report, cloud);
    outcome
}

/// Every check a run reported names, as the step that fixes it, a step of its cloud's guide:
/// `f` always has somewhere to go. Held on every run of every test.
pub fn every_fix_step_is_in_the_guide(report: &Value, cloud: Cloud) {
    let guide = cloud.guide();
    for check in report["checks"].as_array().into_iter().flatten() {
        let step = check["step"].as_str().unwrap_or_default();
        assert!(
            guide.steps.iter().any(|s| s.id == step),
            "check `{}` names step `{step}`, which the {cloud:?} guide does not have",
            check["id"]
        );
    }
}

/// One thing broken in an otherwise good setup, and what one check must say of it.
pub struct Case {
    pub name: &'static str,
    pub breaks: fn(&FakeCloud),
    pub check: &'static str,
    pub status: &'static str,
    pub step: &'static str,
    pub words: &'static str,
}

impl Case {
    /// The run names this break, and only this one.
    pub fn judge(&self, outcome: &Outcome, cloud: Cloud) {
        let name = self.name;
        // The verdict: failed (1) when a check failed, not verified (3) when one could not
        // be checked, else verified (0).
        let expected_code = match self.status {
            "fail" => 1,
            "unverified" | "skip" => 3,
            _ => 0,
        };
        assert_eq!(
            outcome.code,
            Some(expected_code),
            "{name}: {:#}\n{}",
            outcome.report,
            outcome.stderr
        );
        assert_eq!(
            outcome.status(self.check),
            self.status,
            "{name}: {:#}",
            outcome.report
        );
        assert_eq!(outcome.check(self.check)["step"], self.step, "{name}");
        let detail = outcome.detail(self.check);
        assert!(detail.contains(self.words), "{name}: {detail}");
        if self.status == "fail" {
            let said = format!(
                "{}: {detail}",
                outcome.check(self.check)["title"].as_str().unwrap()
            );
            let explained = ekm_wizard::explain::explain(&said)
                .unwrap_or_else(|| panic!("{name}: nothing explains `{said}`"));
            assert_eq!(explained.entry.cloud, cloud, "{name}: {said}");
            assert_eq!(
                explained.entry.step.map(|s| s.key()),
                Some(self.step),
                "{name}: {} for `{said}`",
                explained.entry.id
            );
        }
        // Nothing else fails because of this one break (dependents are skipped, not failed).
        for other in outcome.report["checks"].as_array().unwrap() {
            if other["id"] != self.check && other["status"] == "fail" {
                panic!("{name}: {} failed too: {}", other["id"], other["detail"]);
            }
        }
    }
}
