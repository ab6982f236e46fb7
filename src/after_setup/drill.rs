//! The revocation drill: proves the customer can cut OpenAI off and bring it back. OpenAI
//! validates the key; the key is switched off (each cloud's own way, through its key switch);
//! OpenAI's validation is watched until it fails; the key is switched on again; validation is
//! watched until it passes. Every step is kept in a record (`DrillRecord`) before it is taken,
//! so a drill stopped by a crash or a kill is found and finished by the next start: the
//! wizard never leaves a key off.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};

use crate::checks::{CheckOptions, CheckTarget};
use crate::guide::plan::{KeySwitch, SwitchError, SwitchableKey};
use crate::guide::{Cloud, Inputs};
use crate::openai::{ApiError, Client};
use crate::session::SessionStore;

/// The version of the record's JSON shape.
pub const SCHEMA_VERSION: u32 = 1;

/// Where a drill under way keeps its record; present only while the key may be off.
pub const DRILL_IN_PROGRESS: &str = "drill-in-progress.json";
/// Where the last finished drill's record is kept.
pub const LAST_DRILL: &str = "last-drill.json";

/// Where a drill stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DrillState {
    /// Reading the key and validating before anything changes.
    Checking,
    /// The key is being switched off (it may be off already).
    SwitchingOff,
    /// The key is off: OpenAI is cut off.
    Off,
    /// The key is being switched on again.
    SwitchingOn,
    /// The key is on again.
    On,
    /// Switching the key on again failed: it is off, and the record says how to switch it on.
    LeftOff,
}

/// One thing the drill did, with its time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DrillEvent {
    /// ISO 8601, UTC.
    pub at: String,
    pub step: String,
    pub outcome: String,
}

/// How a drill ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DrillEnd {
    /// Cut off and brought back, both seen by OpenAI.
    Proved,
    /// Only the plan was shown.
    DryRun,
    /// The admin did not confirm: nothing changed.
    NotConfirmed,
    /// OpenAI did not validate the key before the drill: nothing changed.
    NotHealthyBefore,
    /// The key was off before the drill: nothing changed.
    KeyAlreadyOff,
    /// OpenAI could not be asked: nothing changed, or nothing was proved.
    CouldNotAsk,
    /// The key could not be read or switched off: nothing changed (or it was switched on
    /// again).
    CouldNotSwitch,
    /// OpenAI still validated the key when the wait ran out: the cut-off was not seen.
    RevocationNotSeen,
    /// The key is on again, but OpenAI did not validate it again before the wait ran out.
    RestoreNotSeen,
    /// Stopped (Ctrl-C, a signal, a crash) while the key was off: it was switched on again.
    Interrupted,
    /// Switching the key on again failed: it is off.
    LeftOff,
}

impl DrillEnd {
    /// 0 proved (or a dry run), 1 anything else, 3 when OpenAI or the cloud could not be asked.
    pub fn exit_code(self) -> u8 {
        match self {
            DrillEnd::Proved | DrillEnd::DryRun => crate::exit::EXIT_OK,
            DrillEnd::CouldNotAsk => crate::exit::EXIT_NOT_VERIFIED,
            _ => crate::exit::EXIT_REFUSED,
        }
    }
}

/// Everything about one drill, kept as it goes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DrillRecord {
    pub schema_version: u32,
    pub cloud: String,
    /// The registered key at OpenAI (extkey_…).
    pub key_id: String,
    /// The recorded values (never a secret): what finishing a left-over drill connects with.
    pub inputs: BTreeMap<String, String>,
    pub profile: Option<String>,
    /// The key switched, once read.
    pub key: Option<SwitchableKey>,
    pub state: DrillState,
    pub started_at: String,
    pub finished_at: Option<String>,
    /// From switching off to OpenAI's validation failing.
    pub revoked_after_seconds: Option<f64>,
    /// From switching on to OpenAI's validation passing again.
    pub restored_after_seconds: Option<f64>,
    pub end: Option<DrillEnd>,
    /// The last word: what happened, and what to do if anything.
    pub message: Option<String>,
    pub events: Vec<DrillEvent>,
}

