//! The `ekm-wizard` binary: parses the command line and hands over to the TUI or a headless command.

fn main() -> std::process::ExitCode {
    // A reader that stops early (`ekm-wizard check aws --json | head`) ends the program
    // quietly, as it ends any Unix tool, instead of a panic over the closed pipe. Rust starts
    // programs with SIGPIPE ignored; this puts back the default. Elsewhere a closed pipe is an
    // error each write reports.
    #[cfg(unix)]
    // SAFETY: called first thing, before any thread starts; SIG_DFL is a valid disposition.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    ekm_wizard::cli::main()
}
