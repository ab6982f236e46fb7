//! Shipping: the SBOM the release workflow attaches is generated here with the same command
//! and checked against CycloneDX's published 1.5 schema, the manifest and the lock file; and
//! `--version` names the commit the binary was built from.

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// The arguments of `cargo cyclonedx` in .github/workflows/release.yml (one line there).
const SBOM_ARGS: &[&str] = &[
    "cyclonedx",
    "--format",
    "json",
    "--spec-version",
    "1.5",
    "--target",
    "all",
    "--override-filename",
    "ekm-wizard.cdx",
];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// cargo-cyclonedx as .ci/run installs it (target/tools), else from PATH.
fn cargo_cyclonedx() -> Option<PathBuf> {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"));
    let installed = target.join("tools/bin/cargo-cyclonedx");
    if installed.exists() {
        return Some(installed);
    }
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths)
        .map(|dir| dir.join("cargo-cyclonedx"))
        .find(|p| p.exists())
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Checks a CycloneDX 1.5 JSON document against the schema CycloneDX publishes, with its
/// own Python library (which carries the schema files), strictly.
fn schema_errors(sbom: &Path) -> Option<String> {
    let python = support::replay::from_pypi(
        "cyclonedx-venv",
        "cyclonedx-python-lib[json-validation]==11.12.0",
        "python3",
    );
    let script = r#"
import sys
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
error = JsonStrictValidator(SchemaVersion.V1_5).validate_str(open(sys.argv[1]).read())
if error is not None:
    print(error)
    sys.exit(1)
"#;
    let output = Command::new(python)
        .args(["-c", script])
        .arg(sbom)
        .output()
        .unwrap();
    (!output.status.success()).then(|| {
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// (name, version) → checksum of every package the lock file pins from a registry.
fn locked() -> Vec<(String, String, String)> {
    let lock: toml::Table = std::fs::read_to_string(root().join("Cargo.lock"))
        .unwrap()
        .parse()
        .unwrap();
    lock["package"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| {
            Some((
                p.get("name")?.as_str()?.to_string(),
                p.get("version")?.as_str()?.to_string(),
                p.get("checksum")?.as_str()?.to_string(),
            ))
        })
        .collect()
}

#[test]
fn the_release_sbom_is_valid_cyclonedx_naming_the_wizard_and_what_it_is_built_from() {
    let workflow = std::fs::read_to_string(root().join(".github/workflows/release.yml")).unwrap();
    assert!(
        workflow.contains(&format!("cargo-cyclonedx\" {}", SBOM_ARGS.join(" "))),
        "release.yml no longer runs the SBOM command this test checks"
    );
    let Some(tool) = cargo_cyclonedx() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "cargo-cyclonedx is missing in CI: .ci/run installs it into target/tools"
        );
        eprintln!(
            "\n\n*** SKIPPED: cargo-cyclonedx is not installed (.ci/run installs it: \
             cargo install cargo-cyclonedx --version 0.5.9 --locked --root target/tools) ***\n\n"
        );
        return;
    };

    // A copy of what the SBOM reads (the manifest, the lock, the targets it names), so the
    // document is written outside the checkout.
    let copy = tempfile::tempdir().unwrap();
    for file in [
        "Cargo.toml",
        "Cargo.lock",
        "build.rs",
        "README.md",
        "LICENSE",
    ] {
        std::fs::copy(root().join(file), copy.path().join(file)).unwrap();
    }
    for dir in ["src", "benches"] {
        copy_tree(&root().join(dir), &copy.path().join(dir));
    }
    let output = Command::new(&tool)
        .args(SBOM_ARGS)
        .current_dir(copy.path())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "cargo cyclonedx failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let path = copy.path().join("ekm-wizard.cdx.json");
    let text = std::fs::read_to_string(&path).expect("the SBOM was not written");

    if let Some(errors) = schema_errors(&path) {
        panic!("the SBOM is not valid CycloneDX 1.5: {errors}");
    }

    let sbom: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(sbom["bomFormat"], "CycloneDX");
    assert_eq!(sbom["specVersion"], "1.5");
    let subject = &sbom["metadata"]["component"];
    assert_eq!(subject["name"], "ekm-wizard");
    assert_eq!(subject["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(subject["licenses"][0]["expression"], "MIT");

    // Every component a registry package, with the version and SHA-256 the lock file pins.
    let components = sbom["components"].as_array().unwrap();
    let locked = locked();
    for name in [
        "ratatui",
        "reqwest",
        "rustls",
        "aws-lc-rs",
        "aws-sdk-kms",
        "azure_security_keyvault_keys",
        "windows-sys",
        "tokio",
    ] {
        let found: Vec<&Value> = components.iter().filter(|c| c["name"] == name).collect();
        assert!(!found.is_empty(), "{name} is missing from the SBOM");
        for component in found {
            let version = component["version"].as_str().unwrap();
            let (_, _, checksum) = locked
                .iter()
                .find(|(n, v, _)| n == name && v == version)
                .unwrap_or_else(|| panic!("{name} {version} is not in Cargo.lock"));
            let hash = component["hashes"]
                .as_array()
                .and_then(|h| h.iter().find(|h| h["alg"] == "SHA-256"))
                .unwrap_or_else(|| panic!("{name} has no SHA-256"));
            assert_eq!(hash["content"], checksum.as_str(), "{name} {version}");
            assert_eq!(
                component["purl"],
                format!("pkg:cargo/{name}@{version}").as_str()
            );
        }
    }
    // Test-only crates are not shipped, so they are not listed.
    for dev_only in ["insta", "portable-pty", "proptest", "vt100", "hcl-rs"] {
        assert!(
            !components.iter().any(|c| c["name"] == dev_only),
            "{dev_only} (a dev-dependency) is in the SBOM"
        );
    }

    // The wizard's direct dependencies are exactly the manifest's.
    let manifest: toml::Table = std::fs::read_to_string(root().join("Cargo.toml"))
        .unwrap()
        .parse()
        .unwrap();
    let mut declared: BTreeSet<String> = manifest["dependencies"]
        .as_table()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    for (_, table) in manifest["target"].as_table().unwrap() {
        if let Some(deps) = table.get("dependencies").and_then(|d| d.as_table()) {
            declared.extend(deps.keys().cloned());
        }
    }
    let subject_ref = subject["bom-ref"].as_str().unwrap();
    let direct: BTreeSet<String> = sbom["dependencies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["ref"] == subject_ref)
        .expect("the wizard's own dependency entry")["dependsOn"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let r = r.as_str().unwrap();
            let package = r.rsplit('#').next().unwrap();
            package.rsplit_once('@').unwrap().0.to_string()
        })
        .collect();
    assert_eq!(direct, declared);
}

#[test]
fn version_names_the_commit_it_was_built_from() {
    let output = Command::new(env!("CARGO_BIN_EXE_ekm-wizard"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(output.status.success());
    let said = String::from_utf8(output.stdout).unwrap();
    let head = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(root())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    let expected = match (std::env::var("EKM_WIZARD_COMMIT").ok(), head) {
        (Some(given), _) => given,
        (None, Some(head)) => head,
        (None, None) => "unknown".into(),
    };
    assert_eq!(
        said.trim(),
        format!(
            "ekm-wizard {} (commit {expected})",
            env!("CARGO_PKG_VERSION")
        )
    );
}
