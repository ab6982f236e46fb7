//! A local stand-in for the Google and Azure REST hosts. The wizard reaches it through
//! `EKM_GCP_API_URL` / `EKM_AZURE_API_URL`, which send `https://<host><path>` to
//! `http://127.0.0.1:<port>/<host><path>`. Routes answer with the documented shapes; each can
//! be scripted (a queue of answers first, a delay, a handler that reads the request).

#![allow(dead_code)]

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use serde_json::{Value, json};

/// A request as the fake saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    /// `/<host><path>`, without the query.
    pub path: String,
    pub query: String,
    pub authorization: String,
    pub body: String,
}

impl Seen {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

/// One answer.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
    pub headers: Vec<(String, String)>,
    pub delay: Duration,
}

impl Reply {
    pub fn ok(body: Value) -> Reply {
        Reply::with(200, body)
    }

    pub fn with(status: u16, body: Value) -> Reply {
        Reply {
            status,
            body,
            headers: Vec::new(),
            delay: Duration::ZERO,
        }
    }

    /// Google's error shape.
    pub fn google(status: u16, code: &str, message: &str) -> Reply {
        Reply::with(
            status,
            json!({"error": {"code": status, "message": message, "status": code}}),
        )
    }

    /// Azure's error shape (management, Graph, Key Vault), with an optional inner code.
    pub fn azure(status: u16, code: &str, message: &str, inner: Option<&str>) -> Reply {
        let mut error = json!({"code": code, "message": message});
        if let Some(inner) = inner {
            error["innererror"] = json!({"code": inner});
        }
        Reply::with(status, json!({ "error": error }))
    }

    pub fn header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    pub fn after(mut self, delay: Duration) -> Reply {
        self.delay = delay;
        self
    }
}

type Handler = Arc<dyn Fn(&Seen) -> Reply + Send + Sync>;

#[derive(Default)]
struct State {
    routes: HashMap<(String, String), Handler>,
    /// Routes for every path under a prefix (ids the client makes up, such as a new GUID).
    prefixes: Vec<(String, String, Handler)>,
    queued: HashMap<(String, String), VecDeque<Reply>>,
    seen: Vec<Seen>,
    /// A delay added to every answer.
    delay: Duration,
    /// Where requests no route answers are forwarded (a loopback port), if anywhere.
    upstream: Option<u16>,
}

pub struct FakeCloud {
    state: Arc<Mutex<State>>,
    pub port: u16,
}

