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

/// Deploys `template` to moto as stack `name`, returning the stack's outputs and how many KMS
/// keys the stack made. With `existing_key`, a key is made first and passed in.
fn deploy(moto: &Moto, template: &Path, name: &str, existing_key: bool) -> (Value, usize) {
    let script = r#"
import json, sys, boto3
endpoint, template, existing, name = sys.argv[1], open(sys.argv[2]).read(), sys.argv[3] == "yes", sys.argv[4]
session = dict(endpoint_url=endpoint, region_name="us-east-1",
               aws_access_key_id="testing", aws_secret_access_key="testing")
kms = boto3.client("kms", **session)
parameters = [{"ParameterKey": "OrgId", "ParameterValue": "org-abc123"},
              {"ParameterKey": "ExternalId", "ParameterValue": "org-abc123"}]
if existing:
    key = kms.create_key(KeySpec="SYMMETRIC_DEFAULT", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]["Arn"]
    parameters.append({"ParameterKey": "ExistingKeyArn", "ParameterValue": key})
before = len(kms.list_keys()["Keys"])
cfn = boto3.client("cloudformation", **session)
if existing:
    parameters.append({"ParameterKey": "RoleName", "ParameterValue": name})
    parameters.append({"ParameterKey": "PolicyName", "ParameterValue": name + "-policy"})
else:
    parameters.append({"ParameterKey": "PolicyName", "ParameterValue": "openai-ekm-kms-access"})
cfn.create_stack(StackName=name, TemplateBody=template, Parameters=parameters,
                 Capabilities=["CAPABILITY_NAMED_IAM"])
stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
print(json.dumps({"status": stack["StackStatus"], "outputs": outputs,
                  "keys": len(kms.list_keys()["Keys"]) - before}))
"#;
    let output = Command::new(venv_program("python"))
        .args(["-c", script, &moto.endpoint(), template.to_str().unwrap()])
        .arg(if existing_key { "yes" } else { "no" })
        .arg(name)
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

/// One moto for both deployments (ports picked by separate servers can race).
#[test]
fn deployed_to_moto_its_config_checks_verified_and_an_existing_key_makes_none() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let template = dir.path().join("ekm.yaml");
    std::fs::write(&template, render(&[]).stdout).unwrap();

    let (outputs, made) = deploy(&moto, &template, "openai-ekm", false);
    assert_eq!(made, 1, "the stack made the key");
    let config = outputs["EkmWizardConfig"]
        .as_str()
        .expect("the config output");
    let parsed: Value = serde_json::from_str(config).unwrap();
    assert_eq!(parsed["kms_arn"], outputs["KmsKeyArn"]);
    assert_eq!(parsed["role_arn"], outputs["RoleArn"]);
    let (code, report) = check_with_config(&moto, config);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["verdict"], "verified", "{report:#}");

    let (outputs, made) = deploy(&moto, &template, "openai-ekm-existing", true);
    assert_eq!(made, 0, "no key made beside the one passed in: {outputs:#}");
    let config = outputs["EkmWizardConfig"].as_str().unwrap();
    let (code, report) = check_with_config(&moto, config);
    assert_eq!(code, Some(0), "{report:#}");
}

/// `render <cloud> --format terraform --out DIR` for org-abc123: every file parses and keeps
/// `terraform fmt`'s layout; the module's text and its parsed body.
fn terraform_module(cloud: &str) -> (String, hcl::Body) {
    terraform_module_with(cloud, &[])
}

/// [`terraform_module`] with more flags (`--with-openai`).
fn terraform_module_with(cloud: &str, extra: &[&str]) -> (String, hcl::Body) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("module");
    let output = Command::new(env!("CARGO_BIN_EXE_ekm-wizard"))
        .args([
            "render",
            cloud,
            "--format",
            "terraform",
            "--org-id",
            "org-abc123",
        ])
        .args(["--out", out.to_str().unwrap()])
        .args(extra)
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut whole = String::new();
    for name in ["versions.tf", "variables.tf", "main.tf", "outputs.tf"] {
        let text = std::fs::read_to_string(out.join(name)).unwrap();
        hcl::parse(&text).unwrap_or_else(|e| panic!("{name} does not parse: {e}"));
        terraform_fmt_style(name, &text);
        whole.push_str(&text);
    }
    let body = hcl::parse(&whole).unwrap();
    (whole, body)
}

