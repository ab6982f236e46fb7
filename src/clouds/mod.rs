//! The registry of clouds: every kit the wizard knows, in the order the start screen lists
//! them. Each cloud is one folder beside this file; adding a cloud is a new folder and one
//! line in `KITS`. Nothing else in the wizard names a cloud.

pub mod aws;
pub mod azure;
pub mod gcp;

use crate::guide::{Cloud, CloudKit};

/// Every kit, in the order they are offered.
pub static KITS: [&'static dyn CloudKit; 3] = [&aws::KIT, &gcp::KIT, &azure::KIT];

/// Every cloud, in the order they are offered.
pub fn all() -> impl Iterator<Item = Cloud> {
    KITS.iter().map(|kit| Cloud::of(*kit))
}

/// The cloud named `key` (`aws`), if there is one.
pub fn by_key(key: &str) -> Option<Cloud> {
    all().find(|cloud| cloud.key() == key)
}

/// The cloud chosen when none was: the first.
pub fn first() -> Cloud {
    Cloud::of(KITS[0])
}

/// The keys of every cloud, for messages: `aws, gcp, azure`.
pub fn keys() -> String {
    all().map(Cloud::key).collect::<Vec<_>>().join(", ")
}

/// Every environment variable whose value is a secret of some cloud's tools.
pub fn secret_env_vars() -> impl Iterator<Item = &'static str> {
    KITS.iter()
        .flat_map(|kit| kit.secret_env_vars().iter().copied())
}