impl FakeCloud {
    pub fn start() -> FakeCloud {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(Mutex::new(State::default()));
        let shared = Arc::clone(&state);
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = Arc::clone(&shared);
                thread::spawn(move || serve(stream, &state));
            }
        });
        FakeCloud { state, port }
    }

    /// What `EKM_*_API_URL` is set to.
    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Answers `method path` with `reply`, every time.
    pub fn on(&self, method: &str, path: &str, reply: Reply) {
        self.on_fn(method, path, move |_| reply.clone());
    }

    /// Answers `method path` with what `handler` makes of the request.
    pub fn on_fn(
        &self,
        method: &str,
        path: &str,
        handler: impl Fn(&Seen) -> Reply + Send + Sync + 'static,
    ) {
        self.state
            .lock()
            .unwrap()
            .routes
            .insert((method.to_string(), path.to_string()), Arc::new(handler));
    }

    /// Answers `method` on every path that starts with `prefix` (when no exact route does).
    pub fn on_prefix(
        &self,
        method: &str,
        prefix: &str,
        handler: impl Fn(&Seen) -> Reply + Send + Sync + 'static,
    ) {
        self.state.lock().unwrap().prefixes.push((
            method.to_string(),
            prefix.to_string(),
            Arc::new(handler),
        ));
    }

    /// Removes a route: the path then answers 404.
    pub fn remove(&self, method: &str, path: &str) {
        self.state
            .lock()
            .unwrap()
            .routes
            .remove(&(method.to_string(), path.to_string()));
    }

    /// Answers the next requests to `method path` with `replies`, in order, before the route.
    pub fn queue(&self, method: &str, path: &str, replies: Vec<Reply>) {
        self.state
            .lock()
            .unwrap()
            .queued
            .entry((method.to_string(), path.to_string()))
            .or_default()
            .extend(replies);
    }

    /// Forwards every request no route answers to `127.0.0.1:port` (after the delay), and
    /// relays its answer: a slow stand-in in front of another local server, such as moto.
    pub fn proxy_to(&self, port: u16) {
        self.state.lock().unwrap().upstream = Some(port);
    }

    /// Delays every answer.
    pub fn delay_all(&self, delay: Duration) {
        self.state.lock().unwrap().delay = delay;
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
    let mut stream = stream;
    loop {
        let mut request_line = String::new();
        match reader.read_line(&mut request_line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let mut parts = request_line.split_whitespace();
        let method = parts.next().unwrap_or("").to_string();
        let target = parts.next().unwrap_or("").to_string();
        let mut length = 0;
        let mut authorization = String::new();
        let mut header_lines = Vec::new();
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).is_err() || line == "\r\n" || line.is_empty() {
                break;
            }
            header_lines.push(line.clone());
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
        let (path, query) = match target.split_once('?') {
            Some((p, q)) => (p.to_string(), q.to_string()),
            None => (target.clone(), String::new()),
        };
        let seen = Seen {
            method: method.clone(),
            path: percent_decode(&path),
            query: percent_decode(&query),
            authorization,
            body: String::from_utf8_lossy(&body).into_owned(),
        };
        let (handler, queued, delay, upstream) = {
            let mut state = state.lock().unwrap();
            state.seen.push(seen.clone());
            let key = (method.clone(), seen.path.clone());
            let queued = state.queued.get_mut(&key).and_then(VecDeque::pop_front);
            let by_prefix = || {
                state
                    .prefixes
                    .iter()
                    .find(|(m, prefix, _)| *m == method && seen.path.starts_with(prefix.as_str()))
                    .map(|(_, _, handler)| Arc::clone(handler))
            };
            (
                state.routes.get(&key).cloned().or_else(by_prefix),
                queued,
                state.delay,
                state.upstream,
            )
        };
        if let (None, None, Some(port)) = (&queued, &handler, upstream) {
            thread::sleep(delay);
            let mut forwarded = request_line.clone();
            for line in &header_lines {
                if !line.to_ascii_lowercase().starts_with("connection:") {
                    forwarded.push_str(line);
                }
            }
            forwarded.push_str("Connection: close\r\n\r\n");
            let mut answer = Vec::new();
            if let Ok(mut upstream) = TcpStream::connect(("127.0.0.1", port)) {
                let _ = upstream.write_all(forwarded.as_bytes());
                let _ = upstream.write_all(&body);
                let _ = upstream.read_to_end(&mut answer);
            }
            // Say the connection closes, so the client never sends another request on it.
            let split = answer
                .windows(4)
                .position(|w| w == b"\r\n\r\n")
                .unwrap_or(answer.len());
            let head = String::from_utf8_lossy(&answer[..split]).into_owned();
            let mut relayed: String = head
                .split("\r\n")
                .filter(|l| !l.to_ascii_lowercase().starts_with("connection:"))
                .map(|l| format!("{l}\r\n"))
                .collect();
            relayed.push_str("Connection: close\r\n\r\n");
            let _ = stream.write_all(relayed.as_bytes());
            let _ = stream.write_all(&answer[(split + 4).min(answer.len())..]);
            return; // the relayed answer ends with the connection
        }
        let reply = match (queued, handler) {
            (Some(reply), _) => reply,
            (None, Some(handler)) => handler(&seen),
            (None, None) => Reply::with(
                404,
                json!({"error": {"code": 404, "message": format!("nothing at {}", seen.path), "status": "NOT_FOUND"}}),
            ),
        };
        thread::sleep(delay + reply.delay);
        let text = if reply.body.is_null() {
            String::new()
        } else {
            reply.body.to_string()
        };
        let mut head = format!(
            "HTTP/1.1 {} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
            reply.status,
            text.len()
        );
        for (name, value) in &reply.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        if stream.write_all(head.as_bytes()).is_err() || stream.write_all(text.as_bytes()).is_err()
        {
            return;
        }
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(byte) = u8::from_str_radix(&text[i + 1..i + 3], 16)
        {
            out.push(byte);
            i += 3;
            continue;
        }
        if bytes[i] == b'+' {
            out.push(b' ');
        } else {
            out.push(bytes[i]);
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