/// An HCL expression as JSON: literals as they are, a reference (`var.x`) as `${var.x}`.
fn hcl_to_json(expression: &hcl::Expression) -> Value {
    use hcl::Expression as E;
    match expression {
        E::Null => Value::Null,
        E::Bool(b) => Value::Bool(*b),
        E::Number(n) => serde_json::to_value(n).unwrap(),
        E::String(s) => Value::String(s.clone()),
        E::Array(items) => Value::Array(items.iter().map(hcl_to_json).collect()),
        E::Object(map) => Value::Object(
            map.iter()
                .map(|(key, value)| {
                    let key = match key {
                        hcl::ObjectKey::Identifier(id) => id.to_string(),
                        hcl::ObjectKey::Expression(E::String(s)) => s.clone(),
                        other => panic!("key {other:?}"),
                    };
                    (key, hcl_to_json(value))
                })
                .collect(),
        ),
        other => Value::String(format!("${{{}}}", hcl::format::to_string(other).unwrap())),
    }
}

/// The argument of `jsonencode(…)` in `resource.name.attribute` of a parsed body, as JSON.
fn encoded(body: &hcl::Body, kind: &str, name: &str, attribute: &str) -> Value {
    let block = body
        .blocks()
        .find(|b| {
            b.identifier() == "resource"
                && b.labels().first().map(|l| l.as_str()) == Some(kind)
                && b.labels().get(1).map(|l| l.as_str()) == Some(name)
        })
        .unwrap_or_else(|| panic!("no resource {kind}.{name}"));
    let expression = block
        .body()
        .attributes()
        .find(|a| a.key() == attribute)
        .unwrap_or_else(|| panic!("no {attribute}"))
        .expr();
    let hcl::Expression::FuncCall(call) = expression else {
        panic!("{attribute} is not jsonencode(…): {expression:?}")
    };
    assert_eq!(call.name.to_string(), "jsonencode");
    hcl_to_json(&call.args[0])
}

