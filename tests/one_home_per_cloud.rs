//! Each cloud lives in its own folder, `src/clouds/<cloud>/`: no other source file names a
//! cloud. The registry (`src/clouds/mod.rs`) is the one place that lists them. Comments and
//! unit tests may use a real cloud as an example; code and its strings may not.

use std::path::{Path, PathBuf};

use regex::Regex;

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs" || e == "toml") {
            out.push(path);
        }
    }
}

/// Whether a file belongs to one cloud's folder, or is the registry.
fn is_a_cloud_home(relative: &str) -> bool {
    relative == "src/clouds/mod.rs"
        || relative
            .strip_prefix("src/clouds/")
            .is_some_and(|rest| rest.contains('/'))
}

/// A cloud's name as a word, in any case.
fn cloud_names() -> Regex {
    Regex::new(
        r"(?i)(?:^|[^A-Za-z0-9])(aws|gcp|azure|google|gcloud|microsoft|amazon|entra|az)(?:[^A-Za-z0-9]|$)",
    )
    .unwrap()
}

#[test]
fn generic_code_names_no_cloud() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let names = cloud_names();
    let mut files = Vec::new();
    sources(&root.join("src"), &mut files);
    sources(&root.join("assets"), &mut files);
    let mut found = Vec::new();
    for path in files {
        let relative = path
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        if is_a_cloud_home(&relative) {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let code = match text.find("#[cfg(test)]") {
            Some(at) => &text[..at],
            None => &text,
        };
        let comment = if relative.ends_with(".toml") {
            "#"
        } else {
            "//"
        };
        for (number, line) in code.lines().enumerate() {
            let line = line.split(comment).next().unwrap_or_default();
            if let Some(name) = names.captures(line) {
                found.push(format!(
                    "{relative}:{}: names `{}`: {}",
                    number + 1,
                    &name[1],
                    line.trim()
                ));
            }
        }
    }
    assert!(
        found.is_empty(),
        "generic code names a cloud; move it into that cloud's folder (src/clouds/<cloud>/) \
         behind the CloudKit trait:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_check_sees_a_cloud_named_in_generic_code() {
    // The scan must fail on what it is meant to catch, or it proves nothing.
    let names = cloud_names();
    assert!(names.is_match("run `gcloud kms keys list`"));
    assert!(names.is_match("if cloud == Cloud::Azure {"));
    assert!(names.is_match("let var = \"aws\";"));
    assert!(!names.is_match("let laws = 1; // fine"));
    assert!(is_a_cloud_home("src/clouds/aws/checks.rs"));
    assert!(is_a_cloud_home("src/clouds/mod.rs"));
    assert!(!is_a_cloud_home("src/app/update.rs"));
}
