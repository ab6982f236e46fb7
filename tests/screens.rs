//! Every AWS screen at 80×24, drawn through ratatui's `TestBackend` and compared with insta.

use ekm_wizard::app::model::{Focusable, Model, Screen, StartOptions};
use ekm_wizard::app::theme::Theme;
use ekm_wizard::app::{Msg, update, view};
use ekm_wizard::clouds::{aws, azure, gcp};
use ekm_wizard::guide::{ArtifactId, Cloud, FieldId, Inputs, SetupPath};
use ekm_wizard::session::{Loaded, SESSION_FORMAT, Session};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Color;

const KEY: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const ROLE: &str = "arn:aws:iam::111122223333:role/openai-ekm";

fn draw(model: &Model, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|frame| view::draw(frame, model)).unwrap();
    terminal
}

fn screen(model: &Model) -> String {
    draw(model, 80, 24).backend().to_string()
}

fn model_at(screen: Screen, path: SetupPath, inputs: &[(FieldId, &str)]) -> Model {
    model_for(aws::cloud(), screen, path, inputs)
}

fn model_for(cloud: Cloud, screen: Screen, path: SetupPath, inputs: &[(FieldId, &str)]) -> Model {
    let mut model = Model::new(StartOptions {
        width: 80,
        height: 24,
        theme: Theme::default(),
        ..Default::default()
    });
    for (field, value) in inputs {
        model.set_field(*field, value);
    }
    model.path = path;
    model.cloud = cloud;
    if let Screen::Step(index) = screen {
        model.reached = index;
    }
    model.screen = screen;
    model.refresh_editor_styles();
    model
}

fn complete() -> Vec<(FieldId, &'static str)> {
    vec![
        (FieldId::ORG_ID, "org-abc123"),
        (aws::KMS_ARN, KEY),
        (aws::ROLE_ARN, ROLE),
    ]
}

#[test]
fn start_screen() {
    insta::assert_snapshot!(screen(&model_at(Screen::Start, SetupPath::Api, &[])));
}

#[test]
fn start_screen_with_a_bad_org_id() {
    let mut model = model_at(Screen::Start, SetupPath::Api, &[(FieldId::ORG_ID, "acme")]);
    update(&mut model, Msg::NextStep);
    insta::assert_snapshot!(screen(&model));
}

#[test]
fn step_1_create_key() {
    insta::assert_snapshot!(screen(&model_at(
        Screen::Step(0),
        SetupPath::Api,
        &[(FieldId::ORG_ID, "org-abc123")]
    )));
}

#[test]
fn step_1_with_an_alias() {
    let mut model = model_at(
        Screen::Step(0),
        SetupPath::Api,
        &[
            (FieldId::ORG_ID, "org-abc123"),
            (aws::KMS_ARN, "arn:aws:kms:us-east-1:111122223333:alias/ekm"),
        ],
    );
    update(&mut model, Msg::ScrollContent(8));
    insta::assert_snapshot!(screen(&model));
}

#[test]
fn step_2_iam_policy() {
    let mut model = model_at(Screen::Step(1), SetupPath::Api, &complete());
    update(&mut model, Msg::FocusNext);
    insta::assert_snapshot!(screen(&model));
}

#[test]
fn step_3_role_and_trust_policy() {
    let mut model = model_at(Screen::Step(2), SetupPath::Api, &complete());
    update(&mut model, Msg::FocusNext);
    insta::assert_snapshot!(screen(&model));
}

#[test]
fn step_4_additional_restrictions() {
    insta::assert_snapshot!(screen(&model_at(
        Screen::Step(3),
        SetupPath::Api,
        &complete()
    )));
}

#[test]
fn step_5_registration_preview() {
    let mut model = model_at(Screen::Step(4), SetupPath::Api, &complete());
    update(&mut model, Msg::FocusNext);
    insta::assert_snapshot!(screen(&model));
}

#[test]
fn step_5_chatgpt_enterprise_details() {
    let model = model_at(Screen::Step(4), SetupPath::ChatGpt, &complete());
    assert_eq!(
        model.focused(),
        Some(Focusable::Block(ArtifactId::ENTERPRISE_DETAILS))
    );
    insta::assert_snapshot!(screen(&model));
}

#[test]
fn help_screen() {
    let mut model = model_at(
        Screen::Step(0),
        SetupPath::Api,
        &[(FieldId::ORG_ID, "org-abc123")],
    );
    update(&mut model, Msg::ToggleHelp);
    insta::assert_snapshot!(screen(&model));
}

