//! A local fake of OpenAI's Management API (external keys and projects), answering with the
//! documented shapes, recording every request, and scriptable to fail in the ways that matter.

#![allow(dead_code)]

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;

use serde_json::{Value, json};

/// A request as the fake saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub query: String,
    pub authorization: String,
    pub body: String,
}

/// What to do with the next create of a key.
#[derive(Debug, Clone)]
pub enum CreateScript {
    /// Record the key, then close the connection without answering.
    RecordThenDrop,
    /// Answer with this status and body, recording nothing.
    Answer(u16, Value),
}

/// Decides a validation from the registered key object: status and body.
pub type Judge = Arc<dyn Fn(&Value) -> (u16, Value) + Send + Sync>;

#[derive(Default)]
pub struct State {
    pub keys: Vec<Value>,
    pub projects: Vec<Value>,
    pub seen: Vec<Seen>,
    pub page_size: usize,
    pub next_create: Option<CreateScript>,
    pub validate_answers: VecDeque<(u16, Value)>,
    /// Answer project creation with the shape without `external_key_id`.
    pub minimal_project_shape: bool,
    pub expected_key: String,
    /// Validation decided by looking at the key's real state (a stand-in's or moto's), when
    /// no answer is queued: given the registered key object.
    pub validate_by: Option<Judge>,
    /// The organization's audit-log events (`{"id", "type", "effective_at", …}`).
    pub audit_logs: Vec<Value>,
    /// Take the next delete of a key in, then close the connection without deleting or
    /// answering (a run stopped on its last step).
    pub drop_next_delete: bool,
    /// Answer the key listing with every key whatever its `purpose` query (a server that
    /// ignores the filter), so that the client's own filter is what is tested.
    pub ignore_purpose_filter: bool,
    /// Answer every page of the key listing with one new key and `has_more: true`, for ever.
    pub endless_listing: bool,
    /// Pages of the endless listing served so far.
    pub endless_served: usize,
}

pub struct FakeOpenAi {
    pub state: Arc<Mutex<State>>,
    pub port: u16,
}

impl FakeOpenAi {
    pub fn start(expected_key: &str) -> FakeOpenAi {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(Mutex::new(State {
            page_size: 100,
            expected_key: expected_key.to_string(),
            ..Default::default()
        }));
        let shared = Arc::clone(&state);
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = Arc::clone(&shared);
                thread::spawn(move || serve(stream, &state));
            }
        });
        FakeOpenAi { state, port }
    }

    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}/v1", self.port)
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.state.lock().unwrap().seen.clone()
    }

    pub fn count(&self, method: &str, path: &str) -> usize {
        self.seen()
            .iter()
            .filter(|s| s.method == method && s.path == path)
            .count()
    }
}

fn serve(stream: TcpStream, state: &Arc<Mutex<State>>) {
    let mut reader = BufReader::new(match stream.try_clone() {
        Ok(s) => s,
        Err(_) => return,
    });
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let target = parts.next().unwrap_or("").to_string();
    let mut length = 0;
    let mut authorization = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).is_err() || line == "\r\n" || line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            match name.trim().to_ascii_lowercase().as_str() {
                "content-length" => length = value.trim().parse().unwrap_or(0),
                "authorization" => authorization = value.trim().to_string(),
                _ => {}
            }
        }
    }
    let mut body = vec![0; length];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let body = String::from_utf8_lossy(&body).into_owned();
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p.to_string(), q.to_string()),
        None => (target.clone(), String::new()),
    };
    let answer = {
        let mut state = state.lock().unwrap();
        state.seen.push(Seen {
            method: method.clone(),
            path: path.clone(),
            query: query.clone(),
            authorization: authorization.clone(),
            body: body.clone(),
        });
        if authorization != format!("Bearer {}", state.expected_key) {
            Some((
                401,
                json!({"error": {"message": "Incorrect API key provided.", "type": "invalid_request_error", "param": null, "code": "invalid_api_key"}}),
            ))
        } else {
            route(&mut state, &method, &path, &query, &body)
        }
    };
    let mut stream = stream;
    match answer {
        None => {
            let _ = stream.shutdown(std::net::Shutdown::Both);
        }
        Some((status, value)) => {
            let text = value.to_string();
            let response = format!(
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
                text.len()
            );
            let _ = stream.write_all(response.as_bytes());
        }
    }
}

