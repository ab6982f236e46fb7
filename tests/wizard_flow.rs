//! The wizard's state machine, driven message by message with no terminal and no I/O.

use ekm_wizard::app::Preset;
use ekm_wizard::app::model::{
    Focusable, Model, Saving, Screen, StartOptions, StatusKind, StepState,
};
use ekm_wizard::app::{Effect, Msg, update};
use ekm_wizard::clipboard::CopyRoute;
use ekm_wizard::clouds::{aws, azure, gcp};
use ekm_wizard::guide::{ArtifactId, FieldId, Inputs, SetupPath};
use ekm_wizard::session::{Loaded, SESSION_FORMAT, Session};
use ratatui_textarea::{Input, Key};

const KEY: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const ROLE: &str = "arn:aws:iam::111122223333:role/openai-ekm";

fn wizard() -> Model {
    Model::new(StartOptions {
        width: 80,
        height: 24,
        ..Default::default()
    })
}

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

/// From the start screen to step 1 with an organization id typed.
fn begun() -> Model {
    let mut model = wizard();
    focus(&mut model, Focusable::Field(FieldId::ORG_ID));
    type_text(&mut model, "org-abc123");
    update(&mut model, Msg::NextStep);
    assert_eq!(model.screen, Screen::Step(0));
    model
}

#[test]
fn the_start_screen_refuses_a_missing_org_id_and_focuses_it() {
    let mut model = wizard();
    assert_eq!(model.screen, Screen::Start);
    assert_eq!(
        model.focused(),
        Some(Focusable::Choice(ekm_wizard::app::model::Choice::Cloud))
    );
    let effects = update(&mut model, Msg::NextStep);
    assert!(effects.is_empty());
    assert_eq!(model.screen, Screen::Start);
    let status = model.status.clone().unwrap();
    assert_eq!(status.kind, StatusKind::Error);
    assert!(
        status.text.contains("fix OpenAI organization id"),
        "{}",
        status.text
    );
    assert_eq!(model.focused(), Some(Focusable::Field(FieldId::ORG_ID)));
}

#[test]
fn typing_a_valid_org_id_then_next_reaches_step_one_and_saves() {
    let mut model = wizard();
    focus(&mut model, Focusable::Field(FieldId::ORG_ID));
    type_text(&mut model, "org-abc123");
    let effects = update(&mut model, Msg::NextStep);
    assert_eq!(model.screen, Screen::Step(0));
    assert!(matches!(&effects[..], [Effect::SaveProgress(s)] if s.step == 1));
}

#[test]
fn choosing_gcp_asks_for_the_audience_and_azure_for_nothing_more() {
    let mut model = wizard();
    update(&mut model, Msg::ChooseNext);
    assert_eq!(model.cloud, gcp::cloud());
    assert!(
        model
            .focusables()
            .contains(&Focusable::Field(gcp::AUDIENCE))
    );
    update(&mut model, Msg::ChooseNext);
    assert_eq!(model.cloud, azure::cloud());
    assert!(
        !model
            .focusables()
            .contains(&Focusable::Field(gcp::AUDIENCE))
    );
    assert!(
        !model
            .focusables()
            .contains(&Focusable::Field(aws::EXTERNAL_ID))
    );
    focus(&mut model, Focusable::Field(FieldId::ORG_ID));
    type_text(&mut model, "org-abc123");
    update(&mut model, Msg::NextStep);
    assert_eq!(model.screen, Screen::Step(0));
    assert_eq!(model.focused(), Some(Focusable::Field(azure::TENANT_ID)));
}

#[test]
fn walking_every_gcp_step_in_order() {
    let mut model = wizard();
    update(&mut model, Msg::ChooseNext);
    focus(&mut model, Focusable::Field(FieldId::ORG_ID));
    type_text(&mut model, "org-abc123");
    update(&mut model, Msg::NextStep);
    let steps: [&[&str]; 5] = [
        &["123456789012", "openai-ekm", "openai-ekm-provider"],
        &["adjective-noun-12345"],
        &["us-east1", "openai-kms-key-ring", "openai-kms-key"],
        &[],
        &[],
    ];
    for (index, values) in steps.iter().enumerate() {
        assert_eq!(model.screen, Screen::Step(index));
        for value in *values {
            type_text(&mut model, value);
            update(&mut model, Msg::FocusNext);
        }
        update(&mut model, Msg::NextStep);
    }
    assert_eq!(model.screen, Screen::Step(5));
    update(&mut model, Msg::NextStep);
    assert_eq!(model.screen, Screen::Step(6));
    focus(&mut model, Focusable::Block(ArtifactId::REGISTRATION_BODY));
    let effects = update(&mut model, Msg::CopyFocusedBlock);
    let [
        Effect::CopyToClipboard {
            text, file_name, ..
        },
    ] = &effects[..]
    else {
        panic!("{effects:?}")
    };
    assert_eq!(file_name, "gcp-registration-body.json");
    let body: serde_json::Value = serde_json::from_str(text).unwrap();
    assert_eq!(body["kms_key_location"], "us-east1");
    assert_eq!(body["audience"], "org-abc123");
}

#[test]
fn an_azure_key_name_with_another_orgs_prefix_is_caught_as_typed() {
    let mut model = wizard();
    update(&mut model, Msg::ChoosePrevious);
    assert_eq!(model.cloud, azure::cloud());
    focus(&mut model, Focusable::Field(FieldId::ORG_ID));
    type_text(&mut model, "org-abc123");
    update(&mut model, Msg::NextStep);
    type_text(&mut model, "72f988bf-86f1-41af-91ab-2d7cd011db47");
    update(&mut model, Msg::NextStep);
    type_text(&mut model, "0b1f6471-1bf0-4dda-aec3-cb9272f09590");
    update(&mut model, Msg::NextStep);
    assert_eq!(model.screen, Screen::Step(2));
    type_text(&mut model, "contoso-ekm");
    update(&mut model, Msg::FocusNext);
    type_text(&mut model, "rg-ekm");
    update(&mut model, Msg::FocusNext);
    type_text(&mut model, "org-xyz--openai");
    assert_eq!(model.step_state(2), StepState::Invalid);
    update(&mut model, Msg::NextStep);
    assert_eq!(model.screen, Screen::Step(2));
    assert!(model.status.as_ref().unwrap().text.contains("fix Key name"));
}

#[test]
fn the_chatgpt_path_does_not_ask_for_an_external_id() {
    let mut model = wizard();
    update(&mut model, Msg::FocusNext);
    update(&mut model, Msg::ChooseNext);
    assert_eq!(model.path, SetupPath::ChatGpt);
    assert!(
        !model
            .focusables()
            .contains(&Focusable::Field(aws::EXTERNAL_ID))
    );
}

#[test]
fn a_step_with_an_invalid_field_refuses_next_but_always_allows_back() {
    let mut model = begun();
    type_text(&mut model, "arn:aws:kms:us-east-1:1111:key/x");
    update(&mut model, Msg::NextStep);
    assert_eq!(model.screen, Screen::Step(0));
    assert!(
        model
            .status
            .as_ref()
            .unwrap()
            .text
            .contains("fix KMS key ARN")
    );
    assert_eq!(model.step_state(0), StepState::Invalid);
    update(&mut model, Msg::PreviousStep);
    assert_eq!(model.screen, Screen::Start);
    // What was typed is still there.
    update(&mut model, Msg::NextStep);
    assert_eq!(
        model.field_text(aws::KMS_ARN),
        "arn:aws:kms:us-east-1:1111:key/x"
    );
}

