//! A made-up fourth cloud, "Tundra Vault" (tests/support/tundra.rs), driven through the
//! wizard's update and the one check runner end to end, and, added to the registry by the
//! `tundra` example, through the real command line: the start screen, `render`, `check`,
//! saving, resuming and `explain`. A cloud is a kit and nothing else: no generic code knows
//! it exists.

use std::sync::Mutex;
use std::time::Duration;

use ekm_wizard::app::model::{Focusable, Model, Screen, StartOptions, StatusKind};
use ekm_wizard::app::{Effect, Msg, Preset, update};
use ekm_wizard::checks::{CheckOptions, CheckResult, CheckStatus, Verdict};
use ekm_wizard::guide::{ArtifactId, SetupPath};
use ratatui_textarea::{Input, Key};
use std::net::TcpListener;

#[path = "support/tundra.rs"]
mod tundra;
use tundra::*;

fn type_text(model: &mut Model, text: &str) {
    for c in text.chars() {
        update(
            model,
            Msg::EditField(Input {
                key: Key::Char(c),
                ..Default::default()
            }),
        );
    }
}

fn focus(model: &mut Model, item: Focusable) {
    for _ in 0..20 {
        if model.focused() == Some(item) {
            return;
        }
        update(model, Msg::FocusNext);
    }
    panic!("{item:?} never took focus");
}

/// The wizard on Tundra's first step, as `--cloud tundra --org-id …` would start it.
fn on_tundra() -> Model {
    let model = Model::new(StartOptions {
        args: Preset {
            cloud: Some(tundra()),
            org_id: Some("org-abc123".into()),
            ..Default::default()
        },
        width: 80,
        height: 24,
        ..Default::default()
    });
    assert_eq!(model.screen, Screen::Step(0), "{:?}", model.status);
    model
}

/// `k` in the wizard, the run performed as the runtime performs it, every result fed back.
fn check(model: &mut Model) -> Vec<CheckResult> {
    let effects = update(model, Msg::RunChecks);
    let [
        Effect::RunChecks {
            generation,
            cloud,
            inputs,
            target,
        },
    ] = &effects[..]
    else {
        panic!("{effects:?}: {:?}", model.status)
    };
    assert_eq!(*cloud, tundra());
    let reported = Mutex::new(Vec::new());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let options = CheckOptions {
        timeout: Duration::from_secs(5),
        profile: None,
    };
    let outcome = runtime.block_on(ekm_wizard::checks::run(
        *cloud,
        inputs,
        target.0.as_ref(),
        &options,
        &|result| reported.lock().unwrap().push(result.clone()),
    ));
    let results = outcome.expect("the stand-in needs no credentials");
    for result in reported.into_inner().unwrap() {
        update(
            model,
            Msg::CheckReported {
                generation: *generation,
                result,
            },
        );
    }
    update(
        model,
        Msg::ChecksFinished {
            generation: *generation,
            outcome: Ok(()),
        },
    );
    results
}

fn record_key(model: &mut Model, url: &str) {
    focus(model, Focusable::Field(KEY_URL));
    type_text(model, url);
}

#[test]
fn a_fourth_cloud_is_walked_checked_and_verified_through_its_kit_alone() {
    let base = stand_in();
    let mut model = on_tundra();
    assert_eq!(model.guide().steps.len(), 2);
    // Its one field waits for a value: the checks cannot start without it.
    assert!(update(&mut model, Msg::RunChecks).is_empty());
    let said = &model.status.as_ref().unwrap().text;
    assert!(said.contains("Key address"), "named by its label: {said}");
    record_key(&mut model, &format!("{base}/keys/on"));
    let results = check(&mut model);
    assert_eq!(
        results.iter().map(|r| (r.id, r.status)).collect::<Vec<_>>(),
        [
            (KEY_FOUND, CheckStatus::Pass),
            (KEY_USABLE, CheckStatus::Pass)
        ]
    );
    assert_eq!(Verdict::of(&results), Verdict::Verified);
    assert_eq!(
        model.checks.results, results,
        "the screen holds every result"
    );
    let status = model.status.clone().unwrap();
    assert_eq!(status.kind, StatusKind::Success, "{}", status.text);
    assert!(status.text.starts_with("Verified"), "{}", status.text);
    // On to the second step, whose registration body the kit hands over.
    update(&mut model, Msg::NextStep);
    assert_eq!(model.screen, Screen::Step(1), "{:?}", model.status);
    let body = ekm_wizard::artifacts::generate(
        tundra(),
        ArtifactId::REGISTRATION_BODY,
        &model.inputs(),
        SetupPath::Api,
    )
    .unwrap();
    assert!(
        body.to_text().contains("\"type\": \"tundra\""),
        "{}",
        body.to_text()
    );
    assert!(
        body.to_text().contains("Tundra EKM key"),
        "the kit's default name"
    );
}

#[test]
fn a_failed_check_skips_what_needs_it_and_f_goes_to_the_step_that_fixes_it() {
    let base = stand_in();
    let mut model = on_tundra();
    record_key(&mut model, &format!("{base}/keys/missing"));
    update(&mut model, Msg::NextStep);
    assert_eq!(model.screen, Screen::Step(1));
    let results = check(&mut model);
    assert_eq!(results[0].status, CheckStatus::Fail);
    assert_eq!(results[1].status, CheckStatus::Skip);
    assert_eq!(results[1].detail, "needs the key, which failed");
    assert_eq!(Verdict::of(&results), Verdict::Failed);
    update(&mut model, Msg::GoToStepToFix);
    assert_eq!(model.screen, Screen::Step(0), "the failed check's fix step");
    // A disabled key: found, but not usable.
    let mut model = on_tundra();
    record_key(&mut model, &format!("{base}/keys/off"));
    let results = check(&mut model);
    assert_eq!(
        results.iter().map(|r| r.status).collect::<Vec<_>>(),
        [CheckStatus::Pass, CheckStatus::Fail]
    );
}

