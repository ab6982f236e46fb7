//! What the headless commands say and take, as a first-time user meets them: the flags each
//! subcommand offers (and only those), refusals that name the flag to use, the manual pages,
//! and the Terraform's `ekm_wizard_config` output read whole by `register --config`.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::{Map, Value};

use ekm_wizard::guide::{ArtifactId, FieldId, Inputs, SetupPath};

fn run(args: &[&str]) -> Output {
    run_in(args, None)
}

/// The binary with a state folder of its own (nothing of the user's read or written), and no
/// admin key or API base from the environment.
fn run_in(args: &[&str], state: Option<&Path>) -> Output {
    let own = tempfile::tempdir().unwrap();
    Command::new(env!("CARGO_BIN_EXE_ekm-wizard"))
        .args(args)
        .env("EKM_WIZARD_STATE_DIR", state.unwrap_or(own.path()))
        .env_remove("OPENAI_ADMIN_KEY")
        .env_remove("OPENAI_BASE_URL")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("the binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

const KEY: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const ROLE: &str = "arn:aws:iam::111122223333:role/openai-ekm";

/// Every value of each cloud, as flags and values, the key's name at OpenAI among them.
fn every_value(cloud: &str) -> Vec<(&'static str, &'static str)> {
    let mut values = vec![("org-id", "org-abc123"), ("name", "Prod EKM key")];
    values.extend(match cloud {
        "aws" => vec![
            ("kms-arn", KEY),
            ("role-arn", ROLE),
            ("external-id", "proj_abc123"),
            ("policy-name", "openai-ekm-use"),
        ],
        "gcp" => vec![
            ("workload-identity-project-number", "123456789012"),
            ("workload-identity-pool-id", "openai-ekm"),
            ("workload-identity-provider-id", "openai-ekm-oidc"),
            ("audience", "proj_abc123"),
            ("kms-project-id", "adjective-noun-12345"),
            ("kms-key-location", "us-east1"),
            ("kms-key-ring-name", "ring"),
            ("kms-key-name", "key"),
            ("role-id", "openaiEkmUse"),
        ],
        "azure" => vec![
            ("tenant-id", "72f988bf-86f1-41af-91ab-2d7cd011db47"),
            ("subscription-id", "0b1f6471-1bf0-4dda-aec3-cb9272f09590"),
            ("resource-group", "rg-ekm"),
            ("vault-uri", "https://contoso-ekm.vault.azure.net/"),
            ("key-name", "org-abc123--openai-ekm"),
            ("role-name", "OpenAI EKM key user"),
        ],
        other => panic!("no values for {other}"),
    });
    values
}

fn as_args(values: &[(&str, &str)]) -> Vec<String> {
    values
        .iter()
        .flat_map(|(flag, value)| [format!("--{flag}"), value.to_string()])
        .collect()
}

/// The attribute `name` of the block `kind "label"` in a parsed body.
fn block_attribute<'a>(
    body: &'a hcl::Body,
    kind: &str,
    label: &str,
    name: &str,
) -> Option<&'a hcl::Expression> {
    body.blocks()
        .find(|b| b.identifier() == kind && b.labels().first().map(|l| l.as_str()) == Some(label))
        .and_then(|b| b.body().attributes().find(|a| a.key() == name))
        .map(|a| a.expr())
}