impl DrillRecord {
    pub fn new(
        cloud: Cloud,
        key_id: &str,
        inputs: &Inputs,
        profile: Option<String>,
    ) -> DrillRecord {
        let mut kept = inputs.clone();
        kept.forget_secrets();
        DrillRecord {
            schema_version: SCHEMA_VERSION,
            cloud: cloud.key().to_string(),
            key_id: key_id.to_string(),
            inputs: kept
                .typed()
                .map(|(field, value)| (field.key().to_string(), value.to_string()))
                .collect(),
            profile,
            key: None,
            state: DrillState::Checking,
            started_at: now(),
            finished_at: None,
            revoked_after_seconds: None,
            restored_after_seconds: None,
            end: None,
            message: None,
            events: Vec::new(),
        }
    }

    /// A drill that ended before it began, for `why`.
    pub fn refused(cloud: Cloud, key_id: &str, inputs: &Inputs, why: &str) -> DrillRecord {
        let mut record = DrillRecord::new(cloud, key_id, inputs, None);
        record.end = Some(DrillEnd::CouldNotAsk);
        record.message = Some(crate::secrets::visible(why));
        record.finished_at = Some(now());
        record
    }

    /// Whether the key may be off: the record must be kept until it is finished.
    pub fn key_may_be_off(&self) -> bool {
        matches!(
            self.state,
            DrillState::SwitchingOff
                | DrillState::Off
                | DrillState::SwitchingOn
                | DrillState::LeftOff
        )
    }
}

fn now() -> String {
    crate::clock::iso_8601_utc(crate::clock::now_unix())
}

/// What OpenAI's validation said.
#[derive(Debug, Clone, PartialEq)]
pub enum Validation {
    Passed,
    /// OpenAI answered: it cannot use the key (the cloud's error).
    Failed(String),
    /// No answer to judge by (network, 401, 403).
    CouldNotAsk(String),
}

/// How often OpenAI is asked while waiting, and for how long.
#[derive(Debug, Clone, Copy)]
pub struct Pace {
    pub first_wait: Duration,
    pub longest_wait: Duration,
    /// How long to wait for OpenAI to see each change.
    pub limit: Duration,
}

impl Default for Pace {
    fn default() -> Self {
        Pace {
            first_wait: Duration::from_secs(1),
            longest_wait: Duration::from_secs(15),
            limit: Duration::from_secs(600),
        }
    }
}

/// What a drill works with; the caller provides OpenAI, the keeping and the saying.
pub struct Drill<'a> {
    /// The key switch the cloud's target signed in for the drill.
    pub session: &'a dyn KeySwitch,
    /// Asks OpenAI to validate the key now.
    pub validate: &'a (dyn Fn() -> BoxFuture<'a, Validation> + Sync),
    /// Keeps the record (before each change to the key).
    pub keep: &'a (dyn Fn(&DrillRecord) + Sync),
    /// Tells the admin what happens, as it happens.
    pub say: &'a (dyn Fn(&str) + Sync),
    pub pace: Pace,
}

