//! The contract of "do it for me": a kit reads what exists of its guide's resources (a plan,
//! resource by resource, in the order they depend on each other) and makes or changes one
//! planned resource at a time. Generic code decides what is done (nothing before the admin
//! confirms, nothing changed without consent, a stop at the first refusal); kits only read
//! and write. Every call is kept in a `CallLog`.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde::Serialize;

use super::plan::{CannotCheck, CheckOptions};
use super::{FieldId, StepId};

/// What applying would do to one resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "change", rename_all = "kebab-case")]
pub enum Change {
    /// It does not exist: it will be made.
    Create,
    /// It exists as the guide wants: nothing to do.
    AsWanted,
    /// It exists but differs; changed only with consent, as its diff says.
    Differs { diff: String },
    /// It was read and cannot be made as the guide wants (a key of the wrong kind, a Deny
    /// apply does not remove): why.
    Cannot { why: String },
    /// It could not be read (refused, unreachable), or it depends on something that could not
    /// be: nothing is known of it, so nothing is written.
    Unknown { why: String },
}

impl Change {
    pub fn is_unknown(&self) -> bool {
        matches!(self, Change::Unknown { .. })
    }
}

/// Marks as unknown every resource whose plan was read on the assumption that what it depends
/// on is known: `needs` holds `(dependent, dependency)` pairs of kit ids, in plan order (a
/// dependent turned unknown passes it on to its own dependents further down the list).
pub fn follow_unknowns(plan: &mut [Planned], needs: &[(&str, &str)]) {
    for (dependent, dependency) in needs {
        let Some(title) = plan
            .iter()
            .find(|p| p.id == *dependency && p.change.is_unknown())
            .map(|p| p.title.clone())
        else {
            continue;
        };
        if let Some(planned) = plan
            .iter_mut()
            .find(|p| p.id == *dependent && !p.change.is_unknown())
        {
            planned.change = Change::Unknown {
                why: format!("it depends on {title}, which could not be read"),
            };
        }
    }
}

/// One resource of the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Planned {
    /// The kit's name for it (`role`, `key-binding`).
    pub id: &'static str,
    /// In words, with its name (`the role openai-ekm`).
    pub title: String,
    /// The guide's step that makes it.
    pub step: StepId,
    #[serde(flatten)]
    pub change: Change,
}

impl Planned {
    pub fn new(id: &'static str, title: String, step: StepId, change: Change) -> Planned {
        Planned {
            id,
            title,
            step,
            change,
        }
    }
}

/// What one write did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum Applied {
    Made {
        detail: String,
    },
    Changed {
        detail: String,
    },
    /// Refused: stop here.
    Refused {
        why: String,
    },
}

/// One call made to the cloud.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Call {
    /// ISO 8601, UTC.
    pub at: String,
    pub method: String,
    pub resource: String,
    pub outcome: String,
    pub millis: u64,
}

/// Every call of a run, in order, shared with whoever shows them.
#[derive(Debug, Clone, Default)]
pub struct CallLog(Arc<Mutex<Vec<Call>>>);

impl CallLog {
    /// Records a call that started at `started`; its outcome in a few words (never a secret).
    pub fn record(&self, method: &str, resource: &str, outcome: &str, started: Instant) {
        let call = Call {
            at: crate::clock::iso_8601_utc(crate::clock::now_unix()),
            method: method.to_string(),
            resource: crate::secrets::visible(resource),
            outcome: crate::secrets::one_line(&crate::secrets::redact(outcome), 160),
            millis: started.elapsed().as_millis() as u64,
        };
        if let Ok(mut calls) = self.0.lock() {
            calls.push(call);
        }
    }

    pub fn calls(&self) -> Vec<Call> {
        self.0.lock().map(|c| c.clone()).unwrap_or_default()
    }

    /// How many calls changed something (anything but a read).
    pub fn writes(&self) -> usize {
        self.calls()
            .iter()
            .filter(|c| !matches!(c.method.as_str(), "GET" | "READ"))
            .count()
    }
}

/// A signed-in session that plans and applies one cloud's resources.
#[async_trait::async_trait]
pub trait ApplySession: Send + Sync {
    /// Reads what exists, resource by resource, in dependency order.
    async fn plan(&self) -> Vec<Planned>;
    /// Makes (or, for `Differs`, changes by adding to) one planned resource.
    async fn apply(&self, planned: &Planned) -> Applied;
    /// Values the run made that the setup records (a new key's ARN).
    fn outputs(&self) -> Vec<(FieldId, String)> {
        Vec::new()
    }
}

/// What a kit's apply reads from the recorded inputs.
#[async_trait::async_trait]
pub trait Applier: Send + Sync {
    /// Signs in with the admin's credentials; every call goes into `log`.
    async fn connect(
        &self,
        options: &CheckOptions,
        log: CallLog,
    ) -> Result<Box<dyn ApplySession + '_>, CannotCheck>;
}
