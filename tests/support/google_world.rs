//! A stateful stand-in of the Google REST resources the GCP setup makes, written from
//! Google's published references: Service Usage (`services.get`, `services.enable` returning
//! an Operation), IAM workload identity pools and providers (`create` with
//! `?workloadIdentityPoolId=` / `?workloadIdentityPoolProviderId=`, long-running Operations,
//! `patch` with `updateMask`), custom roles (`projects.roles.create` with `roleId`, `patch`),
//! Cloud KMS key rings and keys (`create` with `?keyRingId=` / `?cryptoKeyId=`, 409
//! ALREADY_EXISTS), and a key's IAM policy (`getIamPolicy`, `setIamPolicy` with the etag:
//! a stale etag is 409 ABORTED). It also models what makes applying hard: a resource just
//! made not visible for a moment, a concurrent change to the policy, and a refused write.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use super::fake_cloud::{FakeCloud, Reply, Seen};
use super::google::NUMBER;

#[derive(Default)]
pub struct World {
    /// Every resource by `host/v1/relative-name`.
    pub resources: BTreeMap<String, Value>,
    /// Resources made a moment ago that Google does not show to a dependent call yet: the
    /// first such call gets 404 (or, for a role in a policy, 400), then they are visible.
    pub settling: BTreeSet<String>,
    /// The next setIamPolicy meets a concurrent change: the etag moves on and someone
    /// else's binding appears.
    pub concurrent_change: bool,
    /// A write refused with 403: (method, path ending, the permission).
    pub refuse: Option<(String, String, String)>,
    pub etag_serial: u32,
}

pub struct GoogleWorld {
    pub fake: FakeCloud,
    pub world: Arc<Mutex<World>>,
}

fn not_found(path: &str) -> Reply {
    Reply::google(
        404,
        "NOT_FOUND",
        &format!("Resource '{path}' was not found"),
    )
}

/// The relative name (`projects/…`) of a stored key `host/v1/projects/…`.
fn relative(key: &str) -> String {
    key.split_once("/v1/")
        .map(|(_, r)| r.to_string())
        .unwrap_or_default()
}

