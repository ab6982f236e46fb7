//! Life after setup: the health of a finished setup (doctor, and watch repeating it), the
//! revocation drill that proves the customer can cut OpenAI off and bring it back, and the
//! evidence folder for an auditor. Services only: they know nothing of the screen or the
//! command line, and name no cloud (each kit switches its own key).

pub mod doctor;
pub mod drill;
pub mod evidence;