#[test]
fn the_terraform_parses_and_holds_the_same_policies_as_the_json_render() {
    let (_, body) = terraform_module("aws");
    // The same documents as `render aws --json`, with the template's references in place of
    // the recorded values.
    let json = Command::new(env!("CARGO_BIN_EXE_ekm-wizard"))
        .args(["render", "aws", "--json", "--org-id", "org-abc123"])
        .args([
            "--kms-arn",
            "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        ])
        .args(["--role-arn", "arn:aws:iam::111122223333:role/openai-ekm"])
        .output()
        .unwrap();
    let rendered: Value = serde_json::from_slice(&json.stdout).unwrap();
    let mut trust = rendered["trust_policy"].clone();
    trust["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"] =
        serde_json::json!(["${var.external_id}"]);
    assert_eq!(
        encoded(&body, "aws_iam_role", "ekm", "assume_role_policy"),
        trust
    );
    let mut policy = rendered["iam_policy"].clone();
    policy["Statement"][0]["Resource"] = serde_json::json!("${local.key_arn}");
    assert_eq!(encoded(&body, "aws_iam_policy", "ekm", "policy"), policy);
    // One file on standard output is the same module.
    let one = Command::new(env!("CARGO_BIN_EXE_ekm-wizard"))
        .args([
            "render",
            "aws",
            "--format",
            "terraform",
            "--org-id",
            "org-abc123",
        ])
        .output()
        .unwrap();
    assert_eq!(
        hcl::parse(&String::from_utf8_lossy(&one.stdout)).unwrap(),
        body,
        "stdout holds the same module"
    );
}

/// Two-space indents, and `=` aligned across each run of one-line attributes at one depth.
fn terraform_fmt_style(name: &str, text: &str) {
    let mut run: Vec<(usize, usize)> = Vec::new(); // (indent, column of =)
    for line in text.lines().chain([""]) {
        let indent = line.len() - line.trim_start().len();
        assert_eq!(indent % 2, 0, "{name}: odd indent: {line:?}");
        let attribute = line.find(" = ").filter(|at| {
            !line[indent..*at].contains(['"', '(']) || line.trim_start().starts_with('"')
        });
        match attribute {
            Some(at) if run.last().is_none_or(|(i, _)| *i == indent) => run.push((indent, at)),
            _ => {
                if let Some((_, first)) = run.first() {
                    assert!(
                        run.iter().all(|(_, at)| at == first),
                        "{name}: `=` not aligned in a run ending before {line:?}"
                    );
                }
                run.clear();
                if let Some(at) = attribute {
                    run.push((indent, at));
                }
            }
        }
    }
}

#[test]
fn the_style_check_sees_a_misaligned_equals_and_bad_input_writes_nothing() {
    let misaligned = "resource \"a\" \"b\" {\n  name = 1\n  longer_name = 2\n}\n";
    assert!(std::panic::catch_unwind(|| terraform_fmt_style("x.tf", misaligned)).is_err());
    terraform_fmt_style(
        "y.tf",
        "resource \"a\" \"b\" {\n  name        = 1\n  longer_name = 2\n}\n",
    );
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("module");
    let output = Command::new(env!("CARGO_BIN_EXE_ekm-wizard"))
        .args(["render", "aws", "--format", "terraform", "--org-id", "bad"])
        .args(["--out", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(!out.exists(), "no file written for bad input");
}

/// The attribute `attribute` of `resource.name` in a parsed body (or of its `nested` block).
fn attribute(
    body: &hcl::Body,
    kind: &str,
    name: &str,
    nested: Option<&str>,
    attribute: &str,
) -> Value {
    let block = body
        .blocks()
        .find(|b| {
            b.identifier() == "resource"
                && b.labels().first().map(|l| l.as_str()) == Some(kind)
                && b.labels().get(1).map(|l| l.as_str()) == Some(name)
        })
        .unwrap_or_else(|| panic!("no resource {kind}.{name}"));
    let body = match nested {
        Some(inner) => block
            .body()
            .blocks()
            .find(|b| b.identifier() == inner)
            .unwrap_or_else(|| panic!("no {inner} block"))
            .body(),
        None => block.body(),
    };
    hcl_to_json(
        body.attributes()
            .find(|a| a.key() == attribute)
            .unwrap_or_else(|| panic!("no {attribute}"))
            .expr(),
    )
}

#[test]
fn the_gcp_terraform_holds_the_same_values_as_the_json_render() {
    let (whole, body) = terraform_module("gcp");
    let json = Command::new(env!("CARGO_BIN_EXE_ekm-wizard"))
        .args(["render", "gcp", "--json", "--org-id", "org-abc123"])
        .args(["--workload-identity-project-number", "123456789012"])
        .args([
            "--workload-identity-pool-id",
            "openai-ekm",
            "--workload-identity-provider-id",
            "openai-ekm-oidc",
        ])
        .args([
            "--kms-project-id",
            "adjective-noun-12345",
            "--kms-key-location",
            "us-east1",
        ])
        .args(["--kms-key-ring-name", "ring", "--kms-key-name", "key"])
        .output()
        .unwrap();
    let rendered: Value = serde_json::from_slice(&json.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&json.stderr)));
    let provider = &rendered["provider"];
    let wif = "google_iam_workload_identity_pool_provider";
    assert_eq!(
        attribute(&body, wif, "ekm", None, "attribute_condition"),
        provider["attribute_condition"]
    );
    assert_eq!(
        attribute(&body, wif, "ekm", None, "attribute_mapping"),
        provider["attribute_mapping"]
    );
    assert_eq!(
        attribute(&body, wif, "ekm", Some("oidc"), "issuer_uri"),
        provider["issuer_uri"]
    );
    assert_eq!(
        attribute(
            &body,
            "google_project_iam_custom_role",
            "ekm",
            None,
            "permissions"
        ),
        rendered["custom_role"]["role"]["includedPermissions"]
    );
    let expected = rendered["principal"]
        .as_str()
        .unwrap()
        .replace("123456789012", "${var.workload_identity_project_number}")
        .replace(
            "/openai-ekm/",
            "/${google_iam_workload_identity_pool.ekm.workload_identity_pool_id}/",
        );
    // The principal string, interpolating the pool's project number and id.
    assert_eq!(member_text(&whole), format!("\"{expected}\""));
}

/// The member line's value as written.
fn member_text(module: &str) -> String {
    module
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("member")
                .map(|r| r.trim_start_matches([' ', '=']).trim().to_string())
        })
        .unwrap()
}