#[test]
fn walking_every_aws_step_in_order() {
    let mut model = begun();
    type_text(&mut model, KEY);
    update(&mut model, Msg::NextStep);
    assert_eq!(model.screen, Screen::Step(1));
    assert_eq!(model.step_state(0), StepState::Done);
    // The policy name has a default: the step can be left as is.
    update(&mut model, Msg::NextStep);
    assert_eq!(model.screen, Screen::Step(2));
    type_text(&mut model, ROLE);
    update(&mut model, Msg::NextStep);
    assert_eq!(model.screen, Screen::Step(3));
    update(&mut model, Msg::NextStep);
    assert_eq!(model.screen, Screen::Step(4));
    assert!(
        model
            .focusables()
            .contains(&Focusable::Block(ArtifactId::REGISTRATION_BODY))
    );
    update(&mut model, Msg::NextStep);
    assert_eq!(model.screen, Screen::Step(4), "the last step stays");
    assert_eq!(model.step_state(3), StepState::Done);
}

#[test]
fn an_alias_arn_adds_the_key_behind_it() {
    let mut model = begun();
    type_text(
        &mut model,
        "arn:aws:kms:us-east-1:111122223333:alias/openai",
    );
    assert!(model.focusables().contains(&Focusable::Field(aws::KEY_ARN)));
    assert!(
        model
            .focusables()
            .contains(&Focusable::Block(aws::ALIAS_TARGET_COMMAND))
    );
    update(&mut model, Msg::NextStep);
    assert_eq!(
        model.screen,
        Screen::Step(0),
        "the key behind the alias is required"
    );
    assert_eq!(model.focused(), Some(Focusable::Field(aws::KEY_ARN)));
    type_text(&mut model, KEY);
    update(&mut model, Msg::NextStep);
    assert_eq!(model.screen, Screen::Step(1));
}

#[test]
fn copying_a_block_asks_the_runtime_for_the_exact_text() {
    let mut model = begun();
    type_text(&mut model, KEY);
    update(&mut model, Msg::NextStep);
    focus(&mut model, Focusable::Block(aws::IAM_POLICY));
    let effects = update(&mut model, Msg::CopyFocusedBlock);
    let [
        Effect::CopyToClipboard {
            what,
            text,
            file_name,
        },
    ] = &effects[..]
    else {
        panic!("{effects:?}")
    };
    assert_eq!(what, "IAM policy (JSON)");
    assert_eq!(file_name, "aws-iam-policy.json");
    let policy: serde_json::Value = serde_json::from_str(text).unwrap();
    assert_eq!(policy["Statement"][0]["Resource"], KEY);
    update(
        &mut model,
        Msg::CopyFinished {
            what: what.clone(),
            outcome: Ok(CopyRoute::Terminal {
                through: Some("tmux"),
            }),
        },
    );
    let status = model.status.unwrap();
    assert!(status.text.contains("OSC 52"), "{}", status.text);
    assert!(
        status.text.contains("cannot confirm") && status.text.contains("press w"),
        "an unconfirmed copy is never called done: {}",
        status.text
    );
    assert_ne!(status.kind, StatusKind::Success);
}

#[test]
fn copying_a_block_that_is_not_ready_says_what_it_needs() {
    let mut model = begun();
    focus(&mut model, Focusable::Block(aws::CREATE_KEY_COMMANDS));
    assert_eq!(
        update(&mut model, Msg::CopyFocusedBlock).len(),
        1,
        "needs nothing"
    );
    update(&mut model, Msg::NextStep); // refused: no ARN
    update(&mut model, Msg::PreviousStep);
    // Jump to step 3 through a session with only the org id: its block needs the role.
    let mut model = begun();
    type_text(&mut model, KEY);
    update(&mut model, Msg::NextStep);
    update(&mut model, Msg::NextStep);
    focus(&mut model, Focusable::Block(aws::CREATE_ROLE_COMMANDS));
    assert!(update(&mut model, Msg::CopyFocusedBlock).is_empty());
    let status = model.status.unwrap();
    assert_eq!(status.kind, StatusKind::Error);
    assert!(
        status.text.contains("Role ARN: is empty"),
        "{}",
        status.text
    );
    assert!(
        !status.text.contains("role_arn"),
        "labels, never internal ids"
    );
}

#[test]
fn enter_in_a_field_never_makes_a_second_line_and_paste_is_one_line() {
    let mut model = begun();
    update(
        &mut model,
        Msg::EditField(Input {
            key: Key::Enter,
            ..Default::default()
        }),
    );
    update(&mut model, Msg::PasteIntoField(format!("  {KEY}\r\n")));
    assert_eq!(model.field_text(aws::KMS_ARN), KEY);
    assert_eq!(model.editors[&aws::KMS_ARN].lines().len(), 1);
}

#[test]
fn quitting_saves_progress_then_exits() {
    let mut model = begun();
    type_text(&mut model, KEY);
    let effects = update(&mut model, Msg::Quit);
    match &effects[..] {
        [Effect::SaveProgress(session), Effect::Exit] => {
            assert_eq!(session.step, 1);
            assert_eq!(session.inputs.raw(aws::KMS_ARN), KEY);
        }
        other => panic!("{other:?}"),
    }
}

fn saved() -> Session {
    let mut inputs = Inputs::new(aws::cloud());
    inputs.set(FieldId::ORG_ID, "org-saved");
    inputs.set(aws::KMS_ARN, KEY);
    Session {
        format: SESSION_FORMAT,
        cloud: aws::cloud(),
        path: SetupPath::ChatGpt,
        step: 3,
        reached: 2,
        inputs,
        external_key_id: None,
        project_id: None,
    }
}

#[test]
fn saved_progress_is_offered_and_resumed_where_it_was() {
    let mut model = Model::new(StartOptions {
        loaded: Some(Loaded::Session(saved())),
        width: 80,
        height: 24,
        ..Default::default()
    });
    assert_eq!(model.screen, Screen::ResumeOffer);
    // Quitting from the offer must not overwrite the saved progress.
    let mut untouched = Model::new(StartOptions {
        loaded: Some(Loaded::Session(saved())),
        ..Default::default()
    });
    assert_eq!(update(&mut untouched, Msg::Quit), [Effect::Exit]);
    update(&mut model, Msg::ResumeSavedProgress);
    assert_eq!(model.screen, Screen::Step(2));
    assert_eq!(model.path, SetupPath::ChatGpt);
    assert_eq!(model.field_text(FieldId::ORG_ID), "org-saved");
}

#[test]
fn starting_over_from_the_offer_asks_first_then_begins_blank() {
    let mut model = Model::new(StartOptions {
        loaded: Some(Loaded::Session(saved())),
        ..Default::default()
    });
    update(&mut model, Msg::StartOver);
    assert_eq!(
        model.screen,
        Screen::ResumeOffer,
        "nothing is discarded yet"
    );
    let asked = model.status.clone().unwrap().text;
    assert!(
        asked.contains("AWS KMS")
            && asked.contains("values recorded")
            && asked.contains("y discards"),
        "it says what would be lost: {asked}"
    );
    // Quitting while asked saves nothing: the saved progress stays.
    let mut quitting = Model::new(StartOptions {
        loaded: Some(Loaded::Session(saved())),
        ..Default::default()
    });
    update(&mut quitting, Msg::StartOver);
    assert_eq!(update(&mut quitting, Msg::Quit), [Effect::Exit]);
    // Any other key keeps it.
    update(&mut model, Msg::DeclineAction);
    assert_eq!(model.screen, Screen::ResumeOffer);
    assert!(model.resume.is_some());
    update(&mut model, Msg::StartOver);
    update(&mut model, Msg::ConfirmAction);
    assert_eq!(model.screen, Screen::Start);
    assert_eq!(model.field_text(FieldId::ORG_ID), "");
}

#[test]
fn flags_start_straight_at_the_first_step() {
    let model = Model::new(StartOptions {
        args: Preset {
            cloud: Some(aws::cloud()),
            org_id: Some("org-flag".into()),
            path: Some(SetupPath::ChatGpt),
            ..Default::default()
        },
        ..Default::default()
    });
    assert_eq!(model.screen, Screen::Step(0));
    assert_eq!(model.path, SetupPath::ChatGpt);
    assert_eq!(model.field_text(FieldId::ORG_ID), "org-flag");
}

