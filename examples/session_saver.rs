//! Test helper: saves progress the way the wizard does. `session_saver DIR loop` saves two
//! different sessions in turn until killed (`tests/robustness.rs` kills it at random moments);
//! `session_saver DIR once SIZE` saves one session padded to about SIZE bytes and exits 1 with
//! the error when the save fails (run under a file-size limit, that is a full disk).

use ekm_wizard::clouds::aws;
use ekm_wizard::guide::{FieldId, Inputs, SetupPath};
use ekm_wizard::session::{SESSION_FORMAT, Session, SessionStore};

fn session(label: &str, padding: usize) -> Session {
    let mut inputs = Inputs::new(aws::cloud());
    inputs.set(FieldId::ORG_ID, "org-abc123");
    inputs.set(FieldId::NAME, format!("{label}{}", "x".repeat(padding)));
    Session {
        format: SESSION_FORMAT,
        cloud: aws::cloud(),
        path: SetupPath::Api,
        step: 1,
        reached: 1,
        inputs,
        external_key_id: None,
        project_id: None,
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let store = SessionStore::in_dir(&args[1]);
    match args.get(2).map(String::as_str) {
        Some("loop") => {
            // Large enough that a write takes more than one system call.
            let (a, b) = (session("A", 200_000), session("B", 300_000));
            println!("ready");
            loop {
                for which in [&a, &b] {
                    if let Err(err) = store.save(which) {
                        eprintln!("{err}");
                        std::process::exit(1);
                    }
                }
            }
        }
        Some("once") => {
            let size = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(10_000);
            match store.save(&session("C", size)) {
                Ok(()) => println!("saved"),
                Err(err) => {
                    eprintln!("{err}");
                    std::process::exit(1);
                }
            }
        }
        _ => {
            eprintln!("usage: session_saver DIR loop | session_saver DIR once SIZE");
            std::process::exit(2);
        }
    }
}
