//! Property tests: no validator, generator, reader or matcher panics on any input; generated
//! documents always parse; a value a validator accepts reaches the artifact unchanged.

use ekm_wizard::app::model::{Model, Screen, StartOptions};
use ekm_wizard::app::{Msg, update, view};
use ekm_wizard::artifacts::{self, ArtifactBody};
use ekm_wizard::clouds::{aws, azure, gcp};
use ekm_wizard::guide::{Cloud, FieldId, Inputs, SetupPath};
use proptest::prelude::*;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn any_cloud() -> impl Strategy<Value = Cloud> {
    prop_oneof![Just(aws::cloud()), Just(gcp::cloud()), Just(azure::cloud())]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn validators_never_panic(text in ".{0,300}") {
        for cloud in ekm_wizard::clouds::all() {
            let inputs = Inputs::new(cloud);
            for spec in cloud.all_fields() {
                let _ = inputs.check(spec.id, &text);
            }
        }
    }

    #[test]
    fn generated_documents_always_parse(
        cloud in any_cloud(),
        values in proptest::collection::vec(".{0,80}", 16),
    ) {
        let mut inputs = Inputs::new(cloud);
        for (spec, value) in cloud.all_fields().zip(values) {
            inputs.set(spec.id, value);
        }
        for path in SetupPath::ALL {
            for step in &cloud.guide().steps {
                for artifact in step.artifacts_for(path) {
                    if let Ok(body) = artifacts::generate(cloud, artifact, &inputs, path)
                        && let ArtifactBody::Json(_) = body {
                            let text = body.to_text();
                            prop_assert!(serde_json::from_str::<serde_json::Value>(&text).is_ok());
                        }
                }
            }
        }
    }

    #[test]
    fn accepted_aws_values_reach_the_registration_unchanged(
        org in "org-[A-Za-z0-9-]{1,24}",
        region in "(us|eu|ap)-(east|west|central|south)-[1-3]",
        account in "[0-9]{12}",
        key in "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        role in "[A-Za-z0-9+=,.@_-]{1,64}",
        name in "[A-Za-z0-9 ]{0,40}[A-Za-z0-9]",
    ) {
        let kms = format!("arn:aws:kms:{region}:{account}:key/{key}");
        let role_arn = format!("arn:aws:iam::{account}:role/{role}");
        let mut inputs = Inputs::new(aws::cloud());
        inputs.set(FieldId::ORG_ID, org.clone());
        inputs.set(aws::KMS_ARN, kms.clone());
        inputs.set(aws::ROLE_ARN, role_arn.clone());
        inputs.set(FieldId::NAME, name.clone());
        let body = match artifacts::generate(aws::cloud(), ekm_wizard::guide::ArtifactId::REGISTRATION_BODY, &inputs, SetupPath::Api) {
            Ok(ArtifactBody::Json(body)) => body,
            other => return Err(TestCaseError::fail(format!("{other:?}"))),
        };
        prop_assert_eq!(&body["kms_arn"], &serde_json::Value::String(kms));
        prop_assert_eq!(&body["role_arn"], &serde_json::Value::String(role_arn));
        prop_assert_eq!(&body["external_id"], &serde_json::Value::String(org));
        prop_assert_eq!(&body["name"], &serde_json::Value::String(name.trim().to_string()));
    }

    #[test]
    fn accepted_azure_key_names_reach_the_registration_unchanged(
        org in "org-[A-Za-z0-9]{1,16}",
        rest in "[A-Za-z0-9-]{1,30}",
        tenant in "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
    ) {
        let key = format!("{org}--{rest}");
        let mut inputs = Inputs::new(azure::cloud());
        inputs.set(FieldId::ORG_ID, org);
        inputs.set(azure::TENANT_ID, tenant.clone());
        inputs.set(azure::VAULT_URI, "contoso-ekm");
        inputs.set(azure::KEY_NAME, key.clone());
        let body = match artifacts::generate(azure::cloud(), ekm_wizard::guide::ArtifactId::REGISTRATION_BODY, &inputs, SetupPath::Api) {
            Ok(ArtifactBody::Json(body)) => body,
            other => return Err(TestCaseError::fail(format!("{other:?}"))),
        };
        prop_assert_eq!(&body["key_name"], &serde_json::Value::String(key));
        prop_assert_eq!(&body["tenant_id"], &serde_json::Value::String(tenant));
    }

    #[test]
    fn readers_and_matchers_never_panic(text in ".{0,2000}") {
        let _ = ekm_wizard::session::parse(&text);
        let _ = ekm_wizard::explain::explain(&text);
        let _ = ekm_wizard::secrets::redact(&text);
        let _ = ekm_wizard::clouds::aws::policy::Policy::parse(&text);
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("config.json");
        std::fs::write(&file, &text).unwrap();
        let _ = ekm_wizard::inputs::read_config(&file, aws::cloud());
    }

    #[test]
    fn any_typed_text_draws_at_any_size(
        text in ".{0,400}",
        width in 1u16..220,
        height in 1u16..70,
    ) {
        let mut model = Model::new(StartOptions { width, height, ..Default::default() });
        model.set_field(FieldId::ORG_ID, "org-abc");
        model.screen = Screen::Step(0);
        update(&mut model, Msg::PasteIntoField(text));
        update(&mut model, Msg::TerminalResized { width, height });
        let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
        terminal.draw(|frame| view::draw(frame, &model)).unwrap();
    }
}

#[test]
fn a_100_kb_paste_into_a_field_and_into_the_explain_screen_is_handled() {
    let big = "arn:aws:kms:".repeat(100_000 / 12);
    let mut model = Model::new(StartOptions {
        width: 80,
        height: 24,
        ..Default::default()
    });
    model.set_field(FieldId::ORG_ID, "org-abc");
    model.screen = Screen::Step(0);
    update(&mut model, Msg::PasteIntoField(big.clone()));
    // Longer than any value of a field: refused, and said, without the paste on screen.
    assert_eq!(model.field_text(aws::KMS_ARN), "");
    let said = &model.status.as_ref().unwrap().text;
    assert!(
        said.contains("KMS key ARN") && said.contains("characters long"),
        "{said}"
    );
    update(&mut model, Msg::OpenExplainScreen);
    update(&mut model, Msg::PasteIntoField(big));
    for (width, height) in [(80, 24), (20, 5), (200, 60)] {
        update(&mut model, Msg::TerminalResized { width, height });
        let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
        terminal.draw(|frame| view::draw(frame, &model)).unwrap();
    }
}

/// A character a terminal would act on rather than show.
fn acts_on_a_terminal(c: char) -> bool {
    let code = c as u32;
    let control = code < 0x20 && c != '\n' && c != '\t';
    let bidi = (0x202a..=0x202e).contains(&code)
        || (0x2066..=0x2069).contains(&code)
        || matches!(code, 0x200e | 0x200f | 0x061c);
    control || code == 0x7f || (0x80..=0x9f).contains(&code) || bidi
}

proptest! {
    /// Whatever bytes come from outside, what is shown holds no character that acts on a
    /// terminal: no C0 control but newline and tab, no DEL, no C1, no bidirectional override.
    #[test]
    fn outside_text_never_reaches_the_terminal_raw(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let text = String::from_utf8_lossy(&bytes);
        for shown in [
            ekm_wizard::secrets::visible(&text),
            ekm_wizard::secrets::one_line(&text, 120),
        ] {
            for c in shown.chars() {
                prop_assert!(!acts_on_a_terminal(c), "{:?} in {:?}", c, shown);
            }
        }
        prop_assert!(!ekm_wizard::secrets::one_line(&text, 120).contains('\n'));
    }
}