impl Drill<'_> {
    fn note(&self, record: &mut DrillRecord, step: &str, outcome: impl Into<String>) {
        let outcome = crate::secrets::visible(&outcome.into());
        (self.say)(&format!("{step}: {outcome}"));
        record.events.push(DrillEvent {
            at: now(),
            step: step.to_string(),
            outcome,
        });
        (self.keep)(record);
    }

    fn end(&self, mut record: DrillRecord, end: DrillEnd, message: String) -> DrillRecord {
        record.end = Some(end);
        record.message = Some(crate::secrets::visible(&message));
        record.finished_at = Some(now());
        (self.keep)(&record);
        record
    }

    /// Reads the key and validates, changing nothing: the plan of a drill, and its first step.
    pub async fn check_before(
        &self,
        record: &mut DrillRecord,
    ) -> Result<SwitchableKey, (DrillEnd, String)> {
        let key = match self.session.switchable_key().await {
            Ok(key) => key,
            Err(err) => {
                return Err((ended_by(&err), format!("could not read the key: {err}")));
            }
        };
        record.key = Some(key.clone());
        self.note(
            record,
            "read the key",
            format!("{} is {}", key.described, on_off(key.on)),
        );
        if !key.on {
            return Err((
                DrillEnd::KeyAlreadyOff,
                format!(
                    "{} is off already, so a drill would prove nothing; switch it on: {}",
                    key.described, key.switch_on_command
                ),
            ));
        }
        match (self.validate)().await {
            Validation::Passed => {
                self.note(record, "validate before", "passed: OpenAI can use the key");
                Ok(key)
            }
            Validation::Failed(err) => Err((
                DrillEnd::NotHealthyBefore,
                format!("OpenAI cannot use the key now, so a drill would prove nothing: {err}"),
            )),
            Validation::CouldNotAsk(err) => Err((
                DrillEnd::CouldNotAsk,
                format!("OpenAI could not be asked to validate the key: {err}"),
            )),
        }
    }

    /// The whole drill. `confirm` is asked (with the key) before anything changes; when
    /// `interrupt` completes while the key is off, the key is switched on at once.
    pub async fn run(
        &self,
        mut record: DrillRecord,
        confirm: impl FnOnce(&SwitchableKey) -> bool,
        interrupt: impl Future<Output = ()>,
    ) -> DrillRecord {
        let key = match self.check_before(&mut record).await {
            Ok(key) => key,
            Err((end, message)) => return self.end(record, end, message),
        };
        if !confirm(&key) {
            return self.end(
                record,
                DrillEnd::NotConfirmed,
                "not confirmed: nothing was changed".into(),
            );
        }
        // (b) Off: the record says so before the cloud is asked.
        record.state = DrillState::SwitchingOff;
        (self.keep)(&record);
        if let Err(err) = self.session.set_key_on(&key.handle, false).await {
            self.note(&mut record, "switch off", format!("refused: {err}"));
            // It may have happened anyway (an answer lost): make sure the key is on.
            return match self.switch_on(&mut record, &key).await {
                Ok(()) => self.end(
                    record,
                    ended_by(&err),
                    format!("the key could not be switched off ({err}); it is on"),
                ),
                Err(left) => self.end(record, DrillEnd::LeftOff, left),
            };
        }
        record.state = DrillState::Off;
        self.note(
            &mut record,
            "switch off",
            format!("{} is off", key.described),
        );
        let off_at = Instant::now();
        // (c) OpenAI's validation should now fail.
        tokio::pin!(interrupt);
        let revoked = tokio::select! {
            seen = self.wait_for(false) => Some(seen),
            () = &mut interrupt => None,
        };
        match revoked {
            Some(Some(_)) => {
                let seconds = off_at.elapsed().as_secs_f64();
                record.revoked_after_seconds = Some(round(seconds));
                self.note(
                    &mut record,
                    "validate after switching off",
                    format!("failed after {:.1} s: OpenAI is cut off", seconds),
                );
            }
            Some(None) => self.note(
                &mut record,
                "validate after switching off",
                format!(
                    "still passed after {} s: the cut-off was not seen",
                    self.pace.limit.as_secs()
                ),
            ),
            None => self.note(&mut record, "interrupted", "switching the key on again now"),
        }
        // (d) On again, whatever happened.
        if let Err(left) = self.switch_on(&mut record, &key).await {
            return self.end(record, DrillEnd::LeftOff, left);
        }
        let on_at = Instant::now();
        if revoked.is_none() {
            return self.end(
                record,
                DrillEnd::Interrupted,
                format!(
                    "stopped while the key was off; {} is on again",
                    key.described
                ),
            );
        }
        // (e) OpenAI's validation should pass again.
        let restored = tokio::select! {
            seen = self.wait_for(true) => Some(seen),
            () = &mut interrupt => None,
        };
        let seconds = on_at.elapsed().as_secs_f64();
        match restored {
            Some(Some(_)) => {
                record.restored_after_seconds = Some(round(seconds));
                self.note(
                    &mut record,
                    "validate after switching on",
                    format!("passed after {seconds:.1} s: OpenAI can use the key again"),
                );
            }
            _ => {
                self.note(
                    &mut record,
                    "validate after switching on",
                    "not passed yet (the key is on; OpenAI's view may lag: run doctor)",
                );
                return self.end(
                    record,
                    DrillEnd::RestoreNotSeen,
                    format!(
                        "{} is on again, but OpenAI did not validate it again in time: run `ekm-wizard doctor` in a few minutes",
                        key.described
                    ),
                );
            }
        }
        if revoked == Some(None) {
            return self.end(
                record,
                DrillEnd::RevocationNotSeen,
                "OpenAI kept validating the key while it was off: the cut-off did not take effect (is another key or version in use?)".into(),
            );
        }
        let message = format!(
            "proved: OpenAI was cut off {:.1} s after the key was switched off, and could use it again {:.1} s after it was switched on",
            record.revoked_after_seconds.unwrap_or_default(),
            record.restored_after_seconds.unwrap_or_default()
        );
        self.end(record, DrillEnd::Proved, message)
    }

    /// Switches the key on, trying three times; on failure, the words that say exactly
    /// where the key stands and the one command that switches it on.
    pub async fn switch_on(
        &self,
        record: &mut DrillRecord,
        key: &SwitchableKey,
    ) -> Result<(), String> {
        record.state = DrillState::SwitchingOn;
        (self.keep)(record);
        let mut last = String::new();
        for attempt in 0..3u32 {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_secs(u64::from(2 * attempt))).await;
            }
            match self.session.set_key_on(&key.handle, true).await {
                Ok(()) => {
                    record.state = DrillState::On;
                    self.note(record, "switch on", format!("{} is on", key.described));
                    return Ok(());
                }
                Err(err) => last = err.to_string(),
            }
        }
        record.state = DrillState::LeftOff;
        let message = format!(
            "{} is OFF: every request OpenAI makes with this key fails. Switching it on was refused ({last}). Switch it on now: {}",
            key.described, key.switch_on_command
        );
        self.note(record, "switch on", format!("failed: {last}"));
        Err(message)
    }

    /// Asks OpenAI until validation passes (`want_pass`) or fails; the time it took, or
    /// `None` when the pace's limit ran out.
    async fn wait_for(&self, want_pass: bool) -> Option<Duration> {
        let started = Instant::now();
        let mut wait = self.pace.first_wait;
        loop {
            let passed = match (self.validate)().await {
                Validation::Passed => Some(true),
                Validation::Failed(_) => Some(false),
                Validation::CouldNotAsk(_) => None,
            };
            if passed == Some(want_pass) {
                return Some(started.elapsed());
            }
            if started.elapsed() + wait > self.pace.limit {
                return None;
            }
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(self.pace.longest_wait);
        }
    }
}