#[test]
fn flags_that_repeat_saved_progress_keep_it_and_the_step_reached() {
    let model = Model::new(StartOptions {
        args: Preset {
            cloud: Some(aws::cloud()),
            org_id: Some("org-saved".into()),
            ..Default::default()
        },
        loaded: Some(Loaded::Session(saved())),
        ..Default::default()
    });
    assert_eq!(model.screen, Screen::Step(2), "where it was");
    assert_eq!(model.reached, 2, "the step reached never goes back");
    assert_eq!(model.path, SetupPath::ChatGpt);
    assert_eq!(model.field_text(aws::KMS_ARN), KEY);
}

#[test]
fn flags_that_differ_from_saved_progress_ask_first_and_lose_nothing() {
    let held = |org: &str, cloud: ekm_wizard::guide::Cloud| {
        Model::new(StartOptions {
            args: Preset {
                cloud: Some(cloud),
                org_id: Some(org.into()),
                ..Default::default()
            },
            loaded: Some(Loaded::Session(saved())),
            width: 80,
            height: 24,
            ..Default::default()
        })
    };
    // Another cloud: the saved AWS progress is offered, with what differs said.
    let mut model = held("org-saved", ekm_wizard::clouds::azure::cloud());
    assert_eq!(model.screen, Screen::ResumeOffer);
    assert!(
        model
            .held_flags_differences()
            .iter()
            .any(|d| d.contains("saved: AWS KMS")),
        "{:?}",
        model.held_flags_differences()
    );
    // Enter resumes it whole; the flags are not used.
    update(&mut model, Msg::ResumeSavedProgress);
    assert_eq!(model.cloud, aws::cloud());
    assert_eq!(model.screen, Screen::Step(2));
    assert_eq!(model.field_text(aws::KMS_ARN), KEY);
    assert!(model.status.as_ref().unwrap().text.contains("not used"));

    // Another organization, same cloud: asked too; n then y starts over with the flags.
    let mut model = held("org-other", aws::cloud());
    assert_eq!(model.screen, Screen::ResumeOffer);
    assert!(model.held_flags_differences()[0].contains("org-other (saved: org-saved)"));
    update(&mut model, Msg::StartOver);
    assert_eq!(
        model.screen,
        Screen::ResumeOffer,
        "nothing goes without a yes"
    );
    update(&mut model, Msg::ConfirmAction);
    assert_eq!(model.screen, Screen::Step(0));
    assert_eq!(model.field_text(FieldId::ORG_ID), "org-other");
}

#[test]
fn a_bad_org_id_flag_stays_on_the_start_screen_with_the_reason() {
    let model = Model::new(StartOptions {
        args: Preset {
            cloud: Some(aws::cloud()),
            org_id: Some("acme".into()),
            ..Default::default()
        },
        ..Default::default()
    });
    assert_eq!(model.screen, Screen::Start);
    assert_eq!(model.field_text(FieldId::ORG_ID), "acme");
    assert!(model.status.unwrap().text.contains("org-"));
}

#[test]
fn a_set_aside_session_is_reported() {
    let model = Model::new(StartOptions {
        loaded: Some(Loaded::SetAside {
            reason: "the saved progress is damaged (EOF)".into(),
            moved_to: Some("/tmp/x/session.json.unusable-1".into()),
        }),
        ..Default::default()
    });
    let text = model.status.unwrap().text;
    assert!(
        text.contains("damaged") && text.contains("session.json.unusable-1"),
        "{text}"
    );
}

#[test]
fn a_failed_save_is_said_once_and_saving_stops_being_promised() {
    let mut model = begun();
    update(
        &mut model,
        Msg::ProgressSaved(Err("read-only file system".into())),
    );
    assert!(
        model
            .status
            .as_ref()
            .unwrap()
            .text
            .contains("will not be saved")
    );
    assert!(matches!(model.saving, Saving::Disabled(_)));
}

#[test]
fn focus_keeps_the_focused_block_in_view() {
    let mut model = begun();
    type_text(&mut model, KEY);
    update(&mut model, Msg::NextStep);
    update(&mut model, Msg::NextStep);
    assert_eq!(model.scroll, 0);
    focus(&mut model, Focusable::Block(aws::CREATE_ROLE_COMMANDS));
    assert!(model.scroll > 0, "scrolled down to the block");
    update(&mut model, Msg::FocusNext); // wraps to the first field
    assert_eq!(model.scroll, 0);
    update(&mut model, Msg::ScrollContent(-5));
    assert_eq!(model.scroll, 0, "never above the top");
    // At the bottom the focus follows to a block there, whose values then show under it:
    // the bottom is where the content ends as it is drawn now.
    update(&mut model, Msg::ScrollContent(10_000));
    update(&mut model, Msg::ScrollContent(10_000));
    let at_bottom = model.scroll;
    update(&mut model, Msg::ScrollContent(1));
    assert_eq!(model.scroll, at_bottom, "never past the bottom");
}

#[test]
fn help_opens_and_closes() {
    let mut model = wizard();
    update(&mut model, Msg::ToggleHelp);
    assert!(model.layers.has(ekm_wizard::app::model::LayerKind::Help));
    update(&mut model, Msg::CloseOverlay);
    assert!(!model.layers.has(ekm_wizard::app::model::LayerKind::Help));
}

const ASSUME_ROLE_ERROR: &str = "User: arn:aws:sts::790389265272:assumed-role/EnterpriseKeyManagement/OpenAI-EKM-Service is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::111122223333:role/openai-ekm";

#[test]
fn an_explained_error_leads_to_the_step_to_fix() {
    let mut model = begun();
    update(&mut model, Msg::OpenExplainScreen);
    assert!(model.layers.explain().is_some());
    update(
        &mut model,
        Msg::PasteIntoField(format!(
            "{ASSUME_ROLE_ERROR}\r\nAuthorization: Bearer sk-admin-canary0123456789abcdef"
        )),
    );
    let pasted = model.layers.explain().unwrap().text();
    assert!(
        !pasted.contains("canary"),
        "secrets never reach the screen: {pasted}"
    );
    let effects = update(&mut model, Msg::GoToExplainedStep);
    assert_eq!(model.screen, Screen::Step(2), "the trust policy step");
    assert!(model.layers.explain().is_none());
    assert!(matches!(&effects[..], [Effect::SaveProgress(_)]));
    assert_eq!(model.recent_errors.len(), 1, "kept for the support bundle");
    assert!(model.recent_errors[0].contains("sts:AssumeRole"));
}

#[test]
fn an_error_of_another_cloud_says_so_instead_of_jumping() {
    let mut model = begun();
    update(&mut model, Msg::OpenExplainScreen);
    update(
        &mut model,
        Msg::PasteIntoField("The given credential is rejected by the attribute condition.".into()),
    );
    update(&mut model, Msg::GoToExplainedStep);
    assert!(model.layers.explain().is_some());
    assert!(model.status.unwrap().text.contains("Google Cloud KMS"));
}

#[test]
fn typing_in_the_explain_screen_keeps_line_breaks_and_esc_leaves_it() {
    let mut model = begun();
    update(&mut model, Msg::OpenExplainScreen);
    type_text(&mut model, "first");
    update(
        &mut model,
        Msg::EditField(Input {
            key: Key::Enter,
            ..Default::default()
        }),
    );
    type_text(&mut model, "second");
    assert_eq!(model.layers.explain().unwrap().text(), "first\nsecond");
    assert_eq!(model.field_text(aws::KMS_ARN), "", "fields are untouched");
    update(&mut model, Msg::CloseOverlay);
    assert!(model.layers.explain().is_none());
    assert_eq!(model.screen, Screen::Step(0));
}

