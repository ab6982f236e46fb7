//! `ekm-wizard` with a made-up fourth cloud, Tundra Vault, added to its registry: the whole
//! command line and wizard, built for `tests/fourth_cloud.rs` to prove that every generic part
//! (start screen, headless commands, saving, resuming, explain) knows a cloud only through its
//! kit. Not a cloud anyone can use.

#[path = "../tests/support/tundra.rs"]
mod tundra;

fn main() -> std::process::ExitCode {
    if let Err(err) = ekm_wizard::clouds::add(&tundra::TUNDRA) {
        eprintln!("error: {err}");
        return std::process::ExitCode::from(1);
    }
    ekm_wizard::cli::main()
}
