//! The setup as code. The CloudFormation template passes cfn-lint with nothing to say, deploys
//! to moto's CloudFormation, and its `EkmWizardConfig` output, saved as it is, is the config
//! `check aws` reads to verify the result; with an existing key, no key is made.

mod support;

use std::path::Path;
use std::process::Command;

use serde_json::Value;
use support::moto::{Moto, moto_server};

fn render(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_ekm-wizard"))
        .args(["render", "aws", "--format", "cloudformation"])
        .args(args)
        .output()
        .unwrap()
}

fn venv_program(name: &str) -> std::path::PathBuf {
    moto_server().parent().unwrap().join(name)
}

#[test]
fn the_template_passes_cfn_lint_with_nothing_to_say() {
    let dir = tempfile::tempdir().unwrap();
    for args in [&["--org-id", "org-abc123"][..], &[][..]] {
        let output = render(args);
        assert_eq!(output.status.code(), Some(0));
        let path = dir.path().join("ekm.yaml");
        std::fs::write(&path, &output.stdout).unwrap();
        let lint = Command::new(venv_program("cfn-lint"))
            .arg(&path)
            .output()
            .unwrap();
        assert!(
            lint.status.success() && lint.stdout.is_empty(),
            "cfn-lint: {}{}",
            String::from_utf8_lossy(&lint.stdout),
            String::from_utf8_lossy(&lint.stderr)
        );
    }
}

#[test]
fn bad_input_is_refused_as_render_refuses_it() {
    let output = render(&["--org-id", "bad"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty(), "nothing printed");
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(said.contains("OpenAI organization id (--org-id)"), "{said}");
    let gcp = Command::new(env!("CARGO_BIN_EXE_ekm-wizard"))
        .args(["render", "gcp", "--format", "cloudformation"])
        .output()
        .unwrap();
    assert_eq!(gcp.status.code(), Some(2), "CloudFormation is AWS's");
}

/// Deploys `template` to moto with `parameters`, returning the stack's outputs and how many
/// KMS keys exist afterwards. With `existing_key`, a key is made first and passed in.
fn deploy(moto: &Moto, template: &Path, existing_key: bool) -> (Value, usize) {
    let script = r#"
import json, sys, boto3
endpoint, template, existing = sys.argv[1], open(sys.argv[2]).read(), sys.argv[3] == "yes"
session = dict(endpoint_url=endpoint, region_name="us-east-1",
               aws_access_key_id="testing", aws_secret_access_key="testing")
kms = boto3.client("kms", **session)
parameters = [{"ParameterKey": "OrgId", "ParameterValue": "org-abc123"},
              {"ParameterKey": "ExternalId", "ParameterValue": "org-abc123"}]
if existing:
    key = kms.create_key(KeySpec="SYMMETRIC_DEFAULT", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]["Arn"]
    parameters.append({"ParameterKey": "ExistingKeyArn", "ParameterValue": key})
cfn = boto3.client("cloudformation", **session)
cfn.create_stack(StackName="openai-ekm", TemplateBody=template, Parameters=parameters,
                 Capabilities=["CAPABILITY_NAMED_IAM"])
stack = cfn.describe_stacks(StackName="openai-ekm")["Stacks"][0]
outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
print(json.dumps({"status": stack["StackStatus"], "outputs": outputs,
                  "keys": len(kms.list_keys()["Keys"])}))
"#;
    let output = Command::new(venv_program("python"))
        .args(["-c", script, &moto.endpoint(), template.to_str().unwrap()])
        .arg(if existing_key { "yes" } else { "no" })
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["status"], "CREATE_COMPLETE", "{report:#}");
    (
        report["outputs"].clone(),
        report["keys"].as_u64().unwrap() as usize,
    )
}

fn check_with_config(moto: &Moto, config: &str) -> (Option<i32>, Value) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ekm.json");
    std::fs::write(&path, config).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_ekm-wizard"))
        .args(["check", "aws", "--config", path.to_str().unwrap(), "--json"])
        .args(["--timeout", "20"])
        .envs(moto.env())
        .env("EKM_WIZARD_STATE_DIR", dir.path())
        .env_remove("AWS_PROFILE")
        .output()
        .unwrap();
    let report = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (output.status.code(), report)
}

#[test]
fn deployed_to_moto_its_config_output_checks_verified() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let template = dir.path().join("ekm.yaml");
    std::fs::write(&template, render(&[]).stdout).unwrap();
    let (outputs, keys) = deploy(&moto, &template, false);
    assert_eq!(keys, 1, "the stack made the key");
    let config = outputs["EkmWizardConfig"]
        .as_str()
        .expect("the config output");
    let parsed: Value = serde_json::from_str(config).unwrap();
    assert_eq!(parsed["kms_arn"], outputs["KmsKeyArn"]);
    assert_eq!(parsed["role_arn"], outputs["RoleArn"]);
    let (code, report) = check_with_config(&moto, config);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["verdict"], "verified", "{report:#}");
}

#[test]
fn with_an_existing_key_passed_in_no_key_is_made() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let template = dir.path().join("ekm.yaml");
    std::fs::write(&template, render(&[]).stdout).unwrap();
    let (outputs, keys) = deploy(&moto, &template, true);
    assert_eq!(keys, 1, "only the key made before: {outputs:#}");
    let config = outputs["EkmWizardConfig"].as_str().unwrap();
    let (code, report) = check_with_config(&moto, config);
    assert_eq!(code, Some(0), "{report:#}");
}
