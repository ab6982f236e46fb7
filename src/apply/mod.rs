//! "Do it for me": the plan a kit read is carried out in order, with the rules that make it
//! safe whatever the cloud: nothing is written when anything cannot be done, a resource that
//! exists but differs is changed only with consent, the first refusal stops the run (what was
//! made stays, a second run continues from there), and a run with nothing to do writes
//! nothing. Services only: the caller shows the plan and asks.

pub mod report;

use serde::Serialize;

use crate::guide::apply::{Applied, ApplySession, Change, Planned};

/// Where the last apply's calls are kept in the state folder, for the support bundle.
pub const LAST_APPLY: &str = "last-apply.json";

/// Keeps the calls of a run (they hold no secret).
pub fn keep_calls(
    store: &crate::session::SessionStore,
    cloud: &str,
    calls: &[crate::guide::apply::Call],
) {
    if let Ok(text) =
        serde_json::to_string_pretty(&serde_json::json!({"cloud": cloud, "calls": calls}))
    {
        let _ = store.save_record(LAST_APPLY, &format!("{text}\n"));
    }
}

/// The calls of the last run kept, if any.
pub fn last_calls(store: &crate::session::SessionStore) -> Vec<crate::guide::apply::Call> {
    store
        .load_record(LAST_APPLY)
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .and_then(|kept| serde_json::from_value(kept["calls"].clone()).ok())
        .unwrap_or_default()
}

/// What became of one planned resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Done {
    #[serde(flatten)]
    pub planned: Planned,
    /// What the write did; `None` when nothing was written.
    pub applied: Option<Applied>,
    /// Why nothing was written, when it was not.
    pub note: Option<String>,
}

/// What a plan allows, said the same way by every front end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Readiness<'a> {
    /// Some resources could not be read: nothing is known about them, nothing is written.
    Unknown {
        unknown: usize,
        of: usize,
        /// A resource that cannot be made, besides.
        blocked: Option<&'a Planned>,
    },
    /// A resource cannot be made as the guide wants: nothing is written.
    Blocked(&'a Planned),
    /// The plan holds no resource (a step that makes none).
    Empty,
    /// Every resource was read and is as the guide wants.
    NothingToDo,
    /// Something can be written.
    Work,
}

/// Weighs a plan: what could not be read comes first, since nothing can be said of it.
pub fn readiness(plan: &[Planned]) -> Readiness<'_> {
    let unknown = plan.iter().filter(|p| p.change.is_unknown()).count();
    if unknown > 0 {
        return Readiness::Unknown {
            unknown,
            of: plan.len(),
            blocked: blocked(plan),
        };
    }
    if let Some(blocked) = blocked(plan) {
        return Readiness::Blocked(blocked);
    }
    if plan.is_empty() {
        return Readiness::Empty;
    }
    if has_work(plan) {
        Readiness::Work
    } else {
        Readiness::NothingToDo
    }
}

impl Readiness<'_> {
    /// Whether the run may write (after the admin's yes).
    pub fn may_write(&self) -> bool {
        *self == Readiness::Work
    }

    /// The plan's outcome in one sentence; `None` when there is work to confirm.
    pub fn headline(&self) -> Option<String> {
        match self {
            Readiness::Unknown {
                unknown,
                of,
                blocked,
            } => Some(format!(
                "Could not read {unknown} of {of}: nothing is known about {}, so nothing will be written{}. {} why; plan again once {} be read.",
                if *unknown == 1 { "it" } else { "them" },
                blocked
                    .map(|b| format!(" (and {} cannot be done)", b.title))
                    .unwrap_or_default(),
                if *unknown == 1 { "Its line says" } else { "Their lines say" },
                if *unknown == 1 { "it can" } else { "they can" },
            )),
            Readiness::Blocked(blocked) => Some(format!(
                "Nothing can be written: {} cannot be done (see its line).",
                blocked.title
            )),
            Readiness::Empty => Some(
                "Nothing to plan: this part of the guide makes no resource the wizard can make for you."
                    .into(),
            ),
            Readiness::NothingToDo => {
                Some("Nothing to change: every resource here is as the guide wants.".into())
            }
            Readiness::Work => None,
        }
    }

    /// The exit code of a plan that stops here: 1 when something is proved to stand in the
    /// way, 3 when something could not be read, 0 otherwise.
    pub fn exit_code(&self) -> u8 {
        match self {
            Readiness::Unknown {
                blocked: Some(_), ..
            }
            | Readiness::Blocked(_) => crate::exit::EXIT_REFUSED,
            Readiness::Unknown { .. } => crate::exit::EXIT_NOT_VERIFIED,
            Readiness::Empty | Readiness::NothingToDo | Readiness::Work => crate::exit::EXIT_OK,
        }
    }
}

/// Whether the plan has anything to write.
pub fn has_work(plan: &[Planned]) -> bool {
    plan.iter()
        .any(|p| matches!(p.change, Change::Create | Change::Differs { .. }))
}