fn query_value(query: &str, name: &str) -> Option<String> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

fn page(items: &[Value], query: &str, page_size: usize) -> Value {
    let limit = query_value(query, "limit")
        .and_then(|l| l.parse::<usize>().ok())
        .unwrap_or(20)
        .min(page_size);
    let start = match query_value(query, "after") {
        Some(after) => items
            .iter()
            .position(|i| i["id"].as_str() == Some(after.as_str()))
            .map(|p| p + 1)
            .unwrap_or(items.len()),
        None => 0,
    };
    let data: Vec<Value> = items.iter().skip(start).take(limit).cloned().collect();
    json!({
        "object": "list",
        "data": data,
        "first_id": data.first().map(|d| d["id"].clone()),
        "last_id": data.last().map(|d| d["id"].clone()),
        "has_more": start + data.len() < items.len(),
    })
}

/// OpenAI's 404 body.
fn not_found() -> (u16, Value) {
    (
        404,
        json!({"error": {"message": "not found", "type": "invalid_request_error", "param": null, "code": null}}),
    )
}

/// A key as OpenAI shows it: `api_project_ids` holds the projects made with the key besides
/// those it was stored with.
fn key_as_listed(state: &State, key: &Value) -> Value {
    let mut key = key.clone();
    let mut ids: Vec<Value> = key["api_project_ids"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for project in &state.projects {
        if project["external_key_id"] == key["id"] && !ids.contains(&project["id"]) {
            ids.push(project["id"].clone());
        }
    }
    key["api_project_ids"] = json!(ids);
    key
}

fn route(
    state: &mut State,
    method: &str,
    path: &str,
    query: &str,
    body: &str,
) -> Option<(u16, Value)> {
    let body: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    match (method, path) {
        ("GET", "/v1/organization/external_keys") => {
            if state.endless_listing {
                state.endless_served += 1;
                let id = format!("extkey_endless{}", state.endless_served);
                return Some((
                    200,
                    json!({"object": "list", "data": [{"id": id, "object": "organization.external_key", "created_at": 1_760_000_000, "api_project_ids": [], "name": "again", "type": "made-up", "purpose": "ekm"}], "first_id": id, "last_id": id, "has_more": true}),
                ));
            }
            // `purpose` narrows the listing; a key created without one is an EKM key.
            let purpose = query_value(query, "purpose");
            let keys: Vec<Value> = state
                .keys
                .iter()
                .filter(|k| {
                    state.ignore_purpose_filter
                        || purpose
                            .as_deref()
                            .is_none_or(|p| k["purpose"].as_str().unwrap_or("ekm") == p)
                })
                .map(|k| key_as_listed(state, k))
                .collect();
            Some((200, page(&keys, query, state.page_size)))
        }
        ("GET", p) if p.starts_with("/v1/organization/external_keys/") => {
            let id = p.trim_start_matches("/v1/organization/external_keys/");
            match state.keys.iter().find(|k| k["id"] == id) {
                Some(key) => Some((200, key_as_listed(state, key))),
                None => Some(not_found()),
            }
        }
        ("DELETE", p) if p.starts_with("/v1/organization/external_keys/") => {
            let id = p.trim_start_matches("/v1/organization/external_keys/");
            let Some(at) = state.keys.iter().position(|k| k["id"] == id) else {
                return Some(not_found());
            };
            if state.drop_next_delete {
                state.drop_next_delete = false;
                return None;
            }
            let key = key_as_listed(state, &state.keys[at]);
            // Refused while an active project or a workspace uses the key.
            let active: Vec<String> = state
                .projects
                .iter()
                .filter(|p| p["external_key_id"] == id && p["status"] == "active")
                .filter_map(|p| p["id"].as_str().map(str::to_string))
                .collect();
            let workspace = key["workspace_id"].as_str().is_some_and(|w| !w.is_empty());
            if !active.is_empty() || workspace {
                return Some((
                    400,
                    json!({"error": {"message": format!("External key {id} is in use by a project or workspace and cannot be deleted."), "type": "invalid_request_error", "param": null, "code": null}}),
                ));
            }
            state.keys.remove(at);
            let mut deleted = key;
            deleted["object"] = json!("organization.external_key.deleted");
            Some((200, deleted))
        }
        ("GET", p) if p.starts_with("/v1/organization/projects/") => {
            let id = p.trim_start_matches("/v1/organization/projects/");
            match state.projects.iter().find(|p| p["id"] == id) {
                Some(project) => Some((200, project.clone())),
                None => Some(not_found()),
            }
        }
        ("POST", p) if p.starts_with("/v1/organization/projects/") && p.ends_with("/archive") => {
            let id = p
                .trim_start_matches("/v1/organization/projects/")
                .trim_end_matches("/archive");
            match state.projects.iter_mut().find(|p| p["id"] == id) {
                Some(project) => {
                    project["status"] = json!("archived");
                    project["archived_at"] = json!(1_760_000_900);
                    Some((200, project.clone()))
                }
                None => Some(not_found()),
            }
        }
        ("GET", "/v1/organization/audit_logs") => {
            // `event_types[]=` repeated narrows the listing to those types.
            let wanted: Vec<String> = query
                .split('&')
                .filter_map(|pair| pair.split_once('='))
                .filter(|(k, _)| *k == "event_types[]" || *k == "event_types%5B%5D")
                .map(|(_, v)| v.to_string())
                .collect();
            let events: Vec<Value> = state
                .audit_logs
                .iter()
                .filter(|e| {
                    wanted.is_empty()
                        || wanted
                            .iter()
                            .any(|w| e["type"].as_str() == Some(w.as_str()))
                })
                .cloned()
                .collect();
            Some((200, page(&events, query, state.page_size)))
        }
        ("GET", "/v1/organization/projects") => {
            // Archived projects only with `include_archived=true`.
            let all = query_value(query, "include_archived").as_deref() == Some("true");
            let projects: Vec<Value> = state
                .projects
                .iter()
                .filter(|p| all || p["status"].as_str().unwrap_or("active") != "archived")
                .cloned()
                .collect();
            Some((200, page(&projects, query, state.page_size)))
        }
        ("POST", "/v1/organization/external_keys") => {
            let mut key = json!({
                "id": format!("extkey_{}", state.keys.len() + 1000),
                "object": "organization.external_key",
                "created_at": 1_760_000_000,
                "api_project_ids": [],
            });
            if let (Some(key_map), Some(fields)) = (key.as_object_mut(), body.as_object()) {
                for (name, value) in fields {
                    key_map.insert(name.clone(), value.clone());
                }
            }
            match state.next_create.take() {
                Some(CreateScript::RecordThenDrop) => {
                    state.keys.push(key);
                    None
                }
                Some(CreateScript::Answer(status, value)) => Some((status, value)),
                None => {
                    state.keys.push(key.clone());
                    Some((200, key))
                }
            }
        }
        ("POST", "/v1/organization/projects") => {
            let id = format!("proj_{}", state.projects.len() + 500);
            let stored = json!({
                "object": "organization.project",
                "id": id,
                "name": body["name"],
                "created_at": 1_760_000_100,
                "archived_at": null,
                "status": "active",
                "external_key_id": body["external_key_id"],
            });
            state.projects.push(stored.clone());
            if state.minimal_project_shape {
                Some((201, json!({"id": id, "name": body["name"]})))
            } else {
                Some((200, stored))
            }
        }
        ("POST", p)
            if p.starts_with("/v1/organization/external_keys/") && p.ends_with("/validate") =>
        {
            if let Some(answer) = state.validate_answers.pop_front() {
                return Some(answer);
            }
            let id = p
                .trim_start_matches("/v1/organization/external_keys/")
                .trim_end_matches("/validate");
            let key = state.keys.iter().find(|k| k["id"] == id).cloned();
            match (key, state.validate_by.clone()) {
                (None, Some(_)) => Some((
                    404,
                    json!({"error": {"message": format!("No external key found with id '{id}'."), "type": "invalid_request_error", "param": null, "code": null}}),
                )),
                (Some(key), Some(judge)) => Some(judge(&key)),
                (_, None) => Some((200, json!({"status": "success"}))),
            }
        }
        _ => Some((
            404,
            json!({"error": {"message": format!("no route {method} {path}"), "type": "invalid_request_error", "param": null, "code": null}}),
        )),
    }
}
