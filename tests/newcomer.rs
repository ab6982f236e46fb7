//! A newcomer's second pass (issue #26), one test per thing that tripped them: the real binary
//! in an 80×24 pseudo-terminal, driven with the keys a person presses.

use std::path::Path;

const KEY: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const TAB: &str = "\t";
const ESC: &str = "\x1b";
const ALT_NEXT: &str = "\x1b]";
const CTRL_PAGE_UP: &str = "\x1b[5;5~";
const BACK_TAB: &str = "\x1b[Z";
const CTRL_PAGE_DOWN: &str = "\x1b[6;5~";
const PAGE_DOWN: &str = "\x1b[6~";
const PAGE_UP: &str = "\x1b[5~";
const F1: &str = "\x1bOP";
const F2: &str = "\x1bOQ";
const F3: &str = "\x1bOR";
const CTRL_Q: &str = "\x11";

#[path = "support/screen.rs"]
mod screen;

use screen::Screen as Wizard;

/// How these tests start the wizard and leave it.
trait Newcomer {
    fn newcomer(state_dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Wizard;
    /// Ctrl-Q, then the screen the wizard left (its exit code must be 0).
    fn quit(&mut self) -> String;
    /// Waits for words that may wrap across rows of the content (right of the step list) or
    /// of the status line.
    fn wait_for_reading(&self, text: &str);
}

impl Newcomer for Wizard {
    fn newcomer(state_dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Wizard {
        Wizard::start_with(
            Path::new(env!("CARGO_BIN_EXE_ekm-wizard")),
            state_dir,
            args,
            env,
        )
    }

    fn wait_for_reading(&self, text: &str) {
        let wanted = words(text);
        self.wait_until(&format!("`{text}`"), |screen| {
            words(&content_of(screen)).contains(&wanted)
        });
    }

    fn quit(&mut self) -> String {
        self.send(CTRL_Q);
        assert_eq!(self.exit_code(), 0);
        self.contents()
    }
}

fn words(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Each row right of the step list's border (a row without one, whole), without the scrollbar.
fn content_of(screen: &str) -> String {
    screen
        .lines()
        .map(|line| {
            let content = line.split_once(['│', '|']).map_or(line, |(_, rest)| rest);
            content.trim_end_matches(['║', '█', '↓', '↑', '#', '^', 'v', '|', ' '])
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The value line under a field's label, as drawn.
fn value_under(screen: &str, label: &str) -> String {
    let lines: Vec<&str> = screen.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.contains(label))
        .unwrap_or_else(|| panic!("no `{label}` on screen:\n{screen}"));
    let line = lines[at + 1];
    line.split(['│', '|'])
        .nth(1)
        .unwrap_or(line)
        .trim_end_matches(['║', '█', '↓', '↑', '#', '^', 'v', ' '])
        .trim()
        .to_string()
}

fn aws(state: &Path) -> Wizard {
    let wizard = Wizard::newcomer(state, &["--cloud", "aws", "--org-id", "org-abc123"], &[]);
    wizard.wait_for("1. Create a symmetric KMS key");
    wizard
}

#[test]
fn item_1_reading_ahead_works_from_a_field_and_the_footer_says_so() {
    let state = tempfile::tempdir().unwrap();
    let mut wizard = aws(state.path());
    // The key ARN field has the focus: `]` would be typed into it.
    let footer = wizard.rows().last().cloned().unwrap();
    assert!(footer.contains("Alt-] read ahead"), "{footer}");
    wizard.press(ALT_NEXT);
    wizard.wait_for("2. Create an IAM policy limited to this key");
    wizard.press(CTRL_PAGE_DOWN);
    wizard.wait_for("3. Create the role OpenAI assumes");
    wizard.press(CTRL_PAGE_UP);
    wizard.press(CTRL_PAGE_UP);
    wizard.wait_for("1. Create a symmetric KMS key");
    let screen = wizard.contents();
    assert!(
        value_under(&screen, "KMS key ARN").starts_with("e.g."),
        "nothing was typed into the field:\n{screen}"
    );
    wizard.quit();
}

#[test]
fn item_2_editing_keys_mean_one_thing_in_every_field_and_the_help_lists_them() {
    let state = tempfile::tempdir().unwrap();
    let mut wizard = aws(state.path());
    wizard.press("arn:aws:kms:us-east-1:111122223333:key/abc def");
    wizard.wait_for("key/abc def");
    wizard.press("\x17"); // Ctrl-W: the word before the cursor
    wizard.wait_until("a word deleted", |s| {
        value_under(s, "KMS key ARN") == "arn:aws:kms:us-east-1:111122223333:key/abc"
    });
    wizard.press("\x1a"); // Ctrl-Z: undo
    wizard.wait_for("key/abc def");
    wizard.press("\x01X"); // Ctrl-A, then a letter at the start
    wizard.wait_for("Xarn:aws:kms");
    wizard.press("\x05Y"); // Ctrl-E, then a letter at the end
    wizard.wait_for("key/abc defY");
    wizard.press("\x15"); // Ctrl-U clears, here as in the admin key
    wizard.wait_until("the field cleared", |s| {
        value_under(s, "KMS key ARN").starts_with("e.g.")
    });
    wizard.press(F1);
    wizard.wait_for("Keys ·");
    wizard.wait_for_reading("Ctrl-U in a field: clear it");
    wizard.wait_for_reading("Ctrl-W / Alt-Bksp in a field: delete the word");
    wizard.wait_for_reading("Home / Ctrl-A in a field: to its start");
    wizard.wait_for_reading("End / Ctrl-E in a field: to its end");
    wizard.wait_for_reading("Ctrl-Z / Ctrl-R in a field: undo / redo");
    wizard.press(ESC);
    wizard.quit();
}

#[test]
fn item_3_a_long_value_away_from_the_focus_shows_its_start_and_marks_the_rest() {
    let state = tempfile::tempdir().unwrap();
    let mut wizard = aws(state.path());
    let long = format!("{KEY}-and-more");
    wizard.press(&long);
    // While typing at its end, `…` marks the start out of sight.
    wizard.wait_until("the hidden start marked", |s| {
        value_under(s, "KMS key ARN").starts_with('…')
    });
    wizard.press(TAB);
    wizard.wait_until("the value shown from its start", |s| {
        let value = value_under(s, "KMS key ARN");
        value.starts_with("arn:aws:kms:us-east-1:") && value.ends_with('…')
    });
    let shown = value_under(&wizard.contents(), "KMS key ARN");
    assert!(
        long.starts_with(shown.trim_end_matches('…')),
        "the start, as typed: {shown}"
    );
    wizard.quit();
}

#[test]
fn item_4_the_explain_screen_offers_only_keys_that_work_there() {
    let state = tempfile::tempdir().unwrap();
    let mut wizard = aws(state.path());
    wizard.press(F2);
    wizard.wait_for("Explain an error");
    wizard.press("some words no entry knows");
    wizard.wait_for_reading("Esc, then e exports a support bundle");
    let footer = wizard.rows().last().cloned().unwrap();
    assert!(footer.contains("Esc back"), "{footer}");
    assert!(
        !footer.contains("^G"),
        "nothing to go to, so Ctrl-G is not offered: {footer}"
    );
    wizard.press("\x15"); // Ctrl-U clears the text here too
    wizard.press("User is not authorized: explicit deny");
    wizard.wait_for("An explicit deny blocks the call");
    let footer = wizard.rows().last().cloned().unwrap();
    assert!(footer.contains("^G go to the step"), "{footer}");
    wizard.quit();
}

#[test]
fn item_5_console_links_are_hyperlinks_and_alt_l_copies_the_whole_link() {
    let state = tempfile::tempdir().unwrap();
    let mut wizard = aws(state.path());
    wizard.wait_for("Console (Alt-L copies):");
    let url = "https://console.aws.amazon.com/kms/home#/kms/keys";
    wizard.wait_until("the link written as OSC 8", |_| {
        wizard
            .raw()
            .contains(&format!("\x1b]8;id=ekm-console;{url}\x1b\\"))
    });
    assert!(
        wizard.raw().contains("\x1b]8;;\x1b\\"),
        "the link is closed"
    );
    // In a field: Alt-L copies (an `l` would be typed).
    wizard.press("\x1bl");
    wizard.wait_for_reading("console link of step 1");
    let written = std::fs::read_to_string(
        state
            .path()
            .join("exports")
            .join("aws-step-1-console-link.txt"),
    )
    .unwrap();
    assert_eq!(written.trim_end(), url);
    wizard.quit();

    // No hyperlinks where the terminal would print them.
    let state = tempfile::tempdir().unwrap();
    let mut linux = Wizard::newcomer(
        state.path(),
        &["--cloud", "aws", "--org-id", "org-abc123"],
        &[("TERM", "linux")],
    );
    linux.wait_for("1. Create a symmetric KMS key");
    linux.quit();
    assert!(!linux.raw().contains("\x1b]8;"), "no OSC 8 on the console");
}

#[test]
fn item_6_v_shows_a_blocks_exact_text_unframed_and_esc_comes_back() {
    let state = tempfile::tempdir().unwrap();
    let mut wizard = aws(state.path());
    wizard.press(KEY);
    wizard.press(PAGE_DOWN);
    wizard.wait_for("2. Create an IAM policy limited to this key");
    // The policy name field, then the policy.
    wizard.press(TAB);
    wizard.wait_for("▸ IAM policy (JSON)");
    wizard.press("v");
    wizard.wait_for("the exact text, for copying with the mouse");
    let screen = wizard.contents();
    // The ARN's line is longer than the screen: the terminal wraps it, so it reads whole.
    let resource = format!("\"Resource\": \"{KEY}\"");
    assert!(
        screen.contains(&resource),
        "the line whole, unframed:\n{screen}"
    );
    assert!(!screen.contains("│ "), "no frame:\n{screen}");
    wizard.press(ESC);
    wizard.wait_for("Step 2 of 5");
    wizard.wait_for("▸ IAM policy (JSON)");
    wizard.quit();
}

#[test]
fn item_7_cut_text_ends_at_a_word_with_an_ellipsis_and_the_help_keeps_it_whole() {
    let state = tempfile::tempdir().unwrap();
    // A state folder so deep that the path written makes a status longer than three rows.
    let deep = state
        .path()
        .join("a-folder-with-a-rather-long-name".repeat(3))
        .join("and-another-one-below-it-that-is-long-too".repeat(3));
    std::fs::create_dir_all(&deep).unwrap();
    let mut wizard = Wizard::newcomer(&deep, &["--cloud", "aws", "--org-id", "org-abc123"], &[]);
    wizard.wait_for("1. Create a symmetric KMS key");
    wizard.press(KEY);
    // Step 4's last block has a hint longer than the screen is wide.
    for _ in 0..3 {
        wizard.press(ALT_NEXT);
    }
    wizard.wait_for("4. Additional restrictions");
    wizard.press("\x1b[F"); // End: the last block has the focus, its hint whole
    wizard.wait_for("└ Careful:");
    wizard.wait_for("locks them out of the key.");
    wizard.press(BACK_TAB);
    wizard.wait_until("the hint shortened", |s| {
        !s.contains("locks them out of the key.")
    });
    let hint = wizard
        .rows()
        .into_iter()
        .find(|r| r.contains("└ Careful:"))
        .unwrap();
    let words = hint
        .split("└ ")
        .nth(1)
        .unwrap()
        .trim_end_matches(['─', ' ', '║', '█', '↓'])
        .to_string();
    assert!(words.ends_with('…'), "{hint}");
    let full = "Careful: it replaces the whole policy; a policy without your admins locks them out of the key.";
    let kept = words.trim_end_matches('…');
    assert!(
        full.starts_with(kept) && full[kept.len()..].starts_with(' '),
        "cut at a word: {hint}"
    );
    // The status: a long message cut at a word, whole in the help.
    wizard.press("w");
    wizard.wait_for_reading("Wrote");
    let status: Vec<String> = wizard.rows()[20..23].to_vec();
    let last = status
        .iter()
        .rev()
        .find(|r| !r.trim().is_empty())
        .unwrap()
        .trim_end()
        .to_string();
    assert!(
        last.ends_with('…'),
        "the status is cut and marked: {status:?}"
    );
    wizard.press(F1);
    wizard.wait_for("Keys ·");
    for _ in 0..6 {
        wizard.press(PAGE_DOWN);
    }
    wizard.wait_for("Messages");
    // The path whole, its file name too: nothing cut.
    wizard.wait_for("exports/aws-read-key-policy-command.txt");
    wizard.press(ESC);
    wizard.quit();
}

#[test]
fn item_8_the_quit_summary_says_where_the_setup_stands_and_how_to_go_on() {
    let state = tempfile::tempdir().unwrap();
    let mut wizard = Wizard::newcomer(
        state.path(),
        &[
            "--cloud",
            "aws",
            "--org-id",
            "org-abc123",
            "--api-base",
            "http://127.0.0.1:9/v1",
        ],
        &[],
    );
    wizard.wait_for("1. Create a symmetric KMS key");
    wizard.press(KEY);
    wizard.press(PAGE_DOWN);
    wizard.wait_for("2. Create an IAM policy");
    // To the start screen and back out: the steps recorded are still said.
    wizard.press(PAGE_UP);
    wizard.press(PAGE_UP);
    wizard.wait_for("OpenAI organization id");
    let screen = wizard.quit();
    let words = screen.split_whitespace().collect::<Vec<_>>().join(" ");
    for said in [
        "on the start screen.",
        "Steps done: 2 of 5.",
        "Not registered with OpenAI yet",
        "Live checks: none ran in this run",
        "To go on: ekm-wizard --api-base http://127.0.0.1:9/v1",
    ] {
        assert!(words.contains(said), "`{said}` in:\n{screen}");
    }
    for row in screen.lines() {
        assert!(row.chars().count() <= 80, "wrapped at the width: {row}");
    }

    // ASCII where the terminal shows only that.
    let state = tempfile::tempdir().unwrap();
    let mut ascii = Wizard::newcomer(
        state.path(),
        &["--cloud", "aws", "--org-id", "org-abc123"],
        &[("TERM", "vt100"), ("LANG", "C")],
    );
    ascii.wait_for("1. Create a symmetric KMS key");
    let screen = ascii.quit();
    assert!(screen.contains("Steps done: 0 of 5."), "{screen}");
    assert!(screen.is_ascii(), "ASCII only:\n{screen}");
}

#[test]
fn item_9_ascii_marks_differ_placeholders_look_like_examples_and_the_console_gets_basic_sgr() {
    let state = tempfile::tempdir().unwrap();
    let mut wizard = Wizard::newcomer(
        state.path(),
        &["--cloud", "aws", "--org-id", "org-abc123"],
        &[("TERM", "vt100"), ("LANG", "C")],
    );
    wizard.wait_for("1. Create a symmetric KMS key");
    let screen = wizard.contents();
    assert!(screen.is_ascii(), "{screen}");
    // The start screen is done: its mark is not the scrollbar's `v`.
    assert!(screen.contains(" * S"), "done mark:\n{screen}");
    assert!(!screen.contains(" v S"), "{screen}");
    assert!(
        value_under(&screen, "KMS key ARN").starts_with("e.g. arn:aws:kms:"),
        "a placeholder reads as an example:\n{screen}"
    );
    // Unfocused, a block has a corner; focused, a marker (more than bold, which ASCII
    // terminals may not show).
    wizard.wait_for("+ AWS CLI: create the key -");
    wizard.press(TAB);
    wizard.wait_for("> AWS CLI: create the key -");
    assert!(!wizard.contents().contains("+ AWS CLI: create the key -"));
    wizard.quit();

    let state = tempfile::tempdir().unwrap();
    let mut linux = Wizard::newcomer(
        state.path(),
        &["--cloud", "aws", "--org-id", "org-abc123"],
        &[("TERM", "linux")],
    );
    linux.wait_for("1. Create a symmetric KMS key");
    linux.quit();
    let raw = linux.raw();
    assert!(!raw.contains("38;5;"), "no 256-colour foreground");
    assert!(!raw.contains("48;5;"), "no 256-colour background");
    assert!(raw.contains("\x1b[37;44m"), "the bars in the basic colours");
}

#[test]
fn item_10_keys_that_did_nothing_now_do_or_are_said() {
    let state = tempfile::tempdir().unwrap();
    let mut wizard = Wizard::newcomer(
        state.path(),
        &["--cloud", "aws", "--org-id", "org-abc123"],
        &[("EKM_WIZARD_CLIPBOARD", "bogus")],
    );
    wizard.wait_for("1. Create a symmetric KMS key");
    wizard.wait_for_reading(
        "EKM_WIZARD_CLIPBOARD=bogus is not a way of copying: it takes system, osc52 or file",
    );
    // The help lists the plan's y and u; PgDn turns a page.
    wizard.press(TAB);
    wizard.press("?");
    wizard.wait_for("Keys ·");
    // A row well below five from the top is gone after one PgDn: a page, not five rows.
    let row_of = |rows: &[String], text: &str| rows.iter().position(|r| r.contains(text));
    let before = row_of(&wizard.rows(), "Tab / Shift-Tab").expect("in view first");
    let top = row_of(&wizard.rows(), "Keys ·").unwrap();
    assert!(before > top + 7, "the row is more than five below the top");
    wizard.press(PAGE_DOWN);
    wizard.wait_until("a page turned", |s| !s.contains("Tab / Shift-Tab"));
    for _ in 0..3 {
        if wizard.contents().contains("y / u") {
            break;
        }
        wizard.press(PAGE_DOWN);
    }
    wizard.wait_for_reading("y / u in \"do it for me\": y carries the plan out");
    for _ in 0..4 {
        wizard.press(PAGE_UP);
    }
    wizard.wait_for("Tab / Shift-Tab");
    assert_eq!(row_of(&wizard.rows(), "Tab / Shift-Tab"), Some(before));
    wizard.press(ESC);
    // A message about one view goes when another opens.
    wizard.press("5");
    wizard.wait_for_reading("This block is one value: c copies it.");
    wizard.press(F3);
    wizard.wait_for("As code");
    let words = wizard
        .contents()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(!words.contains("This block is one value"), "{words}");
    wizard.press(ESC);
    // Step 4 opens with what it asks to copy in view.
    for _ in 0..3 {
        wizard.press(ALT_NEXT);
    }
    wizard.wait_for("4. Additional restrictions");
    wizard.wait_for("Key policy statement");
    wizard.quit();

    // The ChatGPT path: no API project as audience, no drill promised.
    let state = tempfile::tempdir().unwrap();
    let mut chatgpt = Wizard::newcomer(
        state.path(),
        &[
            "--cloud",
            "gcp",
            "--path",
            "chatgpt",
            "--org-id",
            "org-abc123",
        ],
        &[],
    );
    chatgpt.wait_for("1. Trust OpenAI's identity token");
    chatgpt.wait_for_reading("your organization id as audience");
    assert!(!chatgpt.contents().contains("API project id"));
    for _ in 0..3 {
        chatgpt.press(TAB);
    }
    chatgpt.press("d");
    chatgpt.wait_for_reading("No drill on the ChatGPT path");
    // Step 3's examples are marked as examples and agree with what an error gives.
    chatgpt.press(ALT_NEXT);
    chatgpt.press(ALT_NEXT);
    chatgpt.wait_for("3. Create a key ring and a symmetric key");
    chatgpt.wait_for("e.g. openai-kms-key-ring");
    chatgpt.press(TAB);
    chatgpt.press("bad ring!");
    chatgpt.wait_for_reading("e.g. openai-kms-key-ring");
    chatgpt.quit();
}