#[test]
fn resume_offer() {
    let mut inputs = Inputs::new(aws::cloud());
    inputs.set(FieldId::ORG_ID, "org-abc123");
    let model = Model::new(StartOptions {
        loaded: Some(Loaded::Session(Session {
            format: SESSION_FORMAT,
            cloud: aws::cloud(),
            path: SetupPath::Api,
            step: 3,
            reached: 3,
            inputs,
            external_key_id: None,
            project_id: None,
        })),
        width: 80,
        height: 24,
        ..Default::default()
    });
    insta::assert_snapshot!(screen(&model));
}

#[test]
fn a_terminal_below_80_by_24_gets_a_message() {
    let model = model_at(Screen::Step(0), SetupPath::Api, &[]);
    let text = draw(&model, 60, 20).backend().to_string();
    assert!(text.contains("at least 80×24"), "{text}");
    assert!(text.contains("60×20"), "{text}");
    // Even a tiny terminal draws without a panic.
    draw(&model, 20, 5);
    draw(&model, 1, 1);
}

#[test]
fn a_large_terminal_draws_too() {
    let model = model_at(Screen::Step(2), SetupPath::Api, &complete());
    let text = draw(&model, 200, 60).backend().to_string();
    assert!(text.contains("EnterpriseKeyManagement"));
}

/// Finds the colour of the first cell showing `symbol` in the step list.
fn step_mark_color(model: &Model, symbol: &str) -> Option<Color> {
    let terminal = draw(model, 80, 24);
    let buffer = terminal.backend().buffer();
    (0..24u16).find_map(|y| {
        let cell = &buffer[(1, y)];
        (cell.symbol() == symbol).then_some(cell.fg)
    })
}

#[test]
fn done_steps_are_green_and_refused_ones_red_unless_no_color() {
    let mut model = model_at(
        Screen::Step(2),
        SetupPath::Api,
        &[
            (FieldId::ORG_ID, "org-abc123"),
            (aws::KMS_ARN, "arn:aws:kms:bad"),
        ],
    );
    model.reached = 2;
    assert_eq!(step_mark_color(&model, "!"), Some(Color::Red));
    model.set_field(aws::KMS_ARN, KEY);
    assert_eq!(step_mark_color(&model, "✓"), Some(Color::Green));
    model.theme = Theme {
        color: false,
        ..Theme::default()
    };
    assert_eq!(step_mark_color(&model, "✓"), Some(Color::Reset));
}

const GCP_VALUES: [(FieldId, &str); 8] = [
    (FieldId::ORG_ID, "org-abc123"),
    (gcp::WORKLOAD_IDENTITY_PROJECT_NUMBER, "123456789012"),
    (gcp::WORKLOAD_IDENTITY_POOL_ID, "openai-ekm"),
    (gcp::WORKLOAD_IDENTITY_PROVIDER_ID, "openai-ekm-provider"),
    (gcp::KMS_PROJECT_ID, "adjective-noun-12345"),
    (gcp::KMS_KEY_LOCATION, "us-east1"),
    (gcp::KMS_KEY_RING_NAME, "openai-kms-key-ring"),
    (gcp::KMS_KEY_NAME, "openai-kms-key"),
];

const AZURE_VALUES: [(FieldId, &str); 6] = [
    (FieldId::ORG_ID, "org-abc123"),
    (azure::TENANT_ID, "72f988bf-86f1-41af-91ab-2d7cd011db47"),
    (
        azure::SUBSCRIPTION_ID,
        "0b1f6471-1bf0-4dda-aec3-cb9272f09590",
    ),
    (azure::VAULT_URI, "contoso-ekm"),
    (azure::RESOURCE_GROUP, "rg-ekm"),
    (azure::KEY_NAME, "org-abc123--openai-ekm"),
];

/// Every step of a cloud's guide, first as it opens, then with the first generated block in focus.
fn snapshot_every_step(cloud: Cloud, values: &[(FieldId, &str)]) {
    let steps = cloud.guide().steps.len();
    for index in 0..steps {
        let model = model_for(cloud, Screen::Step(index), SetupPath::Api, values);
        insta::assert_snapshot!(
            format!("{}_step_{}", cloud.key(), index + 1),
            screen(&model)
        );
        let mut focused = model_for(cloud, Screen::Step(index), SetupPath::Api, values);
        let blocks = focused
            .focusables()
            .iter()
            .position(|f| matches!(f, Focusable::Block(_)));
        if let Some(position) = blocks {
            for _ in 0..position {
                update(&mut focused, Msg::FocusNext);
            }
            insta::assert_snapshot!(
                format!("{}_step_{}_block", cloud.key(), index + 1),
                screen(&focused)
            );
        }
    }
    let chatgpt = model_for(cloud, Screen::Step(steps - 1), SetupPath::ChatGpt, values);
    insta::assert_snapshot!(format!("{}_after_chatgpt", cloud.key()), screen(&chatgpt));
    let start = model_for(cloud, Screen::Start, SetupPath::Api, values);
    insta::assert_snapshot!(format!("{}_start", cloud.key()), screen(&start));
}

