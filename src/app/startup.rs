//! What both front ends of the wizard (full-screen and plain) do before their first words:
//! refuse an unsafe API base, find saved progress and where files go, and start the one
//! thread the effects run on. Each says why it failed on standard error, with the exit code.

use std::path::PathBuf;

use super::preset::Preset;
use crate::exit::{EXIT_BAD_INPUT, EXIT_REFUSED};
use crate::openai::ApiBase;
use crate::session::{Loaded, SessionStore};

/// The Management API base the flags or the environment name, refused (exit 2) before
/// anything is shown when it would not be reached safely, as the headless commands refuse it.
pub fn api_base(args: &Preset) -> Result<ApiBase, u8> {
    ApiBase::resolve(args.api_base.as_deref()).map_err(|err| {
        eprintln!("error: {}", crate::secrets::redact(&err));
        EXIT_BAD_INPUT
    })
}

/// Where progress is saved and what was saved there.
pub struct Saved {
    pub store: Option<SessionStore>,
    /// The saved progress, unless `--fresh`.
    pub loaded: Option<Loaded>,
    /// Why progress cannot be saved, if it cannot.
    pub saving_disabled: Option<String>,
    /// Where blocks and files are written: the state folder's exports, else here (never a
    /// shared temporary folder).
    pub files_dir: PathBuf,
}

impl Saved {
    pub fn find(args: &Preset) -> Saved {
        let store = SessionStore::default_location();
        let loaded = match (&store, args.fresh) {
            (Some(store), false) => Some(store.load()),
            _ => None,
        };
        let saving_disabled = store
            .is_none()
            .then(|| "no home or state directory was found".to_string());
        let files_dir = store
            .as_ref()
            .map(|s| s.dir().join("exports"))
            .unwrap_or_else(|| PathBuf::from("ekm-wizard-blocks"));
        Saved {
            store,
            loaded,
            saving_disabled,
            files_dir,
        }
    }
}

/// The thread the effects run on (exit 1 when it cannot start).
pub fn effects_thread() -> Result<tokio::runtime::Runtime, u8> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|err| {
            eprintln!("error: cannot start: {err}");
            EXIT_REFUSED
        })
}
