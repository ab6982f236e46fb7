//! Troubleshooting: every error of OpenAI's FAQ, verbatim and as customers meet it, matched to
//! the right entry and step; texts that must not match; `ekm-wizard explain` end to end.

use ekm_wizard::clouds::{aws, gcp};
use std::io::Write;
use std::process::{Command, Stdio};

use ekm_wizard::explain::{compare, explain};
use ekm_wizard::guide::Inputs;

fn id_of(text: &str) -> Option<String> {
    explain(text).map(|e| e.entry.id.clone())
}

fn assert_entry(id: &str, texts: &[&str]) {
    for text in texts {
        assert_eq!(
            id_of(text).as_deref(),
            Some(id),
            "did not match {id}:\n{text}"
        );
    }
}

#[test]
fn aws_assume_role_denied() {
    assert_entry(
        "aws-assume-role-denied",
        &[
            // The FAQ's text, verbatim.
            "User: arn:aws:sts::xxxxx:assumed-role/EnterpriseKeyManagement/OpenAI-EKM-Service is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::xxxxx:role/xxxxxx",
            // Inside OpenAI's error body, as the registration call answers.
            r#"{"error": {"message": "User: arn:aws:sts::790389265272:assumed-role/EnterpriseKeyManagement/OpenAI-EKM-Service is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::444455556666:role/openai-ekm", "type": "invalid_request_error", "param": null, "code": null}}"#,
            // As the AWS CLI prints it.
            "An error occurred (AccessDenied) when calling the AssumeRole operation: User: arn:aws:sts::790389265272:assumed-role/EnterpriseKeyManagement/OpenAI-EKM-Service is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::123456789012:role/ekm/openai-ekm",
        ],
    );
}

#[test]
fn aws_assume_role_extracts_the_role_and_shows_a_mismatch() {
    let explanation = explain(
        "An error occurred (AccessDenied) when calling the AssumeRole operation: User: arn:aws:sts::790389265272:assumed-role/EnterpriseKeyManagement/OpenAI-EKM-Service is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::444455556666:role/openai-ekn",
    )
    .unwrap();
    assert_eq!(
        explanation.extracted["role_arn"],
        "arn:aws:iam::444455556666:role/openai-ekn"
    );
    assert!(explanation.extracted["caller"].contains("EnterpriseKeyManagement/OpenAI-EKM-Service"));
    let mut inputs = Inputs::new(aws::cloud());
    inputs.set(aws::ROLE_ARN, "arn:aws:iam::444455556666:role/openai-ekm");
    let role = compare(&explanation, &inputs)
        .into_iter()
        .find(|c| c.part == "role_arn")
        .unwrap();
    assert_eq!(
        role.recorded.as_deref(),
        Some("arn:aws:iam::444455556666:role/openai-ekm")
    );
    assert!(role.differs(), "the misspelt role is visible");
    assert_eq!(explanation.entry.step_position().unwrap().0, 2);
    assert!(explanation.entry.may_be_propagation);
}

