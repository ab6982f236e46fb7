//! The screen README.md shows under "What it looks like" is the wizard's own drawing: step 3
//! of the AWS path at 80×24 with the trust policy focused, drawn through ratatui's
//! `TestBackend` as `tests/screens.rs` draws every screen. The test fails when the README's
//! copy differs, and says how to refresh it.

use ekm_wizard::app::model::{Model, Screen, StartOptions};
use ekm_wizard::app::theme::Theme;
use ekm_wizard::app::{Msg, update, view};
use ekm_wizard::clouds::aws;
use ekm_wizard::guide::{FieldId, SetupPath};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const README: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
const HEADING: &str = "## What it looks like";
const REFRESH: &str = "UPDATE_README_SCREEN";

/// The screen as text, one line per row, without the spaces that end a row.
fn the_screen() -> Vec<String> {
    let mut model = Model::new(StartOptions {
        width: 80,
        height: 24,
        theme: Theme::default(),
        ..Default::default()
    });
    model.cloud = aws::cloud();
    model.path = SetupPath::Api;
    for (field, value) in [
        (FieldId::ORG_ID, "org-abc123"),
        (
            aws::KMS_ARN,
            "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        ),
        (aws::ROLE_ARN, "arn:aws:iam::111122223333:role/openai-ekm"),
    ] {
        model.set_field(field, value);
    }
    model.reached = 2;
    model.screen = Screen::Step(2);
    model.refresh_editor_styles();
    update(&mut model, Msg::FocusNext);
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    terminal.draw(|frame| view::draw(frame, &model)).unwrap();
    // TestBackend writes each row quoted, wide characters once.
    terminal
        .backend()
        .to_string()
        .lines()
        .map(|row| {
            row.strip_prefix('"')
                .and_then(|r| r.strip_suffix('"'))
                .unwrap_or(row)
                .trim_end()
                .to_string()
        })
        .collect()
}

/// Where the README's fenced screen is: the byte range of its lines (inside the fence).
fn fenced_screen(readme: &str) -> std::ops::Range<usize> {
    let after = readme
        .find(HEADING)
        .unwrap_or_else(|| panic!("README.md has no `{HEADING}` section"));
    let open = readme[after..]
        .find("```text\n")
        .map(|at| after + at + "```text\n".len())
        .expect("a ```text block under the heading");
    let close = readme[open..]
        .find("```\n")
        .map(|at| open + at)
        .expect("the block is closed");
    open..close
}

#[test]
fn the_readme_shows_the_screen_the_wizard_draws() {
    let readme = std::fs::read_to_string(README).unwrap();
    let range = fenced_screen(&readme);
    let drawn = the_screen();
    assert_eq!(drawn.len(), 24, "80×24");
    let mut block = drawn.join("\n");
    block.push('\n');
    if std::env::var_os(REFRESH).is_some() {
        let mut refreshed = readme.clone();
        refreshed.replace_range(range, &block);
        std::fs::write(README, refreshed).unwrap();
        return;
    }
    let shown: Vec<&str> = readme[range].lines().map(str::trim_end).collect();
    let drawn: Vec<&str> = drawn.iter().map(String::as_str).collect();
    assert!(
        shown == drawn,
        "README.md's screen under `{HEADING}` is not what the wizard draws now.\n\
         Refresh it with `{REFRESH}=1 cargo test --test readme_screen`, then read the diff \
         (git diff README.md) and make the words around it still true.\n\
         README:\n{}\n\ndrawn:\n{}",
        shown.join("\n"),
        drawn.join("\n")
    );
}

#[test]
fn the_block_is_found_where_the_readme_keeps_it() {
    let text = format!("intro\n{HEADING}\n\nwords\n\n```text\nrow one\nrow two\n```\n\nmore\n");
    let range = fenced_screen(&text);
    assert_eq!(&text[range], "row one\nrow two\n");
}
