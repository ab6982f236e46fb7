//! Each cloud's fields through `Inputs`, as the wizard and the headless commands use them: the
//! classic mix-ups are named, full resource names give their id, broken lines are joined.

use ekm_wizard::clouds::{aws, azure, gcp};
use ekm_wizard::guide::validate::cleaning_note;
use ekm_wizard::guide::{Cloud, FieldId, Inputs};

fn inputs_with(cloud: Cloud, values: &[(FieldId, &str)]) -> Inputs {
    let mut inputs = Inputs::new(cloud);
    for (field, value) in values {
        inputs.set(*field, *value);
    }
    inputs
}

fn refused(field: FieldId, value: &str, inputs: &Inputs) -> String {
    inputs.check(field, value).expect_err(value).to_string()
}

#[test]
fn classic_mix_ups_are_named() {
    let org = [(FieldId::ORG_ID, "org-abc123")];
    let on_aws = inputs_with(aws::cloud(), &org);
    let said = refused(
        aws::ROLE_ARN,
        "arn:aws:iam::790389265272:role/EnterpriseKeyManagement",
        &on_aws,
    );
    assert!(said.contains("OpenAI's own role"), "{said}");
    assert!(said.starts_with("Role ARN"), "named by its label: {said}");
    let on_azure = inputs_with(azure::cloud(), &org);
    let said = refused(
        azure::TENANT_ID,
        "20a14814-5ab7-4612-a671-1382b412bf93",
        &on_azure,
    );
    assert!(said.contains("OpenAI's application id"), "{said}");
    let said = refused(aws::EXTERNAL_ID, "org-someoneelse", &on_aws);
    assert!(said.contains("another organization's id"), "{said}");
    assert!(on_aws.check(aws::EXTERNAL_ID, "org-abc123").is_ok());
    assert!(on_aws.check(aws::EXTERNAL_ID, "proj_Abc1").is_ok());
    let on_gcp = inputs_with(gcp::cloud(), &org);
    let said = refused(gcp::AUDIENCE, "org-someoneelse", &on_gcp);
    assert!(said.contains("another organization's id"), "{said}");
    let said = refused(gcp::KMS_KEY_LOCATION, "us-east-1", &on_gcp);
    assert!(said.contains("AWS region"), "{said}");
    assert!(on_gcp.check(gcp::KMS_KEY_LOCATION, "us-east1").is_ok());
    let said = refused(
        gcp::WORKLOAD_IDENTITY_PROJECT_NUMBER,
        "105900137572174660365",
        &on_gcp,
    );
    assert!(said.contains("OpenAI's service account id"), "{said}");
    let alias = inputs_with(
        aws::cloud(),
        &[(
            aws::KMS_ARN,
            "arn:aws:kms:us-east-1:111122223333:alias/openai-ekm",
        )],
    );
    let said = refused(
        aws::KEY_ARN,
        "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        &alias,
    );
    assert!(said.contains("the alias is in"), "{said}");
}

#[test]
fn a_field_of_another_cloud_is_refused_by_name() {
    let on_aws = Inputs::new(aws::cloud());
    let said = refused(
        azure::TENANT_ID,
        "72f988bf-86f1-41af-91ab-2d7cd011db47",
        &on_aws,
    );
    assert!(said.contains("not a field of AWS KMS"), "{said}");
}

#[test]
fn full_names_give_their_id_and_broken_lines_are_joined() {
    let none = Inputs::new(gcp::cloud());
    let name = "projects/p-1/locations/us-east1/keyRings/ring-1/cryptoKeys/key-1";
    assert_eq!(none.check(gcp::KMS_KEY_NAME, name).unwrap(), "key-1");
    assert_eq!(none.check(gcp::KMS_KEY_RING_NAME, name).unwrap(), "ring-1");
    assert_eq!(none.check(gcp::KMS_KEY_LOCATION, name).unwrap(), "us-east1");
    assert_eq!(
        none.check(gcp::KMS_PROJECT_ID, "projects/adjective-noun-12345")
            .unwrap(),
        "adjective-noun-12345"
    );
    let provider = "//iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/pool-1/providers/prov-1";
    assert_eq!(
        none.check(gcp::WORKLOAD_IDENTITY_POOL_ID, provider)
            .unwrap(),
        "pool-1"
    );
    assert_eq!(
        none.check(gcp::WORKLOAD_IDENTITY_PROVIDER_ID, provider)
            .unwrap(),
        "prov-1"
    );
    let on_aws = Inputs::new(aws::cloud());
    let broken = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-\n34cd-56ef-1234567890ab";
    let recorded = on_aws.check(aws::KMS_ARN, broken).unwrap();
    assert_eq!(
        recorded,
        "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    );
    assert_eq!(
        cleaning_note(broken, &recorded),
        Some("spaces and line breaks removed")
    );
    assert_eq!(
        cleaning_note(name, "key-1"),
        Some("the id taken from the full name")
    );
}