/// Asks OpenAI to validate `key_id`, as a drill judges it.
pub async fn validation(client: &Client, key_id: &str) -> Validation {
    match crate::openai::register::validate(client, key_id).await {
        Ok(()) => Validation::Passed,
        Err(err @ ApiError::Refused { .. }) => Validation::Failed(err.to_string()),
        Err(err) => Validation::CouldNotAsk(err.to_string()),
    }
}

/// Keeps the record of a drill under way in the state folder (it holds no secret).
pub fn keep_in(store: &SessionStore, record: &DrillRecord) {
    if let Ok(text) = serde_json::to_string_pretty(record) {
        let _ = store.save_record(DRILL_IN_PROGRESS, &format!("{text}\n"));
    }
}

/// Files a finished drill: kept as the last drill, and the record of one under way dropped
/// unless the key was left off (then the next start tries again).
pub fn file(store: &SessionStore, record: &DrillRecord) {
    if let Ok(text) = serde_json::to_string_pretty(record) {
        let _ = store.save_record(LAST_DRILL, &format!("{text}\n"));
    }
    if record.end != Some(DrillEnd::LeftOff) {
        let _ = std::fs::remove_file(store.record_file(DRILL_IN_PROGRESS));
    }
}

/// A whole drill from a cloud target: signs in, runs, and if a step crashes switches the key
/// on from the kept record. `confirm` is asked before the key is switched off.
#[allow(clippy::too_many_arguments)]
pub async fn run_on_target(
    target: &dyn CheckTarget,
    options: &CheckOptions,
    client: &Client,
    store: &SessionStore,
    record: DrillRecord,
    say: &(dyn Fn(&str) + Sync),
    confirm: impl FnOnce(&SwitchableKey) -> bool,
    interrupt: impl Future<Output = ()>,
    pace: Pace,
) -> DrillRecord {
    let session = match target.key_switch(options).await {
        Ok(session) => session,
        Err(cannot) => {
            let mut record = record;
            record.end = Some(DrillEnd::CouldNotAsk);
            record.message = Some(crate::secrets::visible(&format!(
                "could not sign in to the cloud: {}",
                cannot.0
            )));
            record.finished_at = Some(now());
            return record;
        }
    };
    let key_id = record.key_id.clone();
    let validate = || -> BoxFuture<'_, Validation> { Box::pin(validation(client, &key_id)) };
    let keep = |r: &DrillRecord| keep_in(store, r);
    let runner = Drill {
        session: session.as_ref(),
        validate: &validate,
        keep: &keep,
        say,
        pace,
    };
    use futures::FutureExt;
    let run = std::panic::AssertUnwindSafe(runner.run(record.clone(), confirm, interrupt));
    match run.catch_unwind().await {
        Ok(done) => done,
        // A step crashed: whatever the record says, the key is switched on again.
        Err(_) => {
            let kept = store
                .load_record(DRILL_IN_PROGRESS)
                .and_then(|text| serde_json::from_str(&text).ok())
                .unwrap_or(record);
            finish_left_over(&runner, kept).await
        }
    }
}