/// The first resource that cannot be read or made: the run does not start.
pub fn blocked(plan: &[Planned]) -> Option<&Planned> {
    plan.iter()
        .find(|p| matches!(p.change, Change::Cannot { .. }))
}

/// Carries out `plan` in order. A resource that differs is changed only when `allow_update`;
/// the first refusal stops the run. `say` hears each outcome as it comes.
pub async fn carry_out(
    session: &dyn ApplySession,
    plan: &[Planned],
    allow_update: bool,
    say: &(dyn Fn(&Done) + Sync),
) -> Vec<Done> {
    let mut done = Vec::new();
    let mut stopped = false;
    for planned in plan {
        let (applied, note) = match (&planned.change, stopped) {
            (_, true) => (
                None,
                Some("not reached: the run stopped before it".to_string()),
            ),
            (Change::AsWanted, _) => (None, Some("already as the guide wants".to_string())),
            (Change::Cannot { why } | Change::Unknown { why }, _) => (None, Some(why.clone())),
            (Change::Differs { .. }, _) if !allow_update => (
                None,
                Some("left as it is: the change was not accepted (--allow-update)".to_string()),
            ),
            (Change::Create | Change::Differs { .. }, false) => {
                let applied = session.apply(planned).await;
                stopped = matches!(applied, Applied::Refused { .. });
                (Some(applied), None)
            }
        };
        let entry = Done {
            planned: planned.clone(),
            applied,
            note,
        };
        say(&entry);
        done.push(entry);
    }
    done
}

/// Whether a run stopped at a refusal.
pub fn refusal(done: &[Done]) -> Option<&Done> {
    done.iter()
        .find(|d| matches!(d.applied, Some(Applied::Refused { .. })))
}

/// Whether the run stopped, or could not start, only because a host could not be reached:
/// nothing was refused, so nothing is proved either way (not verified, not failed).
pub fn unreached(plan: &[Planned], done: &[Done]) -> bool {
    let blocked_by = blocked(plan).map(|p| match &p.change {
        Change::Cannot { why } => why.as_str(),
        _ => "",
    });
    let stopped_by = refusal(done).map(|d| match &d.applied {
        Some(Applied::Refused { why }) => why.as_str(),
        _ => "",
    });
    match (blocked_by, stopped_by) {
        (None, None) => false,
        (blocked, stopped) => {
            blocked.is_none_or(crate::net::is_unreachable)
                && stopped.is_none_or(crate::net::is_unreachable)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::guide::StepId;
    use std::sync::Mutex;

    struct Recorder {
        refuse: &'static str,
        writes: Mutex<Vec<&'static str>>,
    }

    #[async_trait::async_trait]
    impl ApplySession for Recorder {
        async fn plan(&self) -> Vec<Planned> {
            Vec::new()
        }
        async fn apply(&self, planned: &Planned) -> Applied {
            self.writes.lock().unwrap().push(planned.id);
            if planned.id == self.refuse {
                Applied::Refused {
                    why: "iam:CreateRole is not allowed".into(),
                }
            } else {
                Applied::Made {
                    detail: planned.id.into(),
                }
            }
        }
    }

    fn planned(id: &'static str, change: Change) -> Planned {
        Planned {
            id,
            title: id.into(),
            step: StepId::new("s"),
            change,
        }
    }

    #[test]
    fn differing_resources_wait_for_consent_and_a_refusal_stops_the_rest() {
        let plan = vec![
            planned("key", Change::Create),
            planned("policy", Change::Differs { diff: "+ x".into() }),
            planned("role", Change::Create),
            planned("attachment", Change::Create),
            planned("rotation", Change::AsWanted),
        ];
        let session = Recorder {
            refuse: "role",
            writes: Mutex::new(Vec::new()),
        };
        let done = futures::executor::block_on(carry_out(&session, &plan, false, &|_| {}));
        assert_eq!(*session.writes.lock().unwrap(), ["key", "role"]);
        assert!(done[1].note.as_deref().unwrap().contains("not accepted"));
        assert_eq!(refusal(&done).unwrap().planned.id, "role");
        assert!(done[3].note.as_deref().unwrap().contains("not reached"));
        assert!(has_work(&plan));
        assert!(!has_work(&plan[4..]));
        assert!(
            !unreached(&plan, &done),
            "a refusal is not a network failure"
        );
    }

    #[test]
    fn a_plan_blocked_only_by_a_host_out_of_reach_is_unreached() {
        let far = crate::net::Unreachable::Refused.sentence("iam.amazonaws.com");
        let plan = vec![
            planned(
                "key",
                Change::Cannot {
                    why: format!("kms:DescribeKey was not answered: {far}"),
                },
            ),
            planned("role", Change::Create),
        ];
        assert!(unreached(&plan, &[]));
        let refused = vec![planned(
            "key",
            Change::Cannot {
                why: "kms:DescribeKey is not allowed for your credentials".into(),
            },
        )];
        assert!(!unreached(&refused, &[]));
        assert!(!unreached(&[planned("key", Change::AsWanted)], &[]));
    }
}
