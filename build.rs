//! Build script: names the commit the binary was built from, for `--version`.
//!
//! The commit comes from `EKM_WIZARD_COMMIT` when set (a build from a tarball, or a release
//! job that knows its tag's commit), else from `git rev-parse --short HEAD`, else it is
//! "unknown". Nothing here can fail the build. Cargo reruns the script only when the
//! variable, HEAD or the branch HEAD points at changes, so everyday builds and test runs are
//! not rebuilt for it.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=EKM_WIZARD_COMMIT");
    let commit = std::env::var("EKM_WIZARD_COMMIT")
        .ok()
        .map(|value| value.trim().to_string())
        .filter(|value| plain(value))
        .or_else(from_git)
        .unwrap_or_else(|| "unknown".to_string());
    watch_head();
    println!("cargo:rustc-env=EKM_WIZARD_COMMIT={commit}");
}

/// A commit name made of what a commit name is made of: nothing else reaches `--version`.
fn plain(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= 64
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
}

fn from_git() -> Option<String> {
    let output = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let commit = String::from_utf8(output.stdout).ok()?.trim().to_string();
    plain(&commit).then_some(commit)
}

/// Asks cargo to rerun this script when HEAD moves: HEAD itself, and the ref it names (loose,
/// or packed). In a worktree `.git` is a file naming the real git directory; the refs live
/// in the common directory it points back to.
fn watch_head() {
    let Some(git_dir) = git_dir(Path::new(".git")) else {
        return;
    };
    let head = git_dir.join("HEAD");
    println!("cargo:rerun-if-changed={}", head.display());
    let common = std::fs::read_to_string(git_dir.join("commondir"))
        .ok()
        .map(|c| git_dir.join(c.trim()))
        .unwrap_or_else(|| git_dir.clone());
    if let Some(reference) = std::fs::read_to_string(&head)
        .ok()
        .and_then(|h| h.strip_prefix("ref: ").map(|r| r.trim().to_string()))
    {
        for dir in [&git_dir, &common] {
            let loose = dir.join(&reference);
            if loose.exists() {
                println!("cargo:rerun-if-changed={}", loose.display());
            }
        }
        let packed = common.join("packed-refs");
        if packed.exists() {
            println!("cargo:rerun-if-changed={}", packed.display());
        }
    }
}

/// The git directory `.git` stands for: itself when a folder, the folder a `.git` file names.
fn git_dir(dot_git: &Path) -> Option<PathBuf> {
    if dot_git.is_dir() {
        return Some(dot_git.to_path_buf());
    }
    let text = std::fs::read_to_string(dot_git).ok()?;
    let named = text.strip_prefix("gitdir:")?.trim();
    let path = PathBuf::from(named);
    Some(if path.is_absolute() {
        path
    } else {
        dot_git.parent()?.join(path)
    })
}