#[test]
fn aws_kms_denied_for_encrypt_and_decrypt() {
    assert_entry(
        "aws-kms-denied",
        &[
            "User: xxxxx is not authorized to perform: kms:Encrypt on resource",
            "User: arn:aws:sts::111122223333:assumed-role/openai-ekm/OpenAI-EKM-Service is not authorized to perform: kms:Decrypt on resource: arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab because no identity-based policy allows the kms:Decrypt action",
            "{'error': {'message': \"An error occurred (AccessDeniedException) when calling the Encrypt operation: User: arn:aws:sts::111122223333:assumed-role/openai-ekm/OpenAI-EKM-Service is not authorized to perform: kms:Encrypt on resource: arn:aws:kms:eu-west-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab\"}}",
        ],
    );
    let explanation = explain(
        "User: arn:aws:sts::111122223333:assumed-role/r/OpenAI-EKM-Service is not authorized to perform: kms:Decrypt on resource: arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    )
    .unwrap();
    assert_eq!(explanation.extracted["operation"], "Decrypt");
    assert_eq!(
        explanation.extracted["kms_arn"],
        "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    );
}

const GCP_INVALID_AUDIENCE: &str = r#"Failed to acquire GCP STS token for audience //iam.googleapis.com/projects/xxxxxxxxx/locations/global/workloadIdentityPools/xxxxxxx/providers/xxxxxxxxxx: {'error': 'invalid_request', 'error_description': 'Invalid value for \"audience\". This value should be the full resource name of the Identity Provider. See https://cloud.google.com/iam/docs/reference/sts/rest/v1/TopLevel/token for the list of possible formats."#;

#[test]
fn gcp_invalid_audience() {
    assert_entry(
        "gcp-invalid-audience",
        &[
            GCP_INVALID_AUDIENCE,
            // Real ids, unescaped quotes, closed dict.
            r#"Failed to acquire GCP STS token for audience //iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/openai-ekm/providers/openai-ekm-provider: {'error': 'invalid_request', 'error_description': 'Invalid value for "audience". This value should be the full resource name of the Identity Provider. See https://cloud.google.com/iam/docs/reference/sts/rest/v1/TopLevel/token for the list of possible formats.'}"#,
            // Inside OpenAI's JSON error body, with escaped quotes.
            r#"{"error":{"message":"Failed to acquire GCP STS token for audience //iam.googleapis.com/projects/98765/locations/global/workloadIdentityPools/pool-1/providers/prov-1: {'error': 'invalid_request', 'error_description': 'Invalid value for \\\"audience\\\". This value should be the full resource name of the Identity Provider.'}","type":"invalid_request_error","param":null,"code":null}}"#,
        ],
    );
    let explanation = explain(
        r#"Failed to acquire GCP STS token for audience //iam.googleapis.com/projects/my-project/locations/global/workloadIdentityPools/openai-ekm/providers/openai-ekm-provider: {'error': 'invalid_request', 'error_description': 'Invalid value for "audience".'}"#,
    )
    .unwrap();
    assert_eq!(explanation.extracted["project_number"], "my-project");
    assert_eq!(explanation.extracted["pool"], "openai-ekm");
    assert_eq!(explanation.extracted["provider"], "openai-ekm-provider");
    let mut inputs = Inputs::new(gcp::cloud());
    inputs.set(gcp::WORKLOAD_IDENTITY_PROJECT_NUMBER, "123456789012");
    let number = compare(&explanation, &inputs)
        .into_iter()
        .find(|c| c.part == "project_number")
        .unwrap();
    assert!(number.differs());
}

#[test]
fn gcp_audience_mismatch() {
    assert_entry(
        "gcp-audience-mismatch",
        &[
            "Failed to acquire GCP STS token for audience //iam.googleapis.com/projects/xxxxxx/locations/global/workloadIdentityPools/xxxxxxx/providers/xxxxxxxx: {'error': 'invalid_grant', 'error_description': 'The audience in ID Token [xxxxx] does not match the expected audience xxxxxxx.'}",
            r#"{"error": {"message": "Failed to acquire GCP STS token for audience //iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/openai-ekm/providers/openai: {'error': 'invalid_grant', 'error_description': 'The audience in ID Token [org-AbC123] does not match the expected audience https://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/openai-ekm/providers/openai.'}"}}"#,
            "invalid_grant: The audience in ID Token [proj_abc] does not match the expected audience org-abc.",
        ],
    );
    let explanation = explain(
        "The audience in ID Token [proj_abc] does not match the expected audience org-abc.",
    )
    .unwrap();
    assert_eq!(explanation.extracted["token_audience"], "proj_abc");
    assert_eq!(explanation.extracted["expected_audience"], "org-abc");
}

#[test]
fn gcp_sts_and_api_errors() {
    assert_entry(
        "gcp-pool-or-provider-unusable",
        &[
            r#"{"error": "invalid_target", "error_description": "The target service indicated by the \"audience\" parameters is invalid. This might either be because the pool or provider is disabled or deleted or because it doesn't exist."}"#,
            "invalid_target: The target service indicated by the \"audience\" parameters is invalid.",
        ],
    );
    assert_entry(
        "gcp-attribute-condition-rejected",
        &[
            r#"{"error": "unauthorized_client", "error_description": "The given credential is rejected by the attribute condition."}"#,
            "unauthorized_client\r\nThe given credential is rejected by the attribute condition.",
        ],
    );
    assert_entry(
        "gcp-kms-disabled",
        &[
            r#"{"error": {"code": 403, "message": "Cloud Key Management Service (KMS) API has not been used in project 123456789012 before or it is disabled.", "status": "PERMISSION_DENIED", "details": [{"reason": "SERVICE_DISABLED"}]}}"#,
            "reason: SERVICE_DISABLED",
        ],
    );
    assert_entry(
        "gcp-kms-permission-denied",
        &[
            r#"{"error": {"code": 403, "message": "Permission 'cloudkms.cryptoKeyVersions.useToEncrypt' denied on resource 'projects/p/locations/us-east1/keyRings/r/cryptoKeys/k' (or it may not exist).", "status": "PERMISSION_DENIED"}}"#,
            "google.api_core.exceptions.PermissionDenied: 403 Permission 'cloudkms.cryptoKeyVersions.useToDecrypt' denied on resource 'projects/adjective-noun-12345/locations/global/keyRings/ring/cryptoKeys/key' (or it may not exist).",
        ],
    );
    let explanation = explain("Permission 'cloudkms.cryptoKeyVersions.useToDecrypt' denied on resource 'projects/p/locations/l/keyRings/r/cryptoKeys/k' (or it may not exist).").unwrap();
    assert_eq!(
        explanation.extracted["permission"],
        "cloudkms.cryptoKeyVersions.useToDecrypt"
    );
}

#[test]
fn azure_errors_from_the_faq() {
    assert_entry(
        "azure-missing-service-principal",
        &[
            "The client application xxxxx is missing service principal in the tenant xxxxx. See instructions here: https://go.microsoft.com/fwlink/?linkid=2225119",
            "AADSTS7000229: The client application 20a14814-5ab7-4612-a671-1382b412bf93 is missing service principal in the tenant 72f988bf-86f1-41af-91ab-2d7cd011db47. See instructions here: https://go.microsoft.com/fwlink/?linkid=2225119\r\nTrace ID: 1f2e\r\nCorrelation ID: 3c4d",
            r#"{"error":"invalid_client","error_description":"AADSTS7000229: The client application 20a14814-5ab7-4612-a671-1382b412bf93 is missing service principal in the tenant 72f988bf-86f1-41af-91ab-2d7cd011db47.\r\nTrace ID: x"}"#,
        ],
    );
    let explanation = explain("AADSTS7000229: The client application 20a14814-5ab7-4612-a671-1382b412bf93 is missing service principal in the tenant 72f988bf-86f1-41af-91ab-2d7cd011db47.").unwrap();
    assert_eq!(
        explanation.extracted["tenant_id"],
        "72f988bf-86f1-41af-91ab-2d7cd011db47"
    );
    assert_entry(
        "azure-caller-not-authorized",
        &[
            "Caller is not authorized to perform action on resource. If role assignments, deny assignments or role definitions were changed recently, please observe propagation time.",
            r#"{"error":{"code":"Forbidden","message":"Caller is not authorized to perform action on resource.\r\nIf role assignments, deny assignments or role definitions were changed recently, please observe propagation time.\r\nCaller: appid=20a14814-5ab7-4612-a671-1382b412bf93;oid=x\r\nAction: 'Microsoft.KeyVault/vaults/keys/encrypt/action'","innererror":{"code":"ForbiddenByRbac"}}}"#,
            "(Forbidden) Caller is not authorized to perform action on resource.\nIf role assignments, deny assignments or role definitions were changed recently, please observe propagation time.\nCode: Forbidden\nInner error: {\"code\": \"ForbiddenByRbac\"}",
        ],
    );
    assert_entry(
        "azure-key-name-pattern",
        &[
            "\"Invalid 'key_name': string does not match pattern. Expected a string that matches the pattern '^org-[0-9a-zA-Z-]*--[0-9a-zA-Z-]*$'.\"",
            r#"{"error": {"message": "Invalid 'key_name': string does not match pattern. Expected a string that matches the pattern '^org-[0-9a-zA-Z-]*--[0-9a-zA-Z-]*$'.", "type": "invalid_request_error", "param": "key_name", "code": "invalid_value"}}"#,
            "Invalid 'key_name':\r\n string does not match pattern.",
        ],
    );
}

#[test]
fn azure_key_vault_errors() {
    assert_entry(
        "azure-key-not-found",
        &[
            r#"{"error":{"code":"KeyNotFound","message":"A key with (name/id) org-abc--ekm was not found in this key vault. If you recently deleted this key you may be able to recover it using the correct recovery command."}}"#,
            "(KeyNotFound) A key with (name/id) org-abc--ekm/ was not found in this key vault.",
        ],
    );
    assert_entry(
        "azure-forbidden-by-firewall",
        &[
            r#"{"error":{"code":"Forbidden","message":"Client address is not authorized and caller is not a trusted service.\r\nClient address: 203.0.113.9","innererror":{"code":"ForbiddenByFirewall"}}}"#,
            "Inner error: {\"code\": \"ForbiddenByFirewall\"}",
        ],
    );
}

#[test]
fn texts_that_must_not_match() {
    for text in [
        "",
        "Everything worked: extkey_123 registered.",
        "User: arn:aws:iam::123456789012:user/alice is authorized to perform: kms:Encrypt",
        "An error occurred (ThrottlingException) when calling the Encrypt operation: Rate exceeded",
        "The audience of the talk was large.",
        "Caller is authorized.",
        "connection refused",
        "Invalid 'name': string too long",
    ] {
        assert_eq!(id_of(text), None, "matched: {text}");
    }
}

fn explain_binary(args: &[&str], stdin: Option<&str>) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ekm-wizard"))
        .arg("explain")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        let mut input = child.stdin.take().unwrap();
        input.write_all(stdin.unwrap_or("").as_bytes()).unwrap();
    }
    child.wait_with_output().unwrap()
}