#[test]
fn exporting_hands_the_runtime_the_progress_and_recent_errors() {
    let mut model = begun();
    model.remember_error(ASSUME_ROLE_ERROR);
    let effects = update(&mut model, Msg::ExportSupportBundle);
    let [
        Effect::ExportSupportBundle {
            session,
            recent_errors,
            ..
        },
    ] = &effects[..]
    else {
        panic!("{effects:?}")
    };
    assert_eq!(session.inputs.raw(FieldId::ORG_ID), "org-abc123");
    assert_eq!(recent_errors, &[ASSUME_ROLE_ERROR.to_string()]);
}

fn at_the_last_step() -> Model {
    let mut model = begun();
    type_text(&mut model, KEY);
    update(&mut model, Msg::NextStep);
    update(&mut model, Msg::NextStep);
    type_text(&mut model, ROLE);
    update(&mut model, Msg::NextStep);
    update(&mut model, Msg::NextStep);
    assert_eq!(model.screen, Screen::Step(4));
    model
}

#[test]
fn registering_asks_for_a_key_then_looks_then_registers_on_confirmation() {
    use ekm_wizard::app::effect::KeyRef;
    use ekm_wizard::app::msg::Registered;
    use ekm_wizard::app::registration::Phase;
    let mut model = at_the_last_step();
    focus(&mut model, Focusable::Register);
    assert!(update(&mut model, Msg::Confirm).is_empty(), "no key yet");
    assert_eq!(model.focused(), Some(Focusable::AdminKey));
    update(
        &mut model,
        Msg::PasteIntoField("sk-admin-test0123456789".into()),
    );
    focus(&mut model, Focusable::Register);
    let effects = update(&mut model, Msg::Confirm);
    let [
        Effect::PlanRegistration {
            generation,
            key,
            body,
            ..
        },
    ] = &effects[..]
    else {
        panic!("{effects:?}")
    };
    assert!(matches!(key, KeyRef::Typed(_)));
    assert_eq!(body["type"], "aws");
    assert!(
        !format!("{effects:?}").contains("sk-admin-test"),
        "effects never print the key"
    );
    let generation = *generation;
    update(
        &mut model,
        Msg::RegistrationPlanned {
            generation,
            outcome: Ok(ekm_wizard::openai::register::Plan {
                existing: None,
                ekm_enabled: Some(true),
            }),
        },
    );
    assert!(matches!(model.registration.phase, Phase::Ready { .. }));
    let effects = update(&mut model, Msg::Confirm);
    let [
        Effect::Register {
            generation,
            project_name,
            existing: None,
            ..
        },
    ] = &effects[..]
    else {
        panic!("{effects:?}")
    };
    assert_eq!(project_name, "EKM project");
    // An answer to an older request is dropped.
    update(
        &mut model,
        Msg::RegistrationFinished {
            generation: generation - 1,
            outcome: Err("stale".into()),
        },
    );
    assert_eq!(model.registration.phase, Phase::Registering);
    let effects = update(
        &mut model,
        Msg::RegistrationFinished {
            generation: *generation,
            outcome: Ok(Registered {
                key_id: "extkey_1".into(),
                key_reused: false,
                project_id: Some("proj_1".into()),
                project_reused: false,
                validation: Ok(()),
            }),
        },
    );
    assert!(
        matches!(&effects[..], [Effect::SaveProgress(s)] if s.external_key_id.as_deref() == Some("extkey_1"))
    );
    assert!(
        model.registration.typed_key.is_empty(),
        "the typed key is wiped"
    );
    assert_eq!(model.focused(), Some(Focusable::Validate));
}

#[test]
fn a_failed_registration_is_explained_and_remembered() {
    use ekm_wizard::app::registration::Phase;
    let mut model = at_the_last_step();
    model.registration.key_from_env = true;
    focus(&mut model, Focusable::Register);
    let effects = update(&mut model, Msg::Confirm);
    let [Effect::PlanRegistration { generation, .. }] = &effects[..] else {
        panic!("{effects:?}")
    };
    let err =
        "OpenAI refused the request (400): Invalid 'key_name': string does not match pattern.";
    update(
        &mut model,
        Msg::RegistrationPlanned {
            generation: *generation,
            outcome: Err(err.into()),
        },
    );
    assert_eq!(model.registration.phase, Phase::Failed(err.into()));
    assert_eq!(model.recent_errors, [err.to_string()]);
}

#[test]
fn checks_report_as_they_finish_and_a_new_run_drops_the_old_one() {
    use ekm_wizard::checks::{CheckResult, CheckStatus};
    let mut model = at_the_last_step();
    let effects = update(&mut model, Msg::RunChecks);
    let [
        Effect::RunChecks {
            generation: first,
            target,
            ..
        },
    ] = &effects[..]
    else {
        panic!("{effects:?}")
    };
    let target = format!("{target:?}");
    assert!(target.contains("external_id: \"org-abc123\""), "{target}");
    let first = *first;
    assert!(model.busy(), "the spinner turns while checks run");
    let effects = update(&mut model, Msg::RunChecks);
    let [
        Effect::RunChecks {
            generation: second, ..
        },
    ] = &effects[..]
    else {
        panic!("{effects:?}")
    };
    let second = *second;
    let failed = CheckResult::new(
        ekm_wizard::guide::CheckId::new("key"),
        "KMS key",
        ekm_wizard::guide::StepId::new("create-key"),
        CheckStatus::Fail,
        "the key is Disabled",
    );
    update(
        &mut model,
        Msg::CheckReported {
            generation: first,
            result: failed.clone(),
        },
    );
    assert!(
        model.checks.results.is_empty(),
        "a replaced run's result is dropped"
    );
    update(
        &mut model,
        Msg::CheckReported {
            generation: second,
            result: failed,
        },
    );
    update(
        &mut model,
        Msg::ChecksFinished {
            generation: second,
            outcome: Ok(()),
        },
    );
    assert!(!model.busy());
    assert_eq!(model.checks.results.len(), 1);
    assert!(model.status.as_ref().unwrap().text.contains("1 failed"));
    assert!(
        model.recent_errors.iter().any(|e| e.contains("Disabled")),
        "kept for the support bundle"
    );
}

#[test]
fn checks_need_the_recorded_values_and_say_which() {
    let mut model = begun();
    assert!(update(&mut model, Msg::RunChecks).is_empty());
    assert!(model.status.unwrap().text.contains("KMS key ARN"));
}

#[test]
fn f_goes_to_the_step_of_the_first_failed_check() {
    use ekm_wizard::checks::{CheckResult, CheckStatus};
    let mut model = at_the_last_step();
    update(&mut model, Msg::GoToStepToFix);
    assert_eq!(model.screen, Screen::Step(4), "nothing failed yet");
    let effects = update(&mut model, Msg::RunChecks);
    let [Effect::RunChecks { generation, .. }] = &effects[..] else {
        panic!()
    };
    let generation = *generation;
    for result in [
        CheckResult::new(
            ekm_wizard::guide::CheckId::new("key"),
            "KMS key",
            ekm_wizard::guide::StepId::new("create-key"),
            CheckStatus::Pass,
            "fine",
        ),
        CheckResult::new(
            ekm_wizard::guide::CheckId::new("permissions"),
            "Role permissions",
            ekm_wizard::guide::StepId::new("iam-policy"),
            CheckStatus::Fail,
            "kms:Decrypt is not allowed on x",
        ),
    ] {
        update(&mut model, Msg::CheckReported { generation, result });
    }
    update(
        &mut model,
        Msg::ChecksFinished {
            generation,
            outcome: Ok(()),
        },
    );
    update(&mut model, Msg::GoToStepToFix);
    assert_eq!(model.screen, Screen::Step(1), "the IAM policy step");
    assert!(
        model
            .status
            .unwrap()
            .text
            .contains("kms:Decrypt is not allowed")
    );
}