/// The config the module's `ekm_wizard_config` output holds once applied: each `var.x` is the
/// variable's default (the value given), and each resource's attribute is the value the
/// resource was made from (the value given to the flag of the same name).
fn applied_config(cloud: &str, dir: &Path, given: &[(&str, &str)]) -> Map<String, Value> {
    let read = |name: &str| hcl::parse(&std::fs::read_to_string(dir.join(name)).unwrap()).unwrap();
    let (variables, outputs) = (read("variables.tf"), read("outputs.tf"));
    let value = block_attribute(&outputs, "output", "ekm_wizard_config", "value")
        .expect("outputs.tf has ekm_wizard_config with a value");
    let hcl::Expression::FuncCall(call) = value else {
        panic!("the config is not jsonencode(…): {value:?}");
    };
    assert_eq!(call.name.to_string(), "jsonencode");
    let hcl::Expression::Object(object) = &call.args[0] else {
        panic!("jsonencode of no object");
    };
    let mut config = Map::new();
    for (key, expression) in object.iter() {
        let key = match key {
            hcl::ObjectKey::Identifier(id) => id.to_string(),
            hcl::ObjectKey::Expression(hcl::Expression::String(s)) => s.clone(),
            other => panic!("key {other:?}"),
        };
        let value = match expression {
            hcl::Expression::String(text) => text.clone(),
            reference => {
                let written = hcl::format::to_string(reference).unwrap();
                match written.strip_prefix("var.") {
                    Some(variable) => {
                        match block_attribute(&variables, "variable", variable, "default") {
                            Some(hcl::Expression::String(default)) => default.clone(),
                            other => {
                                panic!("{cloud}: variable {variable} has no default: {other:?}")
                            }
                        }
                    }
                    None => given
                        .iter()
                        .find(|(flag, _)| flag.replace('-', "_") == key)
                        .map(|(_, value)| value.to_string())
                        .unwrap_or_else(|| panic!("{cloud}: {key} = {written} was not given")),
                }
            }
        };
        config.insert(key, Value::String(value));
    }
    config
}

/// The registration body `register` sends, from inputs.
fn registration_body(inputs: &Inputs) -> Value {
    match ekm_wizard::artifacts::generate(
        inputs.cloud,
        ArtifactId::REGISTRATION_BODY,
        inputs,
        SetupPath::Api,
    ) {
        Ok(ekm_wizard::artifacts::ArtifactBody::Json(body)) => body,
        other => panic!("no registration body: {other:?}"),
    }
}

#[test]
fn the_terraform_config_output_is_read_whole_by_register() {
    for cloud in ekm_wizard::clouds::all() {
        if !cloud
            .kit()
            .code_formats()
            .iter()
            .any(|f| f.key == "terraform")
        {
            continue;
        }
        let given = every_value(cloud.key());
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("module");
        let mut args = vec!["render", cloud.key(), "--format", "terraform"];
        let flags = as_args(&given);
        args.extend(flags.iter().map(String::as_str));
        args.extend(["--out", out.to_str().unwrap()]);
        let output = run(&args);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        let config = applied_config(cloud.key(), &out, &given);
        assert_eq!(
            config.get("name").and_then(Value::as_str),
            Some("Prod EKM key"),
            "{}: the output carries the key's name",
            cloud.key()
        );
        // Saved as `terraform output -raw ekm_wizard_config` writes it, and read by the code
        // `register --config` reads a config with: no unknown key, nothing missing.
        let file = dir.path().join("ekm.json");
        std::fs::write(&file, Value::Object(config.clone()).to_string()).unwrap();
        let inputs = ekm_wizard::inputs::from_config_and_flags(cloud, Some(&file), Vec::new())
            .unwrap_or_else(|problems| panic!("{}: {problems:?}", cloud.key()));
        let mut from_flags = Inputs::new(cloud);
        for (flag, value) in &given {
            let field = cloud.field_by_key(&flag.replace('-', "_")).unwrap();
            from_flags.set(field, *value);
        }
        assert_eq!(
            registration_body(&inputs),
            registration_body(&from_flags),
            "{}: the config registers the same key as the flags",
            cloud.key()
        );
        // Without `name` the body would differ: the test sees what the field carries.
        let mut nameless = inputs.clone();
        nameless.set(FieldId::NAME, "");
        assert_ne!(
            registration_body(&nameless),
            registration_body(&from_flags),
            "{}: the name matters to the body",
            cloud.key()
        );
    }
}