#[test]
fn explain_prints_the_entry_as_json() {
    let output = explain_binary(&[GCP_INVALID_AUDIENCE, "--json"], None);
    assert_eq!(output.status.code(), Some(0));
    let document: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(document["matched"], true);
    let entry = &document["entry"];
    assert_eq!(entry["id"], "gcp-invalid-audience");
    assert_eq!(entry["cloud"], "gcp");
    assert_eq!(entry["step"], "federated-identity");
    assert_eq!(entry["may_be_propagation"], false);
    assert!(entry["fixes"].as_array().unwrap().len() >= 3);
    assert!(entry["title"].is_string() && entry["meaning"].is_string());
    assert_eq!(document["extracted"]["pool"], "xxxxxxx");
}

#[test]
fn explain_reads_standard_input_and_prints_for_people() {
    let output = explain_binary(
        &[],
        Some(
            "Caller is not authorized to perform action on resource.\r\nIf role assignments, deny assignments or role definitions were changed recently, please observe propagation time.",
        ),
    );
    assert_eq!(output.status.code(), Some(0));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("OpenAI may not use the key"), "{text}");
    assert!(text.contains("1. "), "{text}");
    assert!(
        text.contains("Step to revisit: Azure Key Vault, step 4"),
        "{text}"
    );
    assert!(text.contains("propagat"), "{text}");
}