/// How a drill ends when the key could not be read or switched: when the cloud could not be
/// reached, nothing was refused and nothing proved (could not ask, exit 3).
fn ended_by(err: &SwitchError) -> DrillEnd {
    match err {
        SwitchError::Unreachable(_) => DrillEnd::CouldNotAsk,
        SwitchError::NotSwitchable | SwitchError::Failed(_) => DrillEnd::CouldNotSwitch,
    }
}

fn on_off(on: bool) -> &'static str {
    if on { "on" } else { "off" }
}

fn round(seconds: f64) -> f64 {
    (seconds * 10.0).round() / 10.0
}

/// Finishes a drill a crash or a kill left: switches the recorded key on again.
pub async fn finish_left_over(drill: &Drill<'_>, mut record: DrillRecord) -> DrillRecord {
    let Some(key) = record.key.clone() else {
        // The key was never read: nothing was switched.
        return drill.end(
            record,
            DrillEnd::Interrupted,
            "a drill stopped before it read the key; nothing was changed".into(),
        );
    };
    let was = state_words(record.state);
    drill.note(
        &mut record,
        "left-over drill found",
        format!("it stopped while {} was {was}", key.described),
    );
    match drill.switch_on(&mut record, &key).await {
        Ok(()) => drill.end(
            record,
            DrillEnd::Interrupted,
            format!(
                "a drill that stopped midway was finished: {} is on again",
                key.described
            ),
        ),
        Err(left) => drill.end(record, DrillEnd::LeftOff, left),
    }
}

