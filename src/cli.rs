//! The command line: no subcommand starts the wizard; `render` prints artifacts headless.
//! Exit codes: 0 done, 1 a check or an API refused, 2 bad input.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::guide::{Cloud, SetupPath};

/// Exit code for success.
pub const EXIT_OK: u8 = 0;
/// Exit code when a check or an API refused.
pub const EXIT_REFUSED: u8 = 1;
/// Exit code for bad input (flags, config file, field values).
pub const EXIT_BAD_INPUT: u8 = 2;

#[derive(Debug, Parser)]
#[command(
    name = "ekm-wizard",
    version,
    about = "Set up OpenAI Enterprise Key Management in your cloud KMS, step by step",
    after_help = "Without a subcommand, the wizard starts in the terminal."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub start: StartArgs,
}

/// Flags that start the wizard somewhere other than the start screen.
#[derive(Debug, Args, Clone, Default)]
pub struct StartArgs {
    /// The cloud whose KMS holds the key; with --org-id, starts straight at its first step.
    #[arg(long, value_enum)]
    pub cloud: Option<Cloud>,
    /// Your OpenAI organization id (org-…).
    #[arg(long)]
    pub org_id: Option<String>,
    /// API registration, or ChatGPT Enterprise hand-over.
    #[arg(long, value_enum)]
    pub path: Option<SetupPath>,
    /// The id OpenAI presents (API path): the org id by default, or an API project id (proj_…).
    #[arg(long)]
    pub external_id: Option<String>,
    /// Ignore saved progress and start over (the saved file is left as it is until the next save).
    #[arg(long)]
    pub fresh: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the generated policies, request bodies and commands for a cloud.
    Render(RenderArgs),
}

/// The recorded values for `render` (and later `check`, `register`), as flags or a config file.
#[derive(Debug, Args, Clone)]
pub struct RenderArgs {
    /// The cloud to render for.
    #[arg(value_enum)]
    pub cloud: Cloud,
    /// A JSON file with the registration body's fields plus org_id; flags override it.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Your OpenAI organization id (org-…).
    #[arg(long)]
    pub org_id: Option<String>,
    /// The KMS key ARN: …:key/<uuid>, …:key/mrk-… or …:alias/<name>.
    #[arg(long)]
    pub kms_arn: Option<String>,
    /// For an alias kms_arn: the ARN of the key the alias points to (IAM policies name it).
    #[arg(long)]
    pub key_arn: Option<String>,
    /// The ARN of the role OpenAI assumes.
    #[arg(long)]
    pub role_arn: Option<String>,
    /// The id OpenAI presents as ExternalId (default: the org id).
    #[arg(long)]
    pub external_id: Option<String>,
    /// The key's name at OpenAI.
    #[arg(long)]
    pub name: Option<String>,
    /// The IAM policy's name in the CLI commands.
    #[arg(long)]
    pub policy_name: Option<String>,
    /// Which path's blocks to print as text (JSON always has all).
    #[arg(long, value_enum, default_value_t = SetupPath::Api)]
    pub path: SetupPath,
    /// Print one JSON object instead of text for people.
    #[arg(long)]
    pub json: bool,
}

/// Parses the command line and runs what it asks for.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return ExitCode::from(if err.use_stderr() {
                EXIT_BAD_INPUT
            } else {
                EXIT_OK
            });
        }
    };
    match cli.command {
        Some(Command::Render(args)) => ExitCode::from(crate::render::run(&args)),
        None => ExitCode::from(crate::app::runtime::start(cli.start)),
    }
}