#[test]
fn a_cloud_that_does_not_answer_is_not_verified() {
    // A port nothing listens on: bound, then closed.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut model = on_tundra();
    record_key(&mut model, &format!("http://127.0.0.1:{port}/keys/on"));
    let results = check(&mut model);
    assert_eq!(
        results.iter().map(|r| r.status).collect::<Vec<_>>(),
        [CheckStatus::Unverified, CheckStatus::Unverified]
    );
    assert_eq!(Verdict::of(&results), Verdict::NotVerified);
    let status = model.status.clone().unwrap();
    assert_ne!(status.kind, StatusKind::Success, "{}", status.text);
}

#[test]
fn a_kit_that_makes_nothing_and_offers_no_code_says_to_follow_the_steps() {
    let mut model = on_tundra();
    assert!(update(&mut model, Msg::OpenApply).is_empty());
    let status = model.status.clone().unwrap();
    assert_eq!(status.kind, StatusKind::Info);
    assert_eq!(
        status.text,
        "The wizard does not make Tundra Vault's resources itself yet: follow the steps."
    );
}

#[path = "support/screen.rs"]
mod screen;

/// The `tundra` example: the real command line with Tundra added to its registry. `cargo test`
/// builds it with the tests (examples are built with them).
fn tundra_program() -> std::path::PathBuf {
    let deps = std::env::current_exe().unwrap();
    let program = deps
        .parent()
        .and_then(|d| d.parent())
        .map(|d| {
            d.join("examples")
                .join(format!("tundra{}", std::env::consts::EXE_SUFFIX))
        })
        .unwrap();
    assert!(
        program.exists(),
        "{} is missing: `cargo test` builds it (or `cargo build --example tundra`)",
        program.display()
    );
    program
}

fn run_tundra(args: &[&str], state_dir: &std::path::Path) -> (i32, String, String) {
    let out = std::process::Command::new(tundra_program())
        .args(args)
        .env("EKM_WIZARD_STATE_DIR", state_dir)
        .env_remove("OPENAI_ADMIN_KEY")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_headless_commands_render_check_and_explain_an_added_cloud() {
    let state = tempfile::tempdir().unwrap();
    let base = stand_in();
    let on = format!("{base}/keys/on");
    let (code, out, err) = run_tundra(
        &[
            "render",
            "tundra",
            "--org-id",
            "org-abc123",
            "--key-url",
            &on,
            "--name",
            "Tundra key",
        ],
        state.path(),
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("tundra keys make --usage encrypt,decrypt"),
        "{out}"
    );

    let (code, out, err) = run_tundra(
        &[
            "check",
            "tundra",
            "--org-id",
            "org-abc123",
            "--key-url",
            &on,
            "--json",
        ],
        state.path(),
    );
    assert_eq!(code, 0, "verified: {out}{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["verdict"], "verified", "{report}");

    let off = format!("{base}/keys/off");
    let (code, out, _) = run_tundra(
        &[
            "check",
            "tundra",
            "--org-id",
            "org-abc123",
            "--key-url",
            &off,
            "--json",
        ],
        state.path(),
    );
    assert_eq!(code, 1, "a disabled key fails: {out}");
    assert!(out.contains("key-usable"), "{out}");

    let (code, out, err) = run_tundra(
        &["explain", &format!("tundra: key {off} is frozen")],
        state.path(),
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("The Tundra key is frozen"), "{out}");
    assert!(
        out.contains("Make a key in Tundra Vault"),
        "the step to revisit: {out}"
    );
}

#[test]
fn the_wizard_offers_saves_and_resumes_an_added_cloud() {
    let state = tempfile::tempdir().unwrap();
    let program = tundra_program();
    // The start screen offers it after the built-in clouds.
    let mut start = screen::Screen::start(&program, state.path(), &["--fresh"]);
    start.wait_for("to change.");
    for _ in 0..3 {
        start.press("\x1b[C");
    }
    start.wait_for("◀ Tundra Vault ▶");
    start.press("\x11");
    assert_eq!(start.exit_code(), 0);

    // Its first step, a value typed, saved on quitting.
    let mut wizard = screen::Screen::start(
        &program,
        state.path(),
        &["--fresh", "--cloud", "tundra", "--org-id", "org-abc123"],
    );
    wizard.wait_for("Make a key in Tundra Vault");
    wizard.press("http://127.0.0.1:9/keys/on");
    wizard.press("\x11");
    assert_eq!(wizard.exit_code(), 0);

    // Resumed from what was saved, the value still there.
    let mut again = screen::Screen::start(&program, state.path(), &[]);
    again.wait_for("Tundra Vault");
    again.press("\r");
    again.wait_for("Make a key in Tundra Vault");
    again.wait_for("127.0.0.1:9/keys/on");
    again.press("\x11");
    assert_eq!(again.exit_code(), 0);
}

#[test]
fn a_check_the_chatgpt_path_leaves_out_does_not_apply_and_the_run_is_verified() {
    let base = stand_in();
    let mut model = on_tundra();
    model.path = SetupPath::ChatGpt;
    record_key(&mut model, &format!("{base}/keys/on"));
    let results = check(&mut model);
    let usable = results.iter().find(|r| r.id == KEY_USABLE).unwrap();
    assert_eq!(usable.status, CheckStatus::DoesNotApply, "{usable:?}");
    assert!(usable.detail.contains("ChatGPT path"), "{usable:?}");
    assert_eq!(Verdict::of(&results), Verdict::Verified);
}
