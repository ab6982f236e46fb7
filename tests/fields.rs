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

#[test]
fn a_full_name_fills_empty_fields_and_is_refused_where_it_differs() {
    let key = "projects/p-123456/locations/us-east1/keyRings/ring-1/cryptoKeys/key-1";
    let mut inputs = inputs_with(gcp::cloud(), &[(gcp::KMS_KEY_NAME, key)]);
    // The empty fields take what the full name gives, before and after they are filled in.
    assert_eq!(inputs.validated(gcp::KMS_KEY_RING_NAME).unwrap(), "ring-1");
    let filled = inputs.fill_implied();
    assert!(filled.contains(&(
        gcp::KMS_KEY_RING_NAME,
        "ring-1".to_string(),
        gcp::KMS_KEY_NAME
    )));
    assert_eq!(inputs.raw(gcp::KMS_PROJECT_ID), "p-123456");
    assert_eq!(inputs.raw(gcp::KMS_KEY_LOCATION), "us-east1");
    assert_eq!(inputs.validated(gcp::KMS_KEY_NAME).unwrap(), "key-1");

    // A recorded field that differs is a conflict on the full name, naming both.
    inputs.set(gcp::KMS_KEY_RING_NAME, "other-ring");
    let said = inputs.validated(gcp::KMS_KEY_NAME).unwrap_err();
    assert_eq!(said.field, gcp::KMS_KEY_NAME);
    assert_eq!(
        said.conflict.as_ref().map(|(field, _)| *field),
        Some(gcp::KMS_KEY_RING_NAME)
    );
    assert!(
        said.to_string().starts_with(
            "Key name: the full name names Key ring name `ring-1`, but Key ring name is `other-ring`: correct one of them"
        ),
        "{said}"
    );
    // The raw text is kept as typed.
    assert_eq!(inputs.raw(gcp::KMS_KEY_NAME), key);

    // Two full names that name the ring differently, the ring empty: both are refused.
    let two = inputs_with(
        gcp::cloud(),
        &[
            (gcp::KMS_KEY_NAME, key),
            (
                gcp::KMS_KEY_LOCATION,
                "projects/p-123456/locations/us-east1/keyRings/ring-2",
            ),
        ],
    );
    for field in [gcp::KMS_KEY_NAME, gcp::KMS_KEY_LOCATION] {
        let said = two.validated(field).unwrap_err().to_string();
        assert!(said.contains("(from the full name in"), "{said}");
    }
}

#[test]
fn id_fields_take_the_full_names_that_hold_their_id() {
    let none = Inputs::new(gcp::cloud());
    assert_eq!(
        none.check(
            gcp::WORKLOAD_IDENTITY_PROJECT_NUMBER,
            "projects/123456789012/locations/global/workloadIdentityPools/pool-1"
        )
        .unwrap(),
        "123456789012"
    );
    let said = refused(
        gcp::WORKLOAD_IDENTITY_PROJECT_NUMBER,
        "projects/my-project/locations/global",
        &none,
    );
    assert!(said.contains("looks like a project id"), "{said}");
    let azure = Inputs::new(azure::cloud());
    let subscription = "0b1f6471-1bf0-4dda-aec3-cb9272f09590";
    for id in [
        format!("/subscriptions/{subscription}"),
        format!(
            "/subscriptions/{subscription}/resourceGroups/rg-ekm/providers/Microsoft.KeyVault/vaults/v-1"
        ),
    ] {
        assert_eq!(
            azure.check(azure::SUBSCRIPTION_ID, &id).unwrap(),
            subscription
        );
    }
    assert_eq!(
        azure
            .check(
                azure::VAULT_URI,
                "https://contoso-ekm.vault.azure.net/keys/org-abc--k/0123"
            )
            .unwrap(),
        "https://contoso-ekm.vault.azure.net/"
    );
    assert_eq!(
        azure
            .check(
                azure::KEY_NAME,
                "https://contoso-ekm.vault.azure.net/keys/org-abc--k/0123"
            )
            .unwrap(),
        "org-abc--k"
    );
    // A vault URI with any other path is still refused.
    let said = refused(
        azure::VAULT_URI,
        "https://contoso-ekm.vault.azure.net/secrets/s",
        &azure,
    );
    assert!(said.contains("has a path"), "{said}");
}