#[test]
fn explain_says_so_when_nothing_matches_and_exits_1() {
    let output = explain_binary(&["all good"], None);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stdout).contains("No known EKM error"));
    let output = explain_binary(&["all good", "--json"], None);
    assert_eq!(output.status.code(), Some(1));
    let document: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        document,
        serde_json::json!({"matched": false, "entry": null, "extracted": {}})
    );
}

#[test]
fn the_wizards_own_check_failures_are_explained() {
    for (detail, id) in [
        (
            "Trust policy: sts:ExternalId is org-other but OpenAI will present org-abc",
            "aws-check-trust-external-id",
        ),
        (
            "Trust policy: OpenAI's principal is trusted without a StringEquals sts:ExternalId condition: add it with org-abc",
            "aws-check-trust-external-id",
        ),
        (
            "Trust policy: it trusts arn:aws:iam::444455556666:root but not OpenAI's principal arn:aws:iam::790389265272:role/EnterpriseKeyManagement",
            "aws-check-trust-principal",
        ),
        (
            "Trust policy: statement #2 (no Sid) lets OpenAI's principal assume the role when sts:ExternalId is org-Wrong999 but OpenAI will present org-abc for you. Only OpenAI's principal, with exactly sts:ExternalId org-abc, should be let in: otherwise another organization's requests through OpenAI (or anyone) may use your key. Replace these statements with the one of step 3",
            "aws-check-trust-loose",
        ),
        (
            "Trust policy: arn:aws:iam::790389265272:role/EnterpriseKeyManagement may assume the role with sts:ExternalId org-abc, but the role admits more than OpenAI: statement Partner trusts arn:aws:iam::444455556666:root.",
            "aws-check-trust-others",
        ),
        (
            "Role exists: no role named openai-ekm in account 123456789012: check the role ARN",
            "aws-check-role-missing",
        ),
        (
            "Role permissions: kms:Decrypt is not allowed on arn:aws:kms:us-east-1:1:key/x",
            "aws-check-permissions",
        ),
        (
            "Role permissions: kms:Decrypt is explicitly denied by statement NoDecrypt",
            "aws-check-permissions",
        ),
        (
            "Key policy: it neither grants the account root nor the role: the IAM policy alone has no effect.",
            "aws-check-key-policy",
        ),
        (
            "Key policy: statement OpenAIRole (AROARZPUZDIKFPYM33AOL) names a role by the unique id AWS shows once that role is deleted: a role made again under the same name is not the old one, and the key policy grants it nothing.",
            "aws-check-key-policy-deleted-role",
        ),
        (
            "Key policy: it grants arn:aws:iam::123456789012:root, so IAM policies decide; but the key policy grants more than the guide: statement Everyone grants kms:Encrypt or kms:Decrypt to anyone (\"*\")",
            "aws-check-key-policy-wide",
        ),
        (
            "KMS key: arn:aws:kms:us-east-1:1:key/x: the key is Disabled (it must be Enabled)",
            "aws-check-key-state",
        ),
        (
            "KMS key: arn: the key is ECC_NIST_P256, not a symmetric key (SYMMETRIC_DEFAULT)",
            "aws-check-key-state",
        ),
        (
            "KMS key: no key key/abc in account 123456789012, region us-east-1: check the ARN",
            "aws-check-key-missing",
        ),
    ] {
        assert_eq!(id_of(detail).as_deref(), Some(id), "{detail}");
    }
}