fn state_words(state: DrillState) -> &'static str {
    match state {
        DrillState::Checking => "being read",
        DrillState::SwitchingOff => "being switched off",
        DrillState::Off => "off",
        DrillState::SwitchingOn => "being switched on",
        DrillState::On => "on",
        DrillState::LeftOff => "left off",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

    /// A key that is on or off, and an OpenAI that sees it (or, `blind`, never does).
    struct Switch {
        on: AtomicBool,
        refuse_on: AtomicU32,
        blind: bool,
    }

    #[async_trait::async_trait]
    impl KeySwitch for Switch {
        async fn switchable_key(&self) -> Result<SwitchableKey, SwitchError> {
            Ok(SwitchableKey {
                handle: "k1".into(),
                described: "key k1".into(),
                on: self.on.load(Ordering::SeqCst),
                switch_on_command: "switch-on k1".into(),
            })
        }
        async fn set_key_on(&self, _handle: &str, on: bool) -> Result<(), SwitchError> {
            if on && self.refuse_on.load(Ordering::SeqCst) > 0 {
                self.refuse_on.fetch_sub(1, Ordering::SeqCst);
                return Err(SwitchError::Failed("throttled".into()));
            }
            self.on.store(on, Ordering::SeqCst);
            Ok(())
        }
    }

    fn drill_on(switch: &Switch, kept: &Mutex<Vec<DrillState>>) -> DrillRecord {
        let validate = || -> BoxFuture<'_, Validation> {
            Box::pin(async {
                if switch.blind || switch.on.load(Ordering::SeqCst) {
                    Validation::Passed
                } else {
                    Validation::Failed("disabled".into())
                }
            })
        };
        let keep = |r: &DrillRecord| kept.lock().unwrap().push(r.state);
        let drill = Drill {
            session: switch,
            validate: &validate,
            keep: &keep,
            say: &|_| {},
            pace: Pace {
                first_wait: Duration::from_millis(1),
                longest_wait: Duration::from_millis(2),
                limit: Duration::from_millis(50),
            },
        };
        let record = DrillRecord::new(
            crate::clouds::first(),
            "extkey_1",
            &Inputs::new(crate::clouds::first()),
            None,
        );
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap()
            .block_on(drill.run(record, |_| true, std::future::pending()))
    }

    #[test]
    fn a_drill_proves_the_cut_off_and_keeps_the_record_before_each_change() {
        let switch = Switch {
            on: AtomicBool::new(true),
            refuse_on: AtomicU32::new(1),
            blind: false,
        };
        let kept = Mutex::new(Vec::new());
        let record = drill_on(&switch, &kept);
        assert_eq!(record.end, Some(DrillEnd::Proved), "{record:#?}");
        assert!(switch.on.load(Ordering::SeqCst));
        assert!(record.revoked_after_seconds.is_some());
        assert!(record.restored_after_seconds.is_some());
        let kept = kept.lock().unwrap();
        let off = kept
            .iter()
            .position(|s| *s == DrillState::SwitchingOff)
            .unwrap();
        let on = kept
            .iter()
            .position(|s| *s == DrillState::SwitchingOn)
            .unwrap();
        assert!(off < on);
    }

    #[test]
    fn an_openai_that_never_sees_the_cut_off_is_reported_and_the_key_is_on() {
        let switch = Switch {
            on: AtomicBool::new(true),
            refuse_on: AtomicU32::new(0),
            blind: true,
        };
        let record = drill_on(&switch, &Mutex::new(Vec::new()));
        assert_eq!(record.end, Some(DrillEnd::RevocationNotSeen));
        assert!(switch.on.load(Ordering::SeqCst));
    }

    #[test]
    fn a_key_that_will_not_switch_on_is_left_off_with_the_command_that_fixes_it() {
        let switch = Switch {
            on: AtomicBool::new(true),
            refuse_on: AtomicU32::new(5),
            blind: false,
        };
        let record = drill_on(&switch, &Mutex::new(Vec::new()));
        assert_eq!(record.end, Some(DrillEnd::LeftOff));
        assert_eq!(record.state, DrillState::LeftOff);
        let message = record.message.unwrap();
        assert!(
            message.contains("is OFF") && message.contains("switch-on k1"),
            "{message}"
        );
    }
}