/// An Azure walk with every value of the first three steps recorded, at step 3.
fn azure_recorded() -> Model {
    let mut model = wizard();
    update(&mut model, Msg::ChoosePrevious);
    assert_eq!(model.cloud, azure::cloud());
    focus(&mut model, Focusable::Field(FieldId::ORG_ID));
    type_text(&mut model, "org-abc123");
    update(&mut model, Msg::NextStep);
    type_text(&mut model, "72f988bf-86f1-41af-91ab-2d7cd011db47");
    update(&mut model, Msg::NextStep);
    type_text(&mut model, "0b1f6471-1bf0-4dda-aec3-cb9272f09590");
    update(&mut model, Msg::NextStep);
    type_text(&mut model, "contoso-ekm");
    update(&mut model, Msg::FocusNext);
    type_text(&mut model, "rg-ekm");
    update(&mut model, Msg::FocusNext);
    type_text(&mut model, "org-abc123--openai-ekm");
    model
}

#[test]
fn azure_checks_run_with_the_recorded_target() {
    let mut model = azure_recorded();
    let effects = update(&mut model, Msg::RunChecks);
    let [Effect::RunChecks { target, .. }] = &effects[..] else {
        panic!("{effects:?}")
    };
    let target = format!("{target:?}");
    assert!(
        target.contains("vault_uri: \"https://contoso-ekm.vault.azure.net/\""),
        "the vault is recorded: {target}"
    );
    assert!(
        target.contains("key: \"org-abc123--openai-ekm\""),
        "{target}"
    );
    assert!(model.status.as_ref().unwrap().text.contains("Azure"));
}

#[test]
fn gcp_checks_need_step_one_first_and_name_the_missing_one() {
    let mut model = wizard();
    update(&mut model, Msg::ChooseNext);
    assert_eq!(model.cloud, gcp::cloud());
    focus(&mut model, Focusable::Field(FieldId::ORG_ID));
    type_text(&mut model, "org-abc123");
    update(&mut model, Msg::NextStep);
    let effects = update(&mut model, Msg::RunChecks);
    assert!(effects.is_empty(), "{effects:?}");
    let said = &model.status.as_ref().unwrap().text;
    assert!(said.contains("Pool's project number: is empty"), "{said}");
}

#[test]
fn azure_step_one_is_checked_and_offered_with_the_tenant_alone() {
    let mut model = wizard();
    update(&mut model, Msg::ChooseNext);
    update(&mut model, Msg::ChooseNext);
    assert_eq!(model.cloud, azure::cloud());
    focus(&mut model, Focusable::Field(FieldId::ORG_ID));
    type_text(&mut model, "org-abc123");
    update(&mut model, Msg::NextStep);
    focus(&mut model, Focusable::Field(azure::TENANT_ID));
    type_text(&mut model, "72f988bf-86f1-41af-91ab-2d7cd011db47");
    let effects = update(&mut model, Msg::RunChecks);
    let [Effect::RunChecks { target, .. }] = &effects[..] else {
        panic!("the checks of step 1 run without the vault: {effects:?}")
    };
    let target = format!("{target:?}");
    assert!(
        target.contains("vault: None"),
        "the vault's checks wait for step 3: {target}"
    );
    update(&mut model, Msg::OfferAction);
    assert!(
        model.status.as_ref().unwrap().text.contains("y creates it"),
        "{:?}",
        model.status
    );
}

#[test]
fn the_service_principal_is_created_only_after_a_yes() {
    let mut model = azure_recorded();
    update(&mut model, Msg::FocusNext);
    assert!(update(&mut model, Msg::OfferAction).is_empty());
    assert!(
        model
            .status
            .as_ref()
            .unwrap()
            .text
            .contains("20a14814-5ab7-4612-a671-1382b412bf93")
    );
    // Anything but yes cancels, and nothing is sent.
    assert!(update(&mut model, Msg::DeclineAction).is_empty());
    assert_eq!(model.status.as_ref().unwrap().text, "Nothing was created.");
    update(&mut model, Msg::OfferAction);
    let effects = update(&mut model, Msg::ConfirmAction);
    assert!(
        matches!(&effects[..], [Effect::PerformAction { .. }]),
        "{effects:?}"
    );
    assert!(model.busy(), "the spinner turns while Graph is asked");
    update(
        &mut model,
        Msg::ActionFinished(ekm_wizard::checks::ActionOutcome::Refused(
            "Graph refused: needs Application Administrator".into(),
        )),
    );
    assert!(!model.busy());
    assert_eq!(model.status.as_ref().unwrap().kind, StatusKind::Error);
    assert!(
        model
            .recent_errors
            .iter()
            .any(|e| e.contains("Application Administrator"))
    );
}

#[test]
fn offering_a_service_principal_elsewhere_than_azure_does_nothing() {
    let mut model = begun();
    assert!(update(&mut model, Msg::OfferAction).is_empty());
    assert!(model.status.as_ref().unwrap().text.contains("Azure step"));
}

/// Feeds one finished check run into the wizard and returns its status line.
fn status_after_run(results: Vec<ekm_wizard::checks::CheckResult>) -> (StatusKind, String) {
    let mut model = begun();
    type_text(&mut model, KEY);
    let effects = update(&mut model, Msg::RunChecks);
    let [Effect::RunChecks { generation, .. }] = &effects[..] else {
        panic!("{effects:?}")
    };
    let generation = *generation;
    for result in results {
        update(&mut model, Msg::CheckReported { generation, result });
    }
    update(
        &mut model,
        Msg::ChecksFinished {
            generation,
            outcome: Ok(()),
        },
    );
    let status = model.status.unwrap();
    (status.kind, status.text)
}

#[test]
fn a_run_that_could_read_nothing_is_never_called_a_success() {
    use ekm_wizard::checks::{CheckResult, CheckStatus};
    let refused = |id| {
        CheckResult::new(
            ekm_wizard::guide::CheckId::new(id),
            "A check",
            ekm_wizard::guide::StepId::new("create-key"),
            CheckStatus::Unverified,
            "could not check: your credentials lack kms:DescribeKey",
        )
    };
    let passed = CheckResult::new(
        ekm_wizard::guide::CheckId::new("identity"),
        "Who you are",
        ekm_wizard::guide::StepId::new("create-key"),
        CheckStatus::Pass,
        "you",
    );
    let (kind, text) = status_after_run(vec![passed, refused("key"), refused("round-trip")]);
    assert_ne!(kind, StatusKind::Success, "{text}");
    assert!(text.starts_with("Not verified"), "{text}");
    assert!(
        !text.contains('✓') && !text.contains("none failed"),
        "{text}"
    );
    let (kind, text) = status_after_run(Vec::new());
    assert_ne!(
        kind,
        StatusKind::Success,
        "an empty run proves nothing: {text}"
    );
}

#[test]
fn step_one_checked_alone_says_the_rest_waits() {
    use ekm_wizard::checks::{CheckResult, CheckStatus};
    let passed = CheckResult::new(
        ekm_wizard::guide::CheckId::new("key"),
        "KMS key",
        ekm_wizard::guide::StepId::new("create-key"),
        CheckStatus::Pass,
        "enabled",
    );
    let waits = CheckResult::new(
        ekm_wizard::guide::CheckId::new("trust-policy"),
        "Trust policy",
        ekm_wizard::guide::StepId::new("role"),
        CheckStatus::Waiting,
        "waits for step 3: Role ARN is not recorded yet",
    );
    let (kind, text) = status_after_run(vec![passed, waits]);
    assert_eq!(kind, StatusKind::Success, "{text}");
    assert!(text.contains("1 check waits for a later step"), "{text}");
}

