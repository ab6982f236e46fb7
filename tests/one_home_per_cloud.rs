//! Each cloud lives in its own folder, `src/clouds/<cloud>/`: no other source file names a
//! cloud. The registry (`src/clouds/mod.rs`) is the one place that lists them. The names come
//! from the registry itself (each kit's key, display name and the provider words it declares),
//! and whole files are read, their tests included: only comments may use a real cloud as an
//! example.

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

/// Every word that names a cloud, as the registry declares them: keys, display names and
/// provider words, longest first (so that what is reported is the whole name).
fn cloud_words() -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    for cloud in ekm_wizard::clouds::all() {
        let kit = cloud.kit();
        for word in [kit.key(), kit.display_name()]
            .into_iter()
            .chain(kit.provider_words().iter().copied())
        {
            let word = word.to_ascii_lowercase();
            if !words.contains(&word) {
                words.push(word);
            }
        }
    }
    words.sort_by_key(|w| std::cmp::Reverse(w.len()));
    words
}

/// A cloud's name as a word, in any case.
fn cloud_names() -> Regex {
    let words: Vec<String> = cloud_words()
        .iter()
        .map(|w| {
            w.split_whitespace()
                .map(regex::escape)
                .collect::<Vec<_>>()
                .join(r"\s+")
        })
        .collect();
    Regex::new(&format!(
        r"(?i)(?:^|[^A-Za-z0-9])({})(?:[^A-Za-z0-9]|$)",
        words.join("|")
    ))
    .unwrap()
}

/// Every line of `files` (paths under `root`) outside a comment that names a cloud.
fn names_found(root: &Path, files: &[PathBuf], names: &Regex) -> Vec<String> {
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
        let text = std::fs::read_to_string(path).unwrap();
        let comment = if relative.ends_with(".toml") {
            "#"
        } else {
            "//"
        };
        for (number, line) in text.lines().enumerate() {
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
    found
}

/// The files under `tests/` that must stay generic: the made-up kit driven through generic
/// code alone, this scan, and OpenAI's stand-in. The other test files prove what a user sees
/// on a real cloud (`check <cloud>` against moto and the clouds' stand-ins, every cloud's
/// screens), so naming the cloud is their point.
const GENERIC_TESTS: [&str; 3] = [
    "tests/fourth_cloud.rs",
    "tests/one_home_per_cloud.rs",
    "tests/support/fake_openai.rs",
];

#[test]
fn generic_code_names_no_cloud() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    sources(&root.join("src"), &mut files);
    sources(&root.join("assets"), &mut files);
    for test in GENERIC_TESTS {
        let path = root.join(test);
        assert!(path.is_file(), "{test} is gone: update GENERIC_TESTS");
        files.push(path);
    }
    let found = names_found(root, &files, &cloud_names());
    assert!(
        found.is_empty(),
        "generic code names a cloud; move it into that cloud's folder (src/clouds/<cloud>/) \
         behind the CloudKit trait:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_check_sees_every_name_the_registry_declares() {
    // The scan must fail on what it is meant to catch, or it proves nothing.
    let names = cloud_names();
    let mut seen = 0;
    for cloud in ekm_wizard::clouds::all() {
        let kit = cloud.kit();
        for word in [kit.key(), kit.display_name()]
            .into_iter()
            .chain(kit.provider_words().iter().copied())
        {
            for line in [
                format!("let var = \"{word}\";"),
                format!("run `{} kms keys list`", word.to_ascii_uppercase()),
                format!("if cloud == Cloud::{word} {{"),
            ] {
                assert!(names.is_match(&line), "{line}");
            }
            assert!(
                !names.is_match(&format!("let x{word}y = 1;")),
                "{word} inside a longer word is not a name"
            );
            seen += 1;
        }
    }
    assert!(
        seen > ekm_wizard::clouds::all().count(),
        "kits declare words"
    );
    assert!(is_a_cloud_home("src/clouds/x/checks.rs"));
    assert!(is_a_cloud_home("src/clouds/mod.rs"));
    assert!(!is_a_cloud_home("src/app/update.rs"));
}

#[test]
fn a_name_in_a_files_tests_is_found_too() {
    let dir = std::env::temp_dir().join(format!("one-home-{}", std::process::id()));
    let source = dir.join("src/app/made_up.rs");
    std::fs::create_dir_all(source.parent().unwrap()).unwrap();
    let key = ekm_wizard::clouds::first().key();
    std::fs::write(
        &source,
        format!(
            "//! nothing here\n\n#[cfg(test)]\nmod tests {{\n    // {key} in a comment is fine\n    const C: &str = \"{key}\";\n}}\n"
        ),
    )
    .unwrap();
    let found = names_found(&dir, std::slice::from_ref(&source), &cloud_names());
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with("src/app/made_up.rs:6:"), "{found:?}");
}