#[test]
fn the_azure_terraform_holds_the_same_values_as_the_json_render() {
    let (whole, body) = terraform_module("azure");
    let json = Command::new(env!("CARGO_BIN_EXE_ekm-wizard"))
        .args(["render", "azure", "--json", "--org-id", "org-abc123"])
        .args(["--tenant-id", "72f988bf-86f1-41af-91ab-2d7cd011db47"])
        .args(["--subscription-id", "0b1f6471-1bf0-4dda-aec3-cb9272f09590"])
        .args(["--resource-group", "rg-ekm", "--vault-uri", "contoso-ekm"])
        .args(["--key-name", "org-abc123--openai-ekm"])
        .output()
        .unwrap();
    let rendered: Value = serde_json::from_slice(&json.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&json.stderr)));
    assert_eq!(
        attribute(
            &body,
            "azuread_service_principal",
            "openai",
            None,
            "client_id"
        ),
        rendered["service_principal_request"]["appId"]
    );
    assert_eq!(
        attribute(
            &body,
            "azurerm_role_definition",
            "ekm",
            Some("permissions"),
            "data_actions"
        ),
        rendered["custom_role"]["properties"]["permissions"][0]["dataActions"]
    );
    let scope = rendered["role_assignment_scope"]
        .as_str()
        .unwrap()
        .replace(
            "0b1f6471-1bf0-4dda-aec3-cb9272f09590",
            "${var.subscription_id}",
        )
        .replace("rg-ekm", "${var.resource_group}")
        .replace("/contoso-ekm/", "/${azurerm_key_vault.ekm.name}/")
        .replace(
            "org-abc123--openai-ekm",
            "${azurerm_key_vault_key.ekm.name}",
        );
    let written = whole
        .lines()
        .find_map(|l| l.trim().strip_prefix("scope              = "))
        .unwrap();
    assert_eq!(
        written,
        format!("\"{scope}\""),
        "the assignment sits on the key"
    );
    assert!(
        whole.contains("startswith(var.key_name, \"${var.org_id}--\")"),
        "the key-name rule"
    );
    assert!(
        whole.contains("enable_rbac_authorization  = true"),
        "the RBAC model"
    );
}

#[test]
fn an_out_folder_that_cannot_be_made_is_bad_input_naming_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "kept").unwrap();
    let out = file.join("module");
    let output = Command::new(env!("CARGO_BIN_EXE_ekm-wizard"))
        .args([
            "render",
            "aws",
            "--format",
            "terraform",
            "--org-id",
            "org-abc123",
        ])
        .args(["--out", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(said.contains("--out: cannot create"), "{said}");
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "kept",
        "nothing lost"
    );
}