#[test]
fn a_key_typed_into_the_wizard_is_never_shown_even_when_a_server_echoes_it() {
    let mut model = at_the_last_step();
    focus(&mut model, Focusable::Register);
    update(&mut model, Msg::Confirm);
    // Shaped unlike any OpenAI key, so only the typed value itself can hide it.
    let typed = "plain-typed-admin-key-0123456789";
    update(&mut model, Msg::PasteIntoField(typed.into()));
    focus(&mut model, Focusable::Register);
    let effects = update(&mut model, Msg::Confirm);
    let [Effect::PlanRegistration { generation, .. }] = &effects[..] else {
        panic!("{effects:?}")
    };
    update(
        &mut model,
        Msg::RegistrationPlanned {
            generation: *generation,
            outcome: Err(format!("401: the key {typed} is not valid")),
        },
    );
    assert!(
        model.recent_errors.iter().all(|e| !e.contains(typed)),
        "{:?}",
        model.recent_errors
    );
    assert!(model.recent_errors.iter().any(|e| e.contains("[redacted]")));
    let on_screen = format!("{:?} {:?}", model.status, model.registration.phase);
    assert!(!on_screen.contains(typed), "{on_screen}");
}

#[test]
fn each_cloud_shows_its_own_examples() {
    let mut model = wizard();
    let placeholder = |model: &Model| model.editors[&FieldId::NAME].placeholder_text().to_string();
    assert_eq!(placeholder(&model), "e.g. AWS EKM key");
    update(&mut model, Msg::ChooseNext);
    assert_eq!(model.cloud, gcp::cloud());
    assert_eq!(placeholder(&model), "e.g. GCP EKM key");
    update(&mut model, Msg::ChooseNext);
    assert_eq!(placeholder(&model), "e.g. Azure EKM key");
}

#[test]
fn the_explain_screen_opens_on_the_last_refusal_and_a_paste_replaces_it() {
    let mut model = at_the_last_step();
    model.registration.key_from_env = true;
    focus(&mut model, Focusable::Register);
    let effects = update(&mut model, Msg::Confirm);
    let [Effect::PlanRegistration { generation, .. }] = &effects[..] else {
        panic!("{effects:?}")
    };
    let refusal = format!("OpenAI refused the request (400): {ASSUME_ROLE_ERROR}");
    update(
        &mut model,
        Msg::RegistrationPlanned {
            generation: *generation,
            outcome: Err(refusal.clone()),
        },
    );
    update(&mut model, Msg::OpenExplainScreen);
    assert_eq!(model.layers.explain().unwrap().text(), refusal);
    update(&mut model, Msg::GoToExplainedStep);
    assert_eq!(
        model.screen,
        Screen::Step(2),
        "the refusal leads to its step"
    );
    update(&mut model, Msg::OpenExplainScreen);
    update(&mut model, Msg::PasteIntoField("another error".into()));
    assert_eq!(model.layers.explain().unwrap().text(), "another error");
}

#[test]
fn scrolling_never_leaves_keys_going_into_a_field_off_screen() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use ekm_wizard::app::keymap::message_for_key;
    let mut model = begun();
    update(
        &mut model,
        Msg::TerminalResized {
            width: 80,
            height: 14,
        },
    );
    assert_eq!(model.focused(), Some(Focusable::Field(aws::KMS_ARN)));
    let k = KeyEvent::new(KeyCode::Char('k'), KeyModifiers::NONE);
    // At 80x14 the wizard shows only the "too small" notice: no key but quitting does anything.
    assert!(
        message_for_key(&model, k).is_none(),
        "too small: k does nothing"
    );
    // Which keys are text and which are commands is read as at a size that fits (the
    // layout of this short screen is kept, so that scrolling has somewhere to go).
    let keys_at_a_fitting_size = |model: &mut Model, key: KeyEvent| {
        model.height = 24;
        let msg = message_for_key(model, key);
        model.height = 14;
        msg
    };
    assert!(
        matches!(
            keys_at_a_fitting_size(&mut model, k),
            Some(Msg::EditField(_))
        ),
        "in a field in view, k is text"
    );
    // Scroll the field out of view: the focus follows to what is on screen.
    update(&mut model, Msg::ScrollContent(30));
    assert_eq!(
        model.focused(),
        Some(Focusable::Block(aws::CREATE_KEY_COMMANDS)),
        "the block in view takes the focus"
    );
    let now = keys_at_a_fitting_size(&mut model, k);
    assert!(
        !matches!(now, Some(Msg::EditField(_))),
        "k is a command now: {now:?}"
    );
    update(&mut model, Msg::PasteIntoField("pasted".into()));
    assert_eq!(
        model.field_text(aws::KMS_ARN),
        "",
        "nothing typed out of sight"
    );
}

#[test]
fn every_step_can_be_read_ahead_while_going_on_still_checks() {
    let mut model = begun();
    // Step 1's key is not recorded: PgDn refuses, ] reads on.
    update(&mut model, Msg::NextStep);
    assert_eq!(model.screen, Screen::Step(0));
    update(&mut model, Msg::ReadStep(1));
    update(&mut model, Msg::ReadStep(1));
    assert_eq!(model.screen, Screen::Step(2), "step 3 can be read");
    let said = model.status.clone().unwrap().text;
    assert!(said.contains("Reading ahead: step 1"), "{said}");
    assert_eq!(model.reached, 0, "reading ahead moves nothing on");
    for _ in 0..10 {
        update(&mut model, Msg::ReadStep(1));
    }
    assert_eq!(model.screen, Screen::Step(4), "up to the last step");
    for _ in 0..10 {
        update(&mut model, Msg::ReadStep(-1));
    }
    assert_eq!(model.screen, Screen::Start);
}

#[test]
fn each_value_of_a_block_can_be_copied_alone() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use ekm_wizard::app::keymap::message_for_key;
    let mut model = wizard();
    update(&mut model, Msg::ChooseNext);
    assert_eq!(model.cloud, gcp::cloud());
    focus(&mut model, Focusable::Field(FieldId::ORG_ID));
    type_text(&mut model, "org-abc123");
    update(&mut model, Msg::NextStep);
    focus(&mut model, Focusable::Block(gcp::PROVIDER_SETTINGS));
    let three = KeyEvent::new(KeyCode::Char('3'), KeyModifiers::NONE);
    let msg = message_for_key(&model, three).unwrap();
    assert!(matches!(msg, Msg::CopyValue(3)), "{msg:?}");
    let copied: Vec<(String, String)> = (1..=4)
        .map(|n| match &update(&mut model, Msg::CopyValue(n))[..] {
            [Effect::CopyToClipboard { what, text, .. }] => (what.clone(), text.clone()),
            other => panic!("{other:?}"),
        })
        .collect();
    assert!(
        copied
            .iter()
            .any(|(what, text)| what.starts_with("allowed_audiences") && text == "org-abc123"),
        "{copied:?}"
    );
    assert!(
        copied.iter().any(
            |(what, text)| what.starts_with("attribute_mapping.google.subject")
                && text == "assertion.sub"
        ),
        "{copied:?}"
    );
    assert!(
        update(&mut model, Msg::CopyValue(9)).is_empty(),
        "no ninth value"
    );
    assert!(model.status.unwrap().text.contains("press 1 to 4"));
}

#[test]
fn a_late_yes_after_a_refused_action_does_nothing() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use ekm_wizard::app::keymap::message_for_key;
    let mut model = azure_recorded();
    update(&mut model, Msg::FocusNext);
    update(&mut model, Msg::OfferAction);
    update(&mut model, Msg::ConfirmAction);
    update(
        &mut model,
        Msg::ActionFinished(ekm_wizard::checks::ActionOutcome::Refused(
            "Graph refused (403)".into(),
        )),
    );
    let yes = KeyEvent::new(KeyCode::Char('y'), KeyModifiers::NONE);
    assert!(
        message_for_key(&model, yes).is_none(),
        "y is only ever an answer"
    );
}