#[test]
fn terraform_object_keys_are_bare_as_terraform_users_write_them() {
    let output = run(&[
        "render",
        "aws",
        "--format",
        "terraform",
        "--org-id",
        "org-abc123",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.contains("source  = \"hashicorp/aws\""),
        "a provider's source bare: {text}"
    );
    assert!(
        text.contains("Version   = \"2012-10-17\""),
        "a policy's keys bare"
    );
    // A key that is no identifier stays quoted (a condition key).
    assert!(text.contains("\"sts:ExternalId\""), "{text}");
    assert!(!text.contains("\"source\""), "no quoted identifier key");
    assert!(!text.contains("\"Version\""), "no quoted identifier key");
}

/// The long flags a help text offers.
fn offered(help: &str) -> Vec<String> {
    help.split_whitespace()
        .filter(|w| w.starts_with("--"))
        .map(|w| w.trim_end_matches([',', '.', ')']).to_string())
        .collect()
}

#[test]
fn check_offers_no_flag_it_does_not_use_and_groups_the_rest() {
    let help = stdout(&run(&["check", "aws", "--help"]));
    let flags = offered(&help);
    for unused in ["--path", "--policy-name", "--name"] {
        assert!(!flags.iter().any(|f| f == unused), "{unused} in:\n{help}");
    }
    let refused = run(&["check", "aws", "--path", "chatgpt"]);
    assert_eq!(refused.status.code(), Some(2), "not offered, not taken");
    // Inputs, then output, then behaviour, each flag under its heading.
    let at = |text: &str| {
        help.find(text)
            .unwrap_or_else(|| panic!("{text} in:\n{help}"))
    };
    assert!(at("Inputs:") < at("--org-id") && at("--org-id") < at("--role-arn"));
    assert!(at("--role-arn") < at("Output:") && at("Output:") < at("--json"));
    assert!(at("--json") < at("Behaviour:") && at("Behaviour:") < at("--profile"));
    assert!(at("--profile") < at("--timeout"));
    // What render and apply use, they still offer.
    let render = offered(&stdout(&run(&["render", "aws", "--help"])));
    for flag in ["--path", "--policy-name", "--name", "--format", "--out"] {
        assert!(render.iter().any(|f| f == flag), "render offers {flag}");
    }
    let apply = offered(&stdout(&run(&["apply", "aws", "--help"])));
    assert!(
        apply.iter().any(|f| f == "--policy-name"),
        "apply names the policy"
    );
    assert!(!apply.iter().any(|f| f == "--path"));
    let register = offered(&stdout(&run(&["register", "gcp", "--help"])));
    assert!(register.iter().any(|f| f == "--name"));
    assert!(!register.iter().any(|f| f == "--path" || f == "--role-id"));
}

#[test]
fn render_points_json_to_its_flag_and_refuses_a_folder_without_a_format() {
    let json = run(&[
        "render",
        "aws",
        "--format",
        "json",
        "--org-id",
        "org-abc123",
    ]);
    assert_eq!(json.status.code(), Some(2));
    assert!(stderr(&json).contains("--json"), "{}", stderr(&json));
    assert!(stdout(&json).is_empty());
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("module");
    let folder = run(&[
        "render",
        "aws",
        "--org-id",
        "org-abc123",
        "--kms-arn",
        KEY,
        "--role-arn",
        ROLE,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(folder.status.code(), Some(2), "{}", stdout(&folder));
    assert!(
        stderr(&folder).contains("--out needs --format"),
        "{}",
        stderr(&folder)
    );
    assert!(stdout(&folder).is_empty() && !out.exists());
}

#[test]
fn the_chatgpt_path_refuses_another_presented_id() {
    for (cloud, flag) in [("aws", "--external-id"), ("gcp", "--audience")] {
        let output = run(&[
            "render",
            cloud,
            "--org-id",
            "org-abc123",
            "--path",
            "chatgpt",
            flag,
            "proj_abc123",
        ]);
        assert_eq!(output.status.code(), Some(2), "{cloud}");
        let said = stderr(&output);
        assert!(
            said.contains(flag) && said.contains("presents the org id"),
            "{said}"
        );
        assert!(stdout(&output).is_empty());
    }
    let wizard = run(&[
        "--cloud",
        "aws",
        "--org-id",
        "org-abc123",
        "--path",
        "chatgpt",
        "--external-id",
        "proj_abc123",
    ]);
    assert_eq!(wizard.status.code(), Some(2));
    assert!(stderr(&wizard).contains("presents the org id"));
}

#[test]
fn drill_says_its_key_is_required_and_every_problem_at_once() {
    let help = stdout(&run(&["drill", "aws", "--help"]));
    let line = help
        .lines()
        .skip_while(|l| !l.contains("--key-id"))
        .take(2)
        .collect::<String>();
    assert!(line.contains("required"), "{line}");
    assert!(!line.contains("otherwise"), "{line}");
    let output = run(&["drill", "aws", "--org-id", "bad"]);
    assert_eq!(output.status.code(), Some(2));
    let said = stderr(&output);
    for problem in [
        "--key-id",
        "--org-id",
        "--kms-arn",
        "--yes",
        "OPENAI_ADMIN_KEY",
    ] {
        assert!(said.contains(problem), "{problem} not said:\n{said}");
    }
}

#[test]
fn refusals_name_what_users_know() {
    let register = run(&[
        "register",
        "aws",
        "--org-id",
        "org-abc123",
        "--kms-arn",
        KEY,
        "--role-arn",
        ROLE,
    ]);
    assert_eq!(register.status.code(), Some(2));
    let said = stderr(&register);
    assert!(said.contains("(--project-name): missing"), "{said}");
    assert!(!said.contains("project_name:"), "{said}");
    let validate = run(&["validate", "abc"]);
    assert_eq!(validate.status.code(), Some(2));
    let said = stderr(&validate);
    assert!(
        said.contains("external key id") && said.contains("extkey_"),
        "{said}"
    );
    assert!(!said.starts_with("error: id:"), "{said}");
    // One fault, one line, however many fields it refuses.
    let apply = stderr(&run(&["apply", "aws"]));
    assert_eq!(apply.matches("--org-id").count(), 1, "{apply}");
    let every = run(&["watch", "aws", "--every", "0"]);
    assert_eq!(every.status.code(), Some(2));
    assert!(
        stderr(&every).contains("must be more than 0"),
        "{}",
        stderr(&every)
    );
}

#[test]
fn explain_of_nothing_is_bad_input_and_an_openai_401_is_known() {
    for nothing in ["", "   \n\t"] {
        let output = run(&["explain", nothing]);
        assert_eq!(output.status.code(), Some(2));
        assert!(stderr(&output).contains("nothing to explain"));
    }
    // OpenAI's own 401 body, and register's sentence for it: the same entry, whose first fix
    // is register's words.
    let body = r#"{"error": {"message": "Incorrect API key provided: sk-admin-****cdef.", "type": "invalid_request_error", "param": null, "code": "invalid_api_key"}}"#;
    let register_said = format!(
        "OpenAI did not accept the admin key (401): {}. Incorrect API key provided.",
        ekm_wizard::openai::client::ADMIN_KEY_FIX
    );
    for text in [body, register_said.as_str()] {
        let output = run(&["explain", "--json", text]);
        assert_eq!(output.status.code(), Some(0), "{text}");
        let found: Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(
            found["entry"]["id"], "openai-admin-key-refused",
            "{found:#}"
        );
        assert!(found["entry"]["cloud"].is_null(), "no cloud is at fault");
        assert!(
            found["entry"]["fixes"][0]
                .as_str()
                .unwrap()
                .to_lowercase()
                .contains(ekm_wizard::openai::client::ADMIN_KEY_FIX),
            "{found:#}"
        );
    }
    let people = stdout(&run(&["explain", body]));
    assert!(people.starts_with("OpenAI · "), "{people}");
}

#[test]
fn a_watch_line_is_cut_for_a_terminal_only() {
    use ekm_wizard::after_setup::doctor::{DoctorReport, Health, OpenAiSide};
    let long = format!(
        "could not sign in: {}end",
        "a detail worth keeping ".repeat(20)
    );
    let report = DoctorReport {
        schema_version: 1,
        cloud: "aws",
        health: Health::NotVerified,
        started_at: "2026-01-01T00:00:00Z".into(),
        finished_at: "2026-01-01T00:00:05Z".into(),
        cloud_verdict: "not-verified",
        checks: Vec::new(),
        cloud_error: Some(long.clone()),
        openai: OpenAiSide::NotAsked {
            why: "no key".into(),
        },
    };
    let logged = ekm_wizard::headless::after_setup::watch_line(&report, true);
    assert!(logged.ends_with(&long) && !logged.contains('…'), "{logged}");
    assert_eq!(logged.lines().count(), 1, "still one line");
    let shown = ekm_wizard::headless::after_setup::watch_line(&report, false);
    assert!(
        shown.ends_with('…') && shown.len() < logged.len(),
        "{shown}"
    );
}

/// A flag as roff writes it (`\-\-kms\-arn`).
fn in_roff(text: &str) -> String {
    text.replace('-', "\\-")
}

#[test]
fn every_subcommand_has_its_manual_page_with_every_flag_and_exit_code() {
    use clap::CommandFactory;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("man");
    let written = run(&["man", "--out", out.to_str().unwrap()]);
    assert_eq!(written.status.code(), Some(0), "{}", stderr(&written));
    let main = std::fs::read_to_string(out.join("ekm-wizard.1")).unwrap();
    let mut command = ekm_wizard::cli::Cli::command();
    command.build();
    let subcommands: Vec<&clap::Command> = command.get_subcommands().collect();
    assert!(subcommands.len() >= 12, "the whole command line");
    for sub in subcommands {
        let name = sub.get_name();
        let cited = in_roff(&format!("ekm-wizard-{name}(1)"));
        assert!(main.contains(&cited), "the main page cites {cited}");
        let page = std::fs::read_to_string(out.join(format!("ekm-wizard-{name}.1")))
            .unwrap_or_else(|e| panic!("no page for {name}: {e}"));
        // The same page on standard output, one at a time.
        assert_eq!(stdout(&run(&["man", name])), page, "{name}");
        assert!(page.contains(&format!(".TH ekm-wizard-{name} 1")), "{name}");
        // Every flag of the subcommand, and of each cloud's subcommand under it.
        let mut commands = vec![sub];
        commands.extend(sub.get_subcommands().filter(|c| c.get_name() != "help"));
        for command in commands {
            for arg in command.get_arguments().filter(|a| !a.is_hide_set()) {
                if let Some(long) = arg.get_long() {
                    let flag = in_roff(&format!("--{long}"));
                    assert!(
                        page.contains(&flag),
                        "ekm-wizard-{name}(1) lacks {flag} of {}",
                        command.get_name()
                    );
                }
            }
        }
        assert!(page.contains(".SH \"EXIT STATUS\""), "{name}");
        for (code, _) in ekm_wizard::exit::MEANINGS {
            assert!(
                page.contains(&format!("\\fB{code}\\fR")),
                "{name}: exit {code}"
            );
        }
        assert!(page.contains(".SH ENVIRONMENT"), "{name}");
    }
    // The commands that ask OpenAI name its variables; the main page names them all.
    for name in ["register", "doctor", "drill"] {
        let page = std::fs::read_to_string(out.join(format!("ekm-wizard-{name}.1"))).unwrap();
        assert!(
            page.contains("OPENAI_ADMIN_KEY") && page.contains("OPENAI_BASE_URL"),
            "{name}"
        );
    }
    for variable in [
        "OPENAI_ADMIN_KEY",
        "EKM_WIZARD_STATE_DIR",
        "EKM_WIZARD_CLIPBOARD",
    ] {
        assert!(main.contains(variable), "the main page names {variable}");
    }
    let unknown = run(&["man", "nonsense"]);
    assert_eq!(unknown.status.code(), Some(2));
}