#[test]
fn every_gcp_screen() {
    snapshot_every_step(gcp::cloud(), &GCP_VALUES);
}

#[test]
fn every_azure_screen() {
    snapshot_every_step(azure::cloud(), &AZURE_VALUES);
}

#[test]
fn an_azure_key_name_for_another_org_shows_the_error_inline() {
    let mut values = AZURE_VALUES.to_vec();
    values[5] = (azure::KEY_NAME, "org-xyz--openai-ekm");
    let model = model_for(azure::cloud(), Screen::Step(2), SetupPath::Api, &values);
    let mut text = String::new();
    let mut scrolled = model;
    for _ in 0..3 {
        text.push_str(&screen(&scrolled));
        update(&mut scrolled, Msg::ScrollContent(10));
    }
    assert!(text.contains("not with your organization id"), "{text}");
}

#[test]
fn explain_screen_with_an_aws_error() {
    let mut model = model_at(Screen::Step(2), SetupPath::Api, &complete());
    update(&mut model, Msg::OpenExplainScreen);
    update(
        &mut model,
        Msg::PasteIntoField(
            "User: arn:aws:sts::790389265272:assumed-role/EnterpriseKeyManagement/OpenAI-EKM-Service is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::111122223333:role/openai-ekn".into(),
        ),
    );
    insta::assert_snapshot!(screen(&model));
    update(&mut model, Msg::ScrollContent(30));
    let scrolled = screen(&model);
    assert!(
        scrolled.contains("role_arn: the error names") && scrolled.contains("you recorded"),
        "{scrolled}"
    );
    assert!(scrolled.contains("Ctrl-G: go to step 3"), "{scrolled}");
}

#[test]
fn every_step_of_every_cloud_at_200_by_60() {
    let aws_values = complete();
    let clouds: [(Cloud, &[(FieldId, &str)]); 3] = [
        (aws::cloud(), &aws_values),
        (gcp::cloud(), &GCP_VALUES),
        (azure::cloud(), &AZURE_VALUES),
    ];
    for (cloud, values) in clouds {
        for index in 0..cloud.guide().steps.len() {
            let mut model = model_for(cloud, Screen::Step(index), SetupPath::Api, values);
            model.width = 200;
            model.height = 60;
            let wide = draw(&model, 200, 60).backend().to_string();
            assert!(
                wide.contains(&cloud.guide().steps[index].short),
                "the full step list shows at 200 columns"
            );
            insta::assert_snapshot!(format!("{}_step_{}_200x60", cloud.key(), index + 1), wide);
        }
    }
}

#[test]
fn the_as_code_view() {
    let mut model = model_at(Screen::Step(0), SetupPath::Api, &complete());
    update(&mut model, Msg::OpenAsCode);
    update(&mut model, Msg::ShowCodeFile(2)); // main.tf
    insta::assert_snapshot!(screen(&model));
}