#[test]
fn what_admins_meet_beyond_the_faq_is_explained_at_its_step() {
    for (text, id, step) in [
        (
            "AADSTS700016: Application with identifier '20a14814-5ab7-4612-a671-1382b412bf93' was not found in the directory 'Contoso'. This can happen if the application has not been installed by the administrator of the tenant.",
            "azure-app-not-in-tenant",
            "service-principal",
        ),
        (
            "An error occurred (DisabledException) when calling the Encrypt operation: arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab is disabled.",
            "aws-key-disabled",
            "create-key",
        ),
        (
            "An error occurred (KMSInvalidStateException) when calling the Encrypt operation: arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab is pending deletion.",
            "aws-key-pending-deletion",
            "create-key",
        ),
        (
            "An error occurred (AccessDeniedException) when calling the Encrypt operation: User: arn:aws:sts::111122223333:assumed-role/openai-ekm/OpenAI-EKM-Service is not authorized to perform: kms:Encrypt on resource: arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab with an explicit deny in a service control policy",
            "aws-explicit-deny",
            "iam-policy",
        ),
        (
            r#"{"error":{"code":403,"message":"Permission 'cloudkms.cryptoKeyVersions.useToEncrypt' denied on resource 'projects/p/locations/us-east1/keyRings/r/cryptoKeys/k' (or it may not exist).","status":"PERMISSION_DENIED","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"IAM_PERMISSION_DENIED"}]}}"#,
            "gcp-kms-permission-denied",
            "grant",
        ),
        (
            r#"{"error":{"code":403,"message":"Cloud Key Management Service (KMS) API has not been used in project 123456789012 before or it is disabled.","status":"PERMISSION_DENIED","details":[{"reason":"SERVICE_DISABLED"}]}}"#,
            "gcp-kms-disabled",
            "enable-kms",
        ),
        (
            r#"{"error":{"code":"Forbidden","message":"Caller is not authorized to perform action on resource.","innererror":{"code":"ForbiddenByRbac"}}}"#,
            "azure-caller-not-authorized",
            "role-assignment",
        ),
    ] {
        let explanation = explain(text).unwrap_or_else(|| panic!("nothing explains {text}"));
        assert_eq!(explanation.entry.id, id, "{text}");
        assert_eq!(
            explanation.entry.step.map(|s| s.key()),
            Some(step),
            "{text}"
        );
    }
    let deny = explain(
        "is not authorized to perform: kms:Decrypt with an explicit deny in a permissions boundary",
    )
    .unwrap();
    assert!(
        deny.entry.meaning.contains("permissions boundary")
            && deny.entry.meaning.contains("service control policy"),
        "the entry names what may cause an explicit deny"
    );
}
