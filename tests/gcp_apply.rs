//! `ekm-wizard apply gcp` against a stateful stand-in of Google's REST APIs (written from
//! their references): from an empty project to `check` verified, through a resource not yet
//! visible, an etag conflict and long-running operations; a second run writes nothing; a
//! refused write stops the run and the next run continues from there.

mod support;

use std::process::Command;

use serde_json::{Value, json};
use support::google::{FLAGS, KMS_PROJECT, NUMBER, TOKEN, principal};
use support::google_world::GoogleWorld;

fn apply(world: &GoogleWorld, state: &std::path::Path) -> (Option<i32>, Value) {
    let home = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_ekm-wizard"))
        .args(["apply", "gcp"])
        .args(FLAGS)
        .args(["--yes", "--json", "--timeout", "10"])
        .env("EKM_GCP_API_URL", world.fake.base())
        .env("EKM_GCP_ACCESS_TOKEN", TOKEN)
        .env("CLOUDSDK_CONFIG", home.path())
        .env("EKM_WIZARD_STATE_DIR", state)
        .env_remove("GOOGLE_APPLICATION_CREDENTIALS")
        .output()
        .unwrap();
    let report = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (output.status.code(), report)
}

fn change_of<'a>(report: &'a Value, id: &str) -> &'a str {
    report["plan"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == id)
        .and_then(|p| p["change"].as_str())
        .unwrap_or_else(|| panic!("no {id} in {report:#}"))
}

const KEY: &str = "cloudkms.googleapis.com/v1/projects/adjective-noun-12345/locations/us-east1/keyRings/openai-kms-key-ring/cryptoKeys/openai-kms-key";

#[test]
fn from_an_empty_project_to_verified_through_settling_and_a_conflict_then_nothing_to_do() {
    let world = GoogleWorld::empty(KMS_PROJECT);
    world.world.lock().unwrap().concurrent_change = true;
    let state = tempfile::tempdir().unwrap();
    let (code, report) = apply(&world, state.path());
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["verdict"], "verified", "{report:#}");
    for id in [
        "kms-api", "pool", "provider", "key-ring", "key", "role", "binding",
    ] {
        assert_eq!(change_of(&report, id), "create", "{id}");
    }
    // The provider is the guide's.
    let provider = world
        .get(&format!("iam.googleapis.com/v1/projects/{NUMBER}/locations/global/workloadIdentityPools/openai-ekm/providers/openai-ekm-provider"))
        .unwrap();
    assert_eq!(provider["oidc"]["issuerUri"], "https://accounts.google.com");
    assert_eq!(provider["oidc"]["allowedAudiences"], json!(["org-abc123"]));
    assert_eq!(
        provider["attributeMapping"]["google.subject"],
        "assertion.sub"
    );
    assert!(
        provider["attributeCondition"]
            .as_str()
            .unwrap()
            .contains("105900137572174660365")
    );
    // The concurrent binding survived the conflict, beside OpenAI's.
    let policy = world.get(&format!("{KEY}:policy")).unwrap();
    let bindings = policy["bindings"].as_array().unwrap();
    assert!(
        bindings
            .iter()
            .any(|b| b["members"] == json!(["user:auditor@example.com"]))
    );
    assert!(bindings.iter().any(|b| {
        b["members"]
            .as_array()
            .unwrap()
            .contains(&json!(principal()))
    }));
    let sets = world
        .writes()
        .iter()
        .filter(|s| s.path.ends_with(":setIamPolicy"))
        .count();
    assert!(sets >= 2, "the conflict was read again and retried");
    let provider_creates = world
        .writes()
        .iter()
        .filter(|s| s.path.ends_with("/providers"))
        .count();
    assert_eq!(
        provider_creates, 2,
        "the pool was not visible at first: asked again"
    );
    let key = world.get(KEY).unwrap();
    assert_eq!(key["purpose"], "ENCRYPT_DECRYPT");
    assert_eq!(key["rotationPeriod"], "7776000s");

    let before = world.writes().len();
    let (code, again) = apply(&world, state.path());
    assert_eq!(code, Some(0), "{again:#}");
    assert_eq!(world.writes().len(), before, "a second run writes nothing");
    for planned in again["plan"].as_array().unwrap() {
        assert_eq!(planned["change"], "as-wanted", "{planned}");
    }
}

