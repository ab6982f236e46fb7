//! Effects: the work `update` asks the runtime to do. Each result returns as a `Msg`.

use serde_json::Value;

use crate::openai::{AdminKey, ApiBase};
use crate::session::Session;

/// Which admin key a request uses. The environment's is read only when the request is made.
#[derive(Debug, Clone, PartialEq)]
pub enum KeyRef {
    Environment,
    Typed(AdminKey),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Show a block's exact text on the terminal's own screen, unframed and unfolded (the
    /// terminal wraps it, so a mouse selection copies each line whole), until a key goes back.
    /// The full-screen runtime does this itself: it owns the terminal.
    ShowExactText {
        title: String,
        text: String,
    },
    /// Put a block on a clipboard (system, terminal, or a file as the last resort).
    CopyToClipboard {
        what: String,
        text: String,
        file_name: String,
    },
    /// Write a block to a file in the wizard's exports folder.
    WriteToFile {
        what: String,
        text: String,
        file_name: String,
    },
    /// Write files into a folder of the wizard's exports folder, all or none shown as written.
    WriteFiles {
        what: String,
        folder: String,
        files: Vec<(String, String)>,
    },
    /// Write the support bundle for this progress and these errors to the exports folder.
    ExportSupportBundle {
        session: Session,
        recent_errors: Vec<String>,
        checks: Vec<crate::checks::CheckResult>,
    },
    /// List keys and projects before registering.
    PlanRegistration {
        generation: u64,
        base: ApiBase,
        key: KeyRef,
        body: Value,
    },
    /// Register (or reuse) the key, create the project, validate.
    Register {
        generation: u64,
        base: ApiBase,
        key: KeyRef,
        body: Value,
        existing: Option<Value>,
        project_name: String,
    },
    /// Validate a registered key.
    Validate {
        generation: u64,
        base: ApiBase,
        key: KeyRef,
        key_id: String,
    },
    /// Read every page of the organization's EKM keys.
    ListKeys {
        generation: u64,
        base: ApiBase,
        key: KeyRef,
    },
    /// Validate one key of the keys view.
    ValidateListedKey {
        generation: u64,
        base: ApiBase,
        key: KeyRef,
        key_id: String,
    },
    /// Delete one key of the keys view (confirmed): read again first, and refused without a
    /// request when a project or a workspace uses it now.
    DeleteListedKey {
        generation: u64,
        base: ApiBase,
        key: KeyRef,
        key_id: String,
    },
    /// Run the cloud's live checks; each result comes back as soon as it is known.
    RunChecks {
        generation: u64,
        cloud: crate::guide::Cloud,
        inputs: crate::guide::Inputs,
        target: TargetHandle,
    },
    /// Perform an action of the cloud's kit (after the admin confirmed).
    PerformAction {
        action: crate::guide::ActionId,
        target: TargetHandle,
    },
    /// Read what exists of the cloud's resources ("do it for me", first half), with the
    /// applier built once from the recorded values when the view opened.
    PlanApply {
        cloud: crate::guide::Cloud,
        applier: ApplierHandle,
    },
    /// Carry out these planned resources (after the admin's yes), with the same applier.
    RunApply {
        cloud: crate::guide::Cloud,
        applier: ApplierHandle,
        plan: Vec<crate::guide::apply::Planned>,
        allow_update: bool,
    },
    /// Run the revocation drill on the registered key (already confirmed).
    RunDrill {
        base: ApiBase,
        key: KeyRef,
        key_id: String,
        cloud: crate::guide::Cloud,
        inputs: crate::guide::Inputs,
        target: TargetHandle,
    },
    /// Stop the drill: switch the key on now.
    StopDrill,
    /// Send `Msg::RecheckTick { id }` after a while (a countdown's second).
    TickAfter {
        id: u64,
        after: std::time::Duration,
    },
    SaveProgress(Session),
    /// Restore the terminal and exit.
    Exit,
}

/// What the checks of a run read from the inputs, shared with the task that runs them. Two
/// handles are equal when they hold the same values.
#[derive(Clone)]
pub struct TargetHandle(pub std::sync::Arc<dyn crate::checks::CheckTarget>);

/// A kit's applier, built once from the recorded values and shared by the plan and the run.
#[derive(Clone)]
pub struct ApplierHandle(pub std::sync::Arc<dyn crate::guide::apply::Applier>);

impl std::fmt::Debug for ApplierHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApplierHandle")
    }
}

impl PartialEq for ApplierHandle {
    fn eq(&self, other: &ApplierHandle) -> bool {
        std::sync::Arc::ptr_eq(&self.0, &other.0)
    }
}

impl std::fmt::Debug for TargetHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl PartialEq for TargetHandle {
    fn eq(&self, other: &TargetHandle) -> bool {
        format!("{:?}", self.0) == format!("{:?}", other.0)
    }
}