fn query_value(query: &str, name: &str) -> Option<String> {
    query
        .split('&')
        .filter_map(|p| p.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

impl GoogleWorld {
    /// An empty project: Cloud KMS off, nothing made; the pool's project answers.
    pub fn empty(kms_project: &str) -> GoogleWorld {
        let fake = FakeCloud::start();
        let world = Arc::new(Mutex::new(World::default()));
        {
            let mut w = world.lock().unwrap();
            w.resources.insert(
                format!("serviceusage.googleapis.com/v1/projects/{kms_project}/services/cloudkms.googleapis.com"),
                json!({"name": format!("projects/{kms_project}/services/cloudkms.googleapis.com"), "state": "DISABLED"}),
            );
            w.resources.insert(
                format!("serviceusage.googleapis.com/v1/projects/{NUMBER}/services/cloudkms.googleapis.com"),
                json!({"name": format!("projects/{NUMBER}/services/cloudkms.googleapis.com"), "state": "ENABLED"}),
            );
            w.resources.insert(
                format!("cloudresourcemanager.googleapis.com/v3/projects/{NUMBER}"),
                json!({"name": format!("projects/{NUMBER}"), "projectId": "pool-project", "state": "ACTIVE"}),
            );
        }
        for method in ["GET", "POST", "PATCH"] {
            let shared = Arc::clone(&world);
            fake.on_prefix(method, "/", move |seen| {
                let mut world = shared.lock().unwrap();
                answer(&mut world, seen)
            });
        }
        GoogleWorld { fake, world }
    }

    pub fn get(&self, key: &str) -> Option<Value> {
        self.world.lock().unwrap().resources.get(key).cloned()
    }

    pub fn writes(&self) -> Vec<Seen> {
        self.fake
            .seen()
            .into_iter()
            .filter(|s| {
                s.method != "GET" && !s.path.ends_with(":encrypt") && !s.path.ends_with(":decrypt")
            })
            .collect()
    }
}

fn answer(world: &mut World, seen: &Seen) -> Reply {
    let key = seen.path.trim_start_matches('/').to_string();
    let body = seen.json();
    if seen.method != "GET"
        && let Some((method, ending, permission)) = &world.refuse
        && *method == seen.method
        && key.ends_with(ending.as_str())
    {
        return Reply::google(
            403,
            "PERMISSION_DENIED",
            &format!("Permission '{permission}' denied on resource (or it may not exist)."),
        );
    }
    match seen.method.as_str() {
        "GET" => get(world, &key),
        "POST" => post(world, &key, &seen.query, body),
        "PATCH" => patch(world, &key, body),
        _ => Reply::google(405, "UNIMPLEMENTED", "method not allowed"),
    }
}

fn get(world: &mut World, key: &str) -> Reply {
    if let Some(resource) = key.strip_suffix(":getIamPolicy") {
        if !world.resources.contains_key(resource) {
            return not_found(resource);
        }
        return Reply::ok(
            world
                .resources
                .get(&format!("{resource}:policy"))
                .cloned()
                .unwrap_or_else(|| json!({"version": 1, "etag": "BwAAAA=="})),
        );
    }
    match world.resources.get(key) {
        Some(found) => Reply::ok(found.clone()),
        None => not_found(key),
    }
}

/// A long-running operation that is not done yet; asking for it again finds it done.
fn operation(world: &mut World, host: &str, name: String, response: Value) -> Reply {
    world.resources.insert(
        format!("{host}/v1/{name}"),
        json!({"name": name, "done": true, "response": response}),
    );
    Reply::ok(json!({"name": name, "done": false}))
}

fn post(world: &mut World, key: &str, query: &str, body: Value) -> Reply {
    let host = key.split('/').next().unwrap_or_default().to_string();
    if let Some(service) = key.strip_suffix(":enable") {
        let Some(found) = world.resources.get_mut(service) else {
            return not_found(service);
        };
        found["state"] = json!("ENABLED");
        let response = json!({"service": found.clone()});
        return operation(world, &host, "operations/acf.enable-1".into(), response);
    }
    if let Some(resource) = key.strip_suffix(":setIamPolicy") {
        return set_policy(world, resource, body);
    }
    if key.ends_with(":encrypt") || key.ends_with(":decrypt") {
        return crypt(world, key, body);
    }
    // A create: the id is in the query, or (custom roles) the body.
    let (id, resource) = if let Some(id) = query_value(query, "workloadIdentityPoolId")
        .or_else(|| query_value(query, "workloadIdentityPoolProviderId"))
        .or_else(|| query_value(query, "keyRingId"))
        .or_else(|| query_value(query, "cryptoKeyId"))
    {
        (id, body.clone())
    } else if key.ends_with("/roles") {
        (
            body["roleId"].as_str().unwrap_or_default().to_string(),
            body["role"].clone(),
        )
    } else {
        return Reply::google(400, "INVALID_ARGUMENT", "no id given");
    };
    let parent = key
        .rsplit_once('/')
        .map(|(p, _)| p.to_string())
        .unwrap_or_default();
    if key.ends_with("/providers") || key.ends_with("/cryptoKeys") {
        // A pool's provider, a ring's key: the parent must be visible.
        if world.settling.remove(&parent) || !world.resources.contains_key(&parent) {
            return not_found(&parent);
        }
    }
    let new_key = format!("{key}/{id}");
    if world.resources.contains_key(&new_key) {
        return Reply::google(
            409,
            "ALREADY_EXISTS",
            &format!("{} already exists", relative(&new_key)),
        );
    }
    let name = relative(&new_key);
    let mut stored = resource;
    if !stored.is_object() {
        stored = json!({});
    }
    stored["name"] = json!(name);
    let reply = if key.ends_with("/workloadIdentityPools") || key.ends_with("/providers") {
        stored["state"] = json!("ACTIVE");
        stored["disabled"] = json!(false);
        world.resources.insert(new_key.clone(), stored.clone());
        world.settling.insert(new_key.clone());
        return operation(world, &host, format!("{name}/operations/create-1"), stored);
    } else if key.ends_with("/cryptoKeys") {
        stored["primary"] =
            json!({"name": format!("{name}/cryptoKeyVersions/1"), "state": "ENABLED"});
        Reply::ok(stored.clone())
    } else if key.ends_with("/roles") {
        stored["etag"] = json!("BwRole1=");
        stored["stage"] = json!("GA");
        Reply::ok(stored.clone())
    } else {
        Reply::ok(stored.clone())
    };
    world.resources.insert(new_key.clone(), stored);
    world.settling.insert(new_key);
    reply
}

fn patch(world: &mut World, key: &str, body: Value) -> Reply {
    let Some(found) = world.resources.get_mut(key) else {
        return not_found(key);
    };
    if let (Some(fields), Some(target)) = (body.as_object(), found.as_object_mut()) {
        for (name, value) in fields {
            if name != "etag" {
                target.insert(name.clone(), value.clone());
            }
        }
    }
    let updated = found.clone();
    if key.contains("/providers/") {
        let host = key.split('/').next().unwrap_or_default().to_string();
        let name = format!("{}/operations/update-1", relative(key));
        return operation(world, &host, name, updated);
    }
    Reply::ok(updated)
}

fn set_policy(world: &mut World, resource: &str, body: Value) -> Reply {
    if !world.resources.contains_key(resource) {
        return not_found(resource);
    }
    let policy_key = format!("{resource}:policy");
    let current = world
        .resources
        .get(&policy_key)
        .cloned()
        .unwrap_or_else(|| json!({"version": 1, "etag": "BwAAAA=="}));
    if world.concurrent_change {
        // Someone else binds a role meanwhile: the etag moves on.
        world.concurrent_change = false;
        world.etag_serial += 1;
        let mut changed = current.clone();
        let mut bindings = changed["bindings"].as_array().cloned().unwrap_or_default();
        bindings.push(
            json!({"role": "roles/cloudkms.viewer", "members": ["user:auditor@example.com"]}),
        );
        changed["bindings"] = Value::Array(bindings);
        changed["etag"] = json!(format!("BwConcurrent{}=", world.etag_serial));
        world.resources.insert(policy_key, changed);
        return Reply::google(
            409,
            "ABORTED",
            "There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff.",
        );
    }
    let policy = body["policy"].clone();
    if policy["etag"] != current["etag"] {
        return Reply::google(
            409,
            "ABORTED",
            "There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff.",
        );
    }
    for binding in policy["bindings"].as_array().into_iter().flatten() {
        let role = binding["role"].as_str().unwrap_or_default();
        let role_key = format!("iam.googleapis.com/v1/{role}");
        if role.starts_with("projects/") {
            if world.settling.remove(&role_key) {
                return Reply::google(
                    400,
                    "INVALID_ARGUMENT",
                    &format!("Role ({role}) does not exist in the resource's hierarchy."),
                );
            }
            if !world.resources.contains_key(&role_key) {
                return Reply::google(
                    400,
                    "INVALID_ARGUMENT",
                    &format!("Role ({role}) does not exist in the resource's hierarchy."),
                );
            }
        }
    }
    world.etag_serial += 1;
    let mut stored = policy;
    stored["etag"] = json!(format!("BwSet{}=", world.etag_serial));
    world.resources.insert(policy_key, stored.clone());
    Reply::ok(stored)
}

/// Encrypt and decrypt with an enabled primary version (the bytes reversed stand in).
fn crypt(world: &mut World, key: &str, body: Value) -> Reply {
    let (resource, encrypting) = match key.strip_suffix(":encrypt") {
        Some(resource) => (resource, true),
        None => (key.trim_end_matches(":decrypt"), false),
    };
    let Some(found) = world.resources.get(resource) else {
        return not_found(resource);
    };
    if found["primary"]["state"] != "ENABLED" {
        return Reply::google(
            400,
            "FAILED_PRECONDITION",
            "The primary version is not enabled.",
        );
    }
    let field = if encrypting {
        "plaintext"
    } else {
        "ciphertext"
    };
    let bytes = STANDARD
        .decode(body[field].as_str().unwrap_or_default())
        .unwrap_or_default();
    let turned: Vec<u8> = bytes.iter().rev().copied().collect();
    if encrypting {
        Reply::ok(
            json!({"name": format!("{}/cryptoKeyVersions/1", relative(resource)), "ciphertext": STANDARD.encode(turned)}),
        )
    } else {
        Reply::ok(json!({"plaintext": STANDARD.encode(turned)}))
    }
}