#[test]
fn a_refused_write_stops_the_run_naming_the_permission_and_the_next_run_continues() {
    let world = GoogleWorld::empty(KMS_PROJECT);
    world.world.lock().unwrap().refuse = Some((
        "POST".into(),
        format!("projects/{KMS_PROJECT}/roles"),
        "iam.roles.create".into(),
    ));
    let state = tempfile::tempdir().unwrap();
    let (code, report) = apply(&world, state.path());
    assert_eq!(code, Some(1), "{report:#}");
    let stopped = report["stopped"].as_str().unwrap();
    assert!(stopped.contains("stopped at the custom role"), "{stopped}");
    assert!(stopped.contains("remaining: binding"), "{stopped}");
    let refused = report["done"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["applied"]["outcome"] == "refused")
        .unwrap();
    assert!(
        refused["applied"]["why"]
            .as_str()
            .unwrap()
            .contains("iam.roles.create is not allowed")
    );
    assert!(
        world.get(KEY).is_some(),
        "what was made before the refusal stays"
    );

    world.world.lock().unwrap().refuse = None;
    let (code, report) = apply(&world, state.path());
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(change_of(&report, "key"), "as-wanted");
    assert_eq!(change_of(&report, "role"), "create");
    assert_eq!(change_of(&report, "binding"), "create");
}

#[test]
fn a_throttled_create_is_waited_out_and_a_failed_one_is_never_sent_twice() {
    use support::fake_cloud::Reply;
    let world = GoogleWorld::empty(KMS_PROJECT);
    let rings =
        format!("/cloudkms.googleapis.com/v1/projects/{KMS_PROJECT}/locations/us-east1/keyRings");
    world.fake.queue(
        "POST",
        &rings,
        vec![
            Reply::google(
                429,
                "RESOURCE_EXHAUSTED",
                "Quota exceeded for quota metric 'Write requests'.",
            )
            .header("retry-after", "1"),
        ],
    );
    let keys = format!("{rings}/openai-kms-key-ring/cryptoKeys");
    world.fake.queue(
        "POST",
        &keys,
        vec![Reply::google(
            503,
            "UNAVAILABLE",
            "The service is currently unavailable.",
        )],
    );
    let state = tempfile::tempdir().unwrap();
    let (code, report) = apply(&world, state.path());
    assert_eq!(code, Some(1), "{report:#}");
    let posts = |path: &str| {
        world
            .fake
            .seen()
            .iter()
            .filter(|s| s.method == "POST" && s.path == path)
            .count()
    };
    assert_eq!(posts(&rings), 2, "the throttled create was sent again");
    assert!(
        world
            .get(&format!(
                "{}/openai-kms-key-ring",
                rings.trim_start_matches('/')
            ))
            .is_some()
    );
    assert_eq!(
        posts(&keys),
        1,
        "a create that failed otherwise is not repeated blindly"
    );
    assert!(
        report["stopped"]
            .as_str()
            .unwrap()
            .contains("stopped at the key")
    );
    // The next run looks first, and makes it.
    let (code, report) = apply(&world, state.path());
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(change_of(&report, "key-ring"), "as-wanted");
}

#[test]
fn a_service_that_could_not_be_read_leaves_it_and_what_needs_it_unknown() {
    use support::fake_cloud::Reply;
    let world = GoogleWorld::empty(KMS_PROJECT);
    // Whether Cloud KMS is on cannot be read: nothing of the key can be known either.
    let service = format!(
        "/serviceusage.googleapis.com/v1/projects/{KMS_PROJECT}/services/cloudkms.googleapis.com"
    );
    world.fake.on(
        "GET",
        &service,
        Reply::google(
            403,
            "PERMISSION_DENIED",
            "Permission 'serviceusage.services.get' denied on resource (or it may not exist).",
        ),
    );
    let state = tempfile::tempdir().unwrap();
    let (code, report) = apply(&world, state.path());
    assert_eq!(code, Some(3), "{report:#}");
    for id in ["kms-api", "key-ring", "key", "binding"] {
        assert_eq!(change_of(&report, id), "unknown", "{id}: {report:#}");
    }
    assert_eq!(change_of(&report, "pool"), "create");
    assert!(
        !world.fake.seen().iter().any(|s| s.method != "GET"),
        "nothing written while something is unknown"
    );
}
