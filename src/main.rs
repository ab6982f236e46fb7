//! The `ekm-wizard` binary: parses the command line and hands over to the TUI or a headless command.

fn main() -> std::process::ExitCode {
    ekm_wizard::cli::main()
}