/// Runs the checks and reports `results`; the effects the end of the run asked for.
fn run_reporting(
    model: &mut Model,
    msg: Msg,
    results: &[(&'static str, ekm_wizard::checks::CheckStatus)],
) -> Vec<Effect> {
    use ekm_wizard::checks::CheckResult;
    let effects = update(model, msg);
    let Some(Effect::RunChecks { generation, .. }) = effects.first() else {
        panic!("{effects:?}")
    };
    let generation = *generation;
    for (id, status) in results {
        let result = CheckResult::new(
            ekm_wizard::guide::CheckId::new(id),
            "Trust policy",
            ekm_wizard::guide::StepId::new("create-role"),
            *status,
            "OpenAI's principal is not trusted",
        );
        update(model, Msg::CheckReported { generation, result });
    }
    update(
        model,
        Msg::ChecksFinished {
            generation,
            outcome: Ok(()),
        },
    )
}

/// The id of the countdown's next tick, from the effects.
fn tick_of(effects: &[Effect]) -> u64 {
    match effects {
        [Effect::TickAfter { id, after }] => {
            assert_eq!(*after, std::time::Duration::from_secs(1));
            *id
        }
        other => panic!("no countdown tick: {other:?}"),
    }
}

#[test]
fn a_fix_that_is_still_spreading_is_checked_again_with_a_countdown_until_it_passes() {
    use ekm_wizard::checks::CheckStatus::{Fail, Pass};
    let mut model = at_the_last_step();
    // The first failure: nothing was fixed yet, so no countdown.
    let effects = run_reporting(
        &mut model,
        Msg::RunChecks,
        &[("key", Pass), ("trust-policy", Fail)],
    );
    assert!(effects.is_empty(), "{effects:?}");
    // The admin fixes the trust policy and checks again: it still fails (IAM is spreading).
    let effects = run_reporting(
        &mut model,
        Msg::RunChecks,
        &[("key", Pass), ("trust-policy", Fail)],
    );
    let mut id = tick_of(&effects);
    let said = model.status.clone().unwrap().text;
    assert!(said.contains("IAM changes can take up to 2 min"), "{said}");
    assert!(said.contains("checking again in 15 s"), "{said}");
    assert!(said.contains("Esc stops"), "{said}");
    // Each second counts down on screen; at zero the checks run again by themselves.
    for left in (1..15).rev() {
        id = tick_of(&update(&mut model, Msg::RecheckTick { id }));
        assert!(
            model
                .status
                .clone()
                .unwrap()
                .text
                .contains(&format!("in {left} s")),
            "{:?}",
            model.status
        );
    }
    let effects = update(&mut model, Msg::RecheckTick { id });
    assert!(
        matches!(effects[..], [Effect::RunChecks { .. }]),
        "{effects:?}"
    );
    // Simulate that run: still failing, so a longer wait follows.
    let generation = model.checks.generation;
    update(
        &mut model,
        Msg::ChecksFinished {
            generation,
            outcome: Ok(()),
        },
    );
    // (no results reported: an empty run ends the countdown quietly)
    assert!(model.recheck.is_none());

    // Again, and this time the fix has reached everyone.
    run_reporting(&mut model, Msg::RunChecks, &[("trust-policy", Fail)]);
    let effects = run_reporting(&mut model, Msg::RunChecks, &[("trust-policy", Fail)]);
    let mut id = tick_of(&effects);
    for _ in 1..15 {
        id = tick_of(&update(&mut model, Msg::RecheckTick { id }));
    }
    let effects = update(&mut model, Msg::RecheckTick { id });
    let Some(Effect::RunChecks { generation, .. }) = effects.first() else {
        panic!("{effects:?}")
    };
    let generation = *generation;
    update(
        &mut model,
        Msg::CheckReported {
            generation,
            result: ekm_wizard::checks::CheckResult::new(
                ekm_wizard::guide::CheckId::new("trust-policy"),
                "Trust policy",
                ekm_wizard::guide::StepId::new("create-role"),
                Pass,
                "fine",
            ),
        },
    );
    let effects = update(
        &mut model,
        Msg::ChecksFinished {
            generation,
            outcome: Ok(()),
        },
    );
    assert!(effects.is_empty());
    let said = model.status.clone().unwrap().text;
    assert!(said.contains("after 15 s of waiting"), "{said}");
    assert!(model.recheck.is_none());
}

#[test]
fn esc_stops_the_countdown_and_it_does_not_come_back_until_a_check_by_hand() {
    use ekm_wizard::checks::CheckStatus::Fail;
    let mut model = at_the_last_step();
    run_reporting(&mut model, Msg::RunChecks, &[("trust-policy", Fail)]);
    let effects = run_reporting(&mut model, Msg::RunChecks, &[("trust-policy", Fail)]);
    let id = tick_of(&effects);
    update(&mut model, Msg::CloseOverlay);
    assert!(model.recheck.is_none());
    assert!(
        model
            .status
            .clone()
            .unwrap()
            .text
            .contains("Stopped checking again")
    );
    assert!(
        update(&mut model, Msg::RecheckTick { id }).is_empty(),
        "a stopped countdown's tick does nothing"
    );
    // A failure that is not a spreading change never counts down.
    let effects = run_reporting(&mut model, Msg::RunChecks, &[("key", Fail)]);
    assert!(effects.is_empty());
    let effects = run_reporting(&mut model, Msg::RunChecks, &[("key", Fail)]);
    assert!(effects.is_empty(), "{effects:?}");
}

#[test]
fn end_and_scrolling_never_put_the_focus_into_the_masked_admin_key() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use ekm_wizard::app::keymap::message_for_key;
    let k = KeyEvent::new(KeyCode::Char('k'), KeyModifiers::NONE);
    for (cloud, (width, height)) in ekm_wizard::clouds::all()
        .flat_map(|c| [(80, 24), (100, 30), (120, 40), (200, 60)].map(|size| (c, size)))
    {
        let mut model = Model::new(StartOptions {
            args: Preset {
                cloud: Some(cloud),
                org_id: Some("org-abc123".into()),
                ..Default::default()
            },
            width,
            height,
            ..Default::default()
        });
        for _ in 0..10 {
            update(&mut model, Msg::ReadStep(1));
        }
        let last = model.guide().steps.len() - 1;
        assert_eq!(model.screen, Screen::Step(last));
        assert!(model.focusables().contains(&Focusable::AdminKey));
        let moves = [i32::MAX / 2, -3, 1, i32::MIN / 2, 5, i32::MAX / 2]
            .into_iter()
            .chain(std::iter::repeat_n(1, 80));
        for lines in moves {
            update(&mut model, Msg::ScrollContent(lines));
            assert_ne!(
                model.focused(),
                Some(Focusable::AdminKey),
                "{} at {width}x{height}: scrolling by {lines} focused the admin key",
                cloud.key()
            );
            if model.focused() == Some(Focusable::AdminKey) {
                assert!(!matches!(
                    message_for_key(&model, k),
                    Some(Msg::EditField(_))
                ));
            }
        }
    }
}

#[test]
fn a_key_pasted_or_typed_into_an_ordinary_field_is_refused_at_once_and_never_saved() {
    const BODY: &str = "K3yB0dyCANARY0123456789";
    let mut model = begun();
    assert_eq!(model.focused(), Some(Focusable::Field(aws::KMS_ARN)));
    type_text(&mut model, "arn:aws:kms:");
    // Pasted whole: not taken, what was there stays, the field is named, the key never echoed.
    update(
        &mut model,
        Msg::PasteIntoField(format!("sk-admin-{BODY}\n")),
    );
    assert_eq!(model.field_text(aws::KMS_ARN), "arn:aws:kms:");
    let said = model.status.clone().unwrap();
    assert_eq!(said.kind, StatusKind::Error);
    assert!(
        said.text.contains("KMS key ARN") && said.text.contains("looks like a secret"),
        "{}",
        said.text
    );
    assert!(!said.text.contains("CANARY"), "{}", said.text);
    // Pasted in two halves: the half that completes it is not taken either.
    update(&mut model, Msg::PasteIntoField("sk-admin-".into()));
    update(&mut model, Msg::PasteIntoField(BODY.into()));
    assert_eq!(model.field_text(aws::KMS_ARN), "arn:aws:kms:sk-admin-");
    assert!(
        model
            .status
            .clone()
            .unwrap()
            .text
            .contains("looks like a secret")
    );
    // Typed by hand: the field is cleared the moment it holds the shape of a key.
    update(
        &mut model,
        Msg::EditField(Input {
            key: Key::Char('u'),
            ctrl: true,
            ..Default::default()
        }),
    );
    let mut cleared = false;
    for c in format!("sk-admin-{BODY}").chars() {
        type_text(&mut model, &c.to_string());
        let text = model.field_text(aws::KMS_ARN).to_string();
        assert!(!model.redactor.looks_secret(&text), "{text} is on screen");
        cleared |= model
            .status
            .as_ref()
            .is_some_and(|s| s.text.contains("field was cleared"));
    }
    assert!(cleared, "the admin was told why the field emptied");
    // Nothing of the key is in what would be saved, nor in the effects of quitting.
    assert!(!format!("{:?}", model.session()).contains(BODY));
    let effects = update(&mut model, Msg::Quit);
    assert!(!format!("{effects:?}").contains(BODY), "{effects:?}");
}

#[test]
fn a_saved_value_too_long_to_be_typed_is_not_resumed_and_the_status_says_which() {
    let text = serde_json::json!({
        "format": SESSION_FORMAT,
        "cloud": "aws",
        "path": "api",
        "step": 2,
        "reached": 2,
        "inputs": {"org_id": "org-saved", "kms_arn": KEY, "role_arn": "a".repeat(1024 * 1024)},
    })
    .to_string();
    let session = ekm_wizard::session::parse(&text).unwrap();
    let mut model = Model::new(StartOptions {
        loaded: Some(Loaded::Session(session)),
        width: 80,
        height: 24,
        ..Default::default()
    });
    update(&mut model, Msg::ResumeSavedProgress);
    assert_eq!(model.field_text(aws::KMS_ARN), KEY);
    assert_eq!(
        model.field_text(aws::ROLE_ARN),
        "",
        "the long value is not loaded"
    );
    let said = model.status.clone().unwrap();
    assert_eq!(said.kind, StatusKind::Error);
    assert!(
        said.text.contains("Role ARN") && said.text.contains("1048576 characters"),
        "{}",
        said.text
    );
    match model.session().inputs.raw(aws::ROLE_ARN) {
        "" => {}
        other => panic!("{} characters would be saved again", other.len()),
    }
}

const GCP_KEY_NAME: &str = "projects/adjective-noun-12345/locations/us-east1/keyRings/openai-kms-key-ring/cryptoKeys/openai-kms-key";

/// Google Cloud, walked to the key's step (index 2) with the key's project recorded.
fn at_the_gcp_key_step() -> Model {
    let mut model = wizard();
    update(&mut model, Msg::ChooseNext);
    focus(&mut model, Focusable::Field(FieldId::ORG_ID));
    type_text(&mut model, "org-abc123");
    update(&mut model, Msg::NextStep);
    for value in ["123456789012", "openai-ekm", "openai-ekm-provider"] {
        type_text(&mut model, value);
        update(&mut model, Msg::FocusNext);
    }
    update(&mut model, Msg::NextStep);
    type_text(&mut model, "adjective-noun-12345");
    update(&mut model, Msg::NextStep);
    assert_eq!(model.screen, Screen::Step(2));
    model
}

#[test]
fn a_pasted_gcp_key_name_from_another_ring_is_refused_with_the_text_kept() {
    let mut model = at_the_gcp_key_step();
    focus(&mut model, Focusable::Field(gcp::KMS_KEY_RING_NAME));
    type_text(&mut model, "ekm-ring");
    focus(&mut model, Focusable::Field(gcp::KMS_KEY_NAME));
    update(&mut model, Msg::PasteIntoField(format!("{GCP_KEY_NAME}\n")));
    // Nothing the admin typed or pasted is lost, and nothing is filled from a refused name.
    assert_eq!(model.field_text(gcp::KMS_KEY_NAME), GCP_KEY_NAME);
    assert_eq!(model.field_text(gcp::KMS_KEY_RING_NAME), "ekm-ring");
    assert_eq!(model.field_text(gcp::KMS_KEY_LOCATION), "");
    let status = model.status.clone().expect("the conflict is said at once");
    assert_eq!(status.kind, StatusKind::Error);
    assert!(
        status.text.contains(
            "Key name: the full name names Key ring name `openai-kms-key-ring`, but Key ring name is `ekm-ring`: correct one of them"
        ),
        "{}",
        status.text
    );
    update(&mut model, Msg::NextStep);
    assert_eq!(model.screen, Screen::Step(2), "the step is not left");
    let status = model.status.clone().unwrap();
    assert!(
        status
            .text
            .starts_with("Before moving on, fix Key name: the full name names Key ring name"),
        "{}",
        status.text
    );
    assert_eq!(model.focused(), Some(Focusable::Field(gcp::KMS_KEY_NAME)));
    // Correcting the ring settles it.
    focus(&mut model, Focusable::Field(gcp::KMS_KEY_RING_NAME));
    for _ in 0.."ekm-ring".len() {
        update(
            &mut model,
            Msg::EditField(Input {
                key: Key::Backspace,
                ..Default::default()
            }),
        );
    }
    type_text(&mut model, "openai-kms-key-ring");
    update(&mut model, Msg::NextStep);
    assert_eq!(model.screen, Screen::Step(3), "{:?}", model.status);
}

#[test]
fn a_pasted_gcp_key_name_fills_the_empty_ring_and_location_and_says_so() {
    let mut model = at_the_gcp_key_step();
    focus(&mut model, Focusable::Field(gcp::KMS_KEY_NAME));
    update(&mut model, Msg::PasteIntoField(GCP_KEY_NAME.into()));
    assert_eq!(model.field_text(gcp::KMS_KEY_NAME), GCP_KEY_NAME);
    assert_eq!(
        model.field_text(gcp::KMS_KEY_RING_NAME),
        "openai-kms-key-ring"
    );
    assert_eq!(model.field_text(gcp::KMS_KEY_LOCATION), "us-east1");
    let status = model.status.clone().expect("the cleaning is said");
    assert_eq!(status.kind, StatusKind::Info);
    assert!(
        status.text.contains(&format!(
            "Key name: taken from the full name {GCP_KEY_NAME}"
        )),
        "{}",
        status.text
    );
    assert!(
        status.text.contains("Key ring name (openai-kms-key-ring)")
            && status.text.contains("Key ring location (us-east1)"),
        "{}",
        status.text
    );
    update(&mut model, Msg::NextStep);
    assert_eq!(model.screen, Screen::Step(3), "{:?}", model.status);
    let inputs = model.inputs();
    assert_eq!(
        inputs.validated(gcp::KMS_KEY_NAME).unwrap(),
        "openai-kms-key"
    );
}

#[test]
fn a_gcp_key_name_typed_in_full_gives_the_empty_ring_without_filling_it_half_typed() {
    let mut model = at_the_gcp_key_step();
    focus(&mut model, Focusable::Field(gcp::KMS_KEY_NAME));
    type_text(&mut model, GCP_KEY_NAME);
    // Typing never writes into another field (a name half typed would fill it wrongly) ...
    assert_eq!(model.field_text(gcp::KMS_KEY_RING_NAME), "");
    let status = model.status.clone().expect("the cleaning is said");
    assert!(
        status.text.contains("Key name: taken from the full name"),
        "{}",
        status.text
    );
    // ... yet the empty ring takes what the full name gives, and the step is done.
    let inputs = model.inputs();
    assert_eq!(
        inputs.validated(gcp::KMS_KEY_RING_NAME).unwrap(),
        "openai-kms-key-ring"
    );
    update(&mut model, Msg::NextStep);
    assert_eq!(model.screen, Screen::Step(3), "{:?}", model.status);
}