/// checkov's findings on `path` (a folder of Terraform, or a template file), run with nothing
/// fetched from its vendor and any other attempt sent to a closed loopback port.
fn checkov(framework: &str, path: &Path) -> Value {
    let program = support::replay::from_pypi("checkov-venv", "checkov==3.2.533", "checkov");
    let target = if path.is_dir() { "-d" } else { "-f" };
    let output = Command::new(program)
        .arg(target)
        .arg(path)
        .args([
            "--framework",
            framework,
            "--skip-download",
            "--output",
            "json",
        ])
        .env("HTTPS_PROXY", "http://127.0.0.1:9")
        .env("HTTP_PROXY", "http://127.0.0.1:9")
        .env("NO_PROXY", "")
        .output()
        .unwrap();
    serde_json::from_slice(&output.stdout).unwrap_or_else(|err| {
        panic!(
            "checkov said no JSON ({err}): {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

#[test]
fn checkov_finds_nothing_and_every_skip_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let mut scanned = Vec::new();
    for cloud in ["aws", "gcp", "azure"] {
        let out = dir.path().join(cloud);
        let status = Command::new(env!("CARGO_BIN_EXE_ekm-wizard"))
            .args(["render", cloud, "--format", "terraform", "--out"])
            .arg(&out)
            .output()
            .unwrap();
        assert_eq!(status.status.code(), Some(0));
        scanned.push((cloud, checkov("terraform", &out)));
    }
    let out = dir.path().join("aws-with-openai");
    let status = Command::new(env!("CARGO_BIN_EXE_ekm-wizard"))
        .args([
            "render",
            "aws",
            "--format",
            "terraform",
            "--with-openai",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(status.status.code(), Some(0));
    scanned.push(("aws with openai", checkov("terraform", &out)));
    let template = dir.path().join("ekm.yaml");
    std::fs::write(&template, render(&["--org-id", "org-abc123"]).stdout).unwrap();
    scanned.push(("aws cloudformation", checkov("cloudformation", &template)));
    for (what, report) in scanned {
        let summary = &report["summary"];
        assert!(
            summary["passed"].as_u64().unwrap_or(0) > 0,
            "{what}: checkov checked nothing: {report}"
        );
        assert_eq!(summary["parsing_errors"], 0, "{what}: {summary}");
        let failed: Vec<&Value> = report["results"]["failed_checks"]
            .as_array()
            .map(|a| a.iter().map(|c| &c["check_id"]).collect())
            .unwrap_or_default();
        assert!(failed.is_empty(), "{what}: checkov found {failed:?}");
        for skipped in report["results"]["skipped_checks"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let reason = skipped["check_result"]["suppress_comment"]
                .as_str()
                .unwrap_or_default();
            assert!(
                reason.split_whitespace().count() >= 5,
                "{what}: {} is skipped without saying why",
                skipped["check_id"]
            );
        }
    }
}

/// The attribute `name` of the block `kind "a" "b"` of a parsed body, as written.
fn written(body: &hcl::Body, kind: &str, labels: &[&str], name: &str) -> String {
    let block = body
        .blocks()
        .find(|b| {
            b.identifier() == kind
                && b.labels().iter().map(|l| l.as_str()).collect::<Vec<_>>() == labels
        })
        .unwrap_or_else(|| panic!("no {kind} {labels:?}"));
    let expression = block
        .body()
        .attributes()
        .find(|a| a.key() == name)
        .unwrap_or_else(|| panic!("{kind} {labels:?} has no {name}"))
        .expr();
    hcl::format::to_string(expression).unwrap()
}

#[test]
fn with_openai_the_module_registers_its_own_key_and_role_and_creates_the_project() {
    let (text, body) = terraform_module_with("aws", &["--with-openai"]);
    // The provider, with a version constraint.
    let versions = body
        .blocks()
        .find(|b| b.identifier() == "terraform")
        .unwrap();
    let required = versions
        .body()
        .blocks()
        .find(|b| b.identifier() == "required_providers")
        .unwrap();
    let openai = required
        .body()
        .attributes()
        .find(|a| a.key() == "openai")
        .expect("the openai provider is required");
    let openai = hcl_to_json(openai.expr());
    assert_eq!(openai["source"], "openai/openai");
    assert!(
        openai["version"].as_str().unwrap().starts_with(">= "),
        "{openai}"
    );
    // The registration uses the module's own key, role and ExternalId.
    let key = ["openai_external_key", "ekm"];
    assert_eq!(written(&body, "resource", &key, "kms_arn"), "local.key_arn");
    assert_eq!(
        written(&body, "resource", &key, "role_arn"),
        "aws_iam_role.ekm.arn"
    );
    assert_eq!(
        written(&body, "resource", &key, "external_id"),
        "var.external_id"
    );
    assert_eq!(
        written(&body, "resource", &key, "depends_on")
            .split_whitespace()
            .collect::<String>(),
        "[aws_iam_role_policy_attachment.ekm]"
    );
    let registration = body
        .blocks()
        .find(|b| b.identifier() == "resource" && b.labels()[0].as_str() == "openai_external_key")
        .unwrap();
    let lifecycle = registration
        .body()
        .blocks()
        .find(|b| b.identifier() == "lifecycle")
        .expect("a lifecycle block");
    assert_eq!(
        lifecycle
            .body()
            .attributes()
            .find(|a| a.key() == "create_before_destroy")
            .map(|a| hcl_to_json(a.expr())),
        Some(Value::Bool(true))
    );
    assert_eq!(
        written(
            &body,
            "resource",
            &["openai_project", "ekm"],
            "external_key_id"
        ),
        "openai_external_key.ekm.external_key_id"
    );
    // Every reference in the module names a resource, local or variable the module declares.
    let declared = |kind: &str, labels: &[&str]| {
        body.blocks().any(|b| {
            b.identifier() == kind
                && b.labels()
                    .iter()
                    .map(|l| l.as_str())
                    .take(labels.len())
                    .eq(labels.iter().copied())
        })
    };
    let references =
        regex::Regex::new(r"\b(var|local|data\.[a-z_]+|aws_[a-z_]+|openai_[a-z_]+)\.([a-z_]+)\b")
            .unwrap();
    let locals: Vec<String> = body
        .blocks()
        .filter(|b| b.identifier() == "locals")
        .flat_map(|b| {
            b.body()
                .attributes()
                .map(|a| a.key().to_string())
                .collect::<Vec<_>>()
        })
        .collect();
    let mut seen = 0;
    for line in text.lines().filter(|l| !l.trim_start().starts_with('#')) {
        for found in references.captures_iter(line) {
            let (kind, name) = (&found[1], &found[2]);
            let known = match kind {
                "var" => declared("variable", &[name]),
                "local" => locals.iter().any(|l| l == name),
                data if data.starts_with("data.") => {
                    declared("data", &[&data["data.".len()..], name])
                }
                resource => declared("resource", &[resource, name]),
            };
            assert!(
                known,
                "`{kind}.{name}` names nothing the module declares: {line}"
            );
            seen += 1;
        }
    }
    assert!(seen > 10, "the scan saw {seen} references");
    // The module without the flag has none of OpenAI's side.
    let (plain, _) = terraform_module("aws");
    assert!(!plain.contains("openai_external_key") && !plain.contains("openai/openai"));
}

#[test]
fn with_openai_is_refused_where_the_provider_has_no_resource() {
    for cloud in ["gcp", "azure"] {
        let output = Command::new(env!("CARGO_BIN_EXE_ekm-wizard"))
            .args([
                "render",
                cloud,
                "--format",
                "terraform",
                "--org-id",
                "org-abc123",
                "--with-openai",
            ])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{cloud}: {stderr}");
        assert!(output.stdout.is_empty(), "{cloud}: nothing printed");
        assert!(stderr.contains("has no resource"), "{stderr}");
        assert!(
            stderr.contains(&format!("ekm-wizard register {cloud} --config")),
            "{stderr}"
        );
    }
    let output = render(&["--org-id", "org-abc123", "--with-openai"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
}