#[test]
fn the_do_it_for_me_plan_and_its_outcome() {
    use ekm_wizard::guide::StepId;
    use ekm_wizard::guide::apply::{Applied, Call, Change, Planned};
    let mut model = model_at(Screen::Start, SetupPath::Api, &complete());
    update(&mut model, Msg::OpenApply);
    let planned = |id: &'static str, title: &str, step: &'static str, change: Change| Planned {
        id,
        title: title.into(),
        step: StepId::new(step),
        change,
    };
    let plan = vec![
        planned(
            "key",
            "the KMS key arn:…:key/1234abcd",
            "create-key",
            Change::AsWanted,
        ),
        planned(
            "policy",
            "the IAM policy openai-ekm-kms-access",
            "iam-policy",
            Change::Create,
        ),
        planned(
            "role",
            "the role openai-ekm",
            "role",
            Change::Differs {
                diff: "+ trust statement OpenAIEKMAssumeRole (the statements there stay)".into(),
            },
        ),
        planned(
            "attachment",
            "the policy attached to the role",
            "role",
            Change::Create,
        ),
    ];
    let call = |method: &str, resource: &str, outcome: &str| Call {
        at: "2026-11-30T08:00:00Z".into(),
        method: method.into(),
        resource: resource.into(),
        outcome: outcome.into(),
        millis: 12,
    };
    update(
        &mut model,
        Msg::ApplyPlanned(
            Ok(plan.clone()),
            vec![call("READ", "iam:GetRole openai-ekm", "found")],
        ),
    );
    insta::assert_snapshot!("do_it_for_me_plan", screen(&model));
    update(&mut model, Msg::ConfirmApply);
    let done =
        |planned: &Planned, applied: Option<Applied>, note: Option<&str>| ekm_wizard::apply::Done {
            planned: planned.clone(),
            applied,
            note: note.map(str::to_string),
        };
    update(
        &mut model,
        Msg::ApplyProgress(
            Box::new(done(&plan[0], None, Some("already as the guide wants"))),
            Vec::new(),
        ),
    );
    update(
        &mut model,
        Msg::ApplyProgress(
            Box::new(done(
                &plan[1],
                Some(Applied::Refused {
                    why: "iam:CreatePolicy is not allowed for your credentials".into(),
                }),
                None,
            )),
            vec![call(
                "WRITE",
                "iam:CreatePolicy openai-ekm-kms-access",
                "AccessDenied",
            )],
        ),
    );
    update(
        &mut model,
        Msg::ApplyFinished(
            Ok(Vec::new()),
            vec![call(
                "WRITE",
                "iam:CreatePolicy openai-ekm-kms-access",
                "AccessDenied",
            )],
        ),
    );
    insta::assert_snapshot!("do_it_for_me_stopped", screen(&model));
}

#[test]
fn a_plan_that_could_not_read_says_unknown_and_offers_no_yes() {
    use ekm_wizard::app::Effect;
    use ekm_wizard::guide::StepId;
    use ekm_wizard::guide::apply::{Change, Planned};
    let mut model = model_at(Screen::Start, SetupPath::Api, &complete());
    update(&mut model, Msg::OpenApply);
    let refused = "kms:DescribeKey was refused: AccessDeniedException".to_string();
    let plan = vec![
        Planned {
            id: "key",
            title: "the KMS key arn:…:key/1234abcd".into(),
            step: StepId::new("create-key"),
            change: Change::Unknown { why: refused },
        },
        Planned {
            id: "role",
            title: "the role openai-ekm".into(),
            step: StepId::new("role"),
            change: Change::Create,
        },
        Planned {
            id: "rotation",
            title: "automatic rotation of the key".into(),
            step: StepId::new("restrictions"),
            change: Change::Unknown {
                why: "it depends on the KMS key arn:…:key/1234abcd, which could not be read".into(),
            },
        },
    ];
    update(&mut model, Msg::ApplyPlanned(Ok(plan), Vec::new()));
    let shown = screen(&model);
    assert!(shown.contains("? unknown: the KMS key"), "{shown}");
    assert!(shown.contains("Could not read 2 of 3"), "{shown}");
    assert!(!shown.contains("y applies"), "{shown}");
    let effects = update(&mut model, Msg::ConfirmApply);
    assert!(
        !effects.iter().any(|e| matches!(e, Effect::RunApply { .. })),
        "nothing is written while something is unknown"
    );
    insta::assert_snapshot!("do_it_for_me_plan_unknown", shown);
}

#[test]
fn a_step_that_makes_nothing_does_not_say_all_is_as_wanted() {
    use ekm_wizard::guide::StepId;
    use ekm_wizard::guide::apply::{Change, Planned};
    let last = aws::cloud().kit().guide().steps.len() - 1;
    let mut model = model_at(Screen::Step(last), SetupPath::Api, &complete());
    update(&mut model, Msg::OpenApply);
    // The whole plan, of which nothing belongs to the last step.
    let plan = vec![Planned {
        id: "key",
        title: "the KMS key".into(),
        step: StepId::new("create-key"),
        change: Change::Unknown {
            why: "could not reach kms.us-east-1.amazonaws.com".into(),
        },
    }];
    update(&mut model, Msg::ApplyPlanned(Ok(plan), Vec::new()));
    let shown = screen(&model);
    assert!(!shown.contains("as the guide wants"), "{shown}");
    assert!(shown.contains("Nothing to plan"), "{shown}");
}
