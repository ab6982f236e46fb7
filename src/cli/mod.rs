//! The command line: no subcommand starts the wizard; each subcommand runs headless (see
//! `headless`). Exit codes (`exit`): 0 done or verified, 1 failed or refused, 2 bad input,
//! 3 not verified.

pub use crate::headless::args::{
    self, AfterSetupArgs, ApiArgs, CheckValues, CloudValues, CommonArgs, ReadValues, RenderValues,
};

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{ArgMatches, Args, CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::guide::{Cloud, SetupPath};

pub use crate::exit::{EXIT_BAD_INPUT, EXIT_NOT_VERIFIED, EXIT_OK, EXIT_REFUSED};

/// What `--version` says: the package version and the commit it was built from (build.rs;
/// "unknown" for a build outside a git checkout without `EKM_WIZARD_COMMIT`).
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("EKM_WIZARD_COMMIT"),
    ")"
);

#[derive(Debug, Parser)]
#[command(
    name = "ekm-wizard",
    version = VERSION,
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
    #[arg(long, value_parser = args::cloud_value_parser())]
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
    /// The Management API base for registering (default: OPENAI_BASE_URL, else
    /// https://api.openai.com/v1); https only, except to this machine.
    #[arg(long, value_name = "URL")]
    pub api_base: Option<String>,
    /// The AWS profile the live checks use (otherwise AWS_PROFILE or the default chain).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
}

impl From<StartArgs> for crate::app::Preset {
    fn from(args: StartArgs) -> Self {
        crate::app::Preset {
            cloud: args.cloud,
            org_id: args.org_id,
            path: args.path,
            external_id: args.external_id,
            fresh: args.fresh,
            api_base: args.api_base,
            profile: args.profile,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the generated policies, request bodies and commands for a cloud.
    Render {
        #[command(subcommand)]
        values: Box<RenderValues>,
    },
    /// Check the setup live with your own cloud credentials. Exit 0 verified (every check ran
    /// and passed; warnings allowed), 1 a check failed, 2 bad input, 3 not verified (nothing
    /// failed, but a check could not run: a missing permission, a sign-in, the network).
    Check {
        #[command(subcommand)]
        values: Box<CheckValues>,
        /// Seconds each check may take.
        #[arg(long, global = true, value_name = "SECONDS", default_value_t = 10)]
        timeout: u64,
    },
    /// Register the key with OpenAI's Management API (API path), create the EKM project and
    /// validate. The admin key comes from OPENAI_ADMIN_KEY or a masked prompt, and only ever
    /// travels in the Authorization header. To do the same by hand, `render` prints curl
    /// commands that read the header from standard input
    /// (`printf 'Authorization: Bearer %s\n' "$OPENAI_ADMIN_KEY" | curl -H @- …`), so the key is
    /// in no command line and no shell history.
    Register {
        #[command(subcommand)]
        values: Box<CloudValues>,
        #[command(flatten)]
        api: ApiArgs,
        /// The name of the project to create with the key.
        #[arg(long, global = true)]
        project_name: Option<String>,
        /// Register without asking (needed when standard input is not a terminal).
        #[arg(long, global = true)]
        yes: bool,
    },
    /// Ask OpenAI to use a registered key now: success, or the cloud's error explained.
    Validate {
        /// The external key id (extkey_…).
        id: String,
        #[command(flatten)]
        api: ApiArgs,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Explain an EKM error: what it means, what to do, and the step to revisit.
    Explain {
        /// The error text; read from standard input when absent.
        text: Option<String>,
        /// Print {"matched", "entry", "extracted"} as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print shell completions, made from this command line's own definition:
    /// `ekm-wizard completions bash > ~/.local/share/bash-completion/completions/ekm-wizard`.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), made from this command line's own definition:
    /// `ekm-wizard man > ekm-wizard.1`.
    Man,
    /// The health of a finished setup: the cloud checks and, when OPENAI_ADMIN_KEY is set,
    /// OpenAI's side (the registered key found, validated now, the projects using it). A
    /// summary, or with --json one object (schema_version 1) for cron, CI and monitoring. Exit
    /// 0 healthy, 1 unhealthy, 2 bad input, 3 not verified.
    Doctor {
        #[command(subcommand)]
        values: Box<ReadValues>,
        #[command(flatten)]
        after: AfterSetupArgs,
        /// Seconds each call may take.
        #[arg(long, global = true, value_name = "SECONDS", default_value_t = 10)]
        timeout: u64,
    },
    /// Doctor again and again: one line on start and whenever the health changes (with --json,
    /// one report per line). With --until-healthy it ends at the first healthy run (exit 0),
    /// or at --timeout with the last health's code (1 or 3): for after a fix, while IAM and
    /// RBAC changes reach everyone.
    Watch {
        #[command(subcommand)]
        values: Box<ReadValues>,
        #[command(flatten)]
        after: AfterSetupArgs,
        /// How long between runs (15m, 90s, 1h).
        #[arg(long, global = true, value_name = "DURATION", default_value = "15m", value_parser = args::parse_duration)]
        every: std::time::Duration,
        /// End at the first healthy run.
        #[arg(long, global = true)]
        until_healthy: bool,
        /// When to stop (20m, 1h); without it, watch runs until stopped.
        #[arg(long, global = true, value_name = "DURATION", value_parser = args::parse_duration)]
        timeout: Option<std::time::Duration>,
    },
    /// A revocation drill: proves you can cut OpenAI off and bring it back. OpenAI validates
    /// the key; after your confirmation the key (or its current version, where the cloud
    /// switches versions) is disabled; OpenAI's validation is watched until it fails; the key is switched on again; validation is
    /// watched until it passes. Every request OpenAI makes with the key fails while it is off.
    /// The wizard never leaves the key off: Ctrl-C switches it on, and a drill stopped by a
    /// crash is finished by the next start. Exit 0 proved, 1 not proved, 3 could not ask.
    Drill {
        #[command(subcommand)]
        values: Box<ReadValues>,
        #[command(flatten)]
        after: AfterSetupArgs,
        /// Show the plan (the key, its state, OpenAI's validation now) and change nothing.
        #[arg(long, global = true)]
        dry_run: bool,
        /// Switch the key off without asking (the flag is the confirmation).
        #[arg(long, global = true)]
        yes: bool,
        /// How long to wait for OpenAI to see each change (10m, 90s).
        #[arg(long, global = true, value_name = "DURATION", default_value = "10m", value_parser = args::parse_duration)]
        wait: std::time::Duration,
        /// Seconds each call may take.
        #[arg(long, global = true, value_name = "SECONDS", default_value_t = 20)]
        timeout: u64,
    },
    /// Do it for me: read what exists and show the plan (per resource: will create, as
    /// wanted, differs with its diff, or cannot with the missing permission); after your yes,
    /// make what is missing in order. Nothing is deleted; a resource that differs is changed
    /// only with --allow-update, and only as its diff shows. A second
    /// run changes nothing. Then the checks run. Exit 0 verified, 1 refused or failed, 2 bad
    /// input, 3 not verified.
    Apply {
        #[command(subcommand)]
        values: Box<ReadValues>,
        /// Apply without asking (the flag is the confirmation).
        #[arg(long, global = true)]
        yes: bool,
        /// Change existing resources that differ (by adding what the guide needs).
        #[arg(long, global = true)]
        allow_update: bool,
        /// Only read and print the plan (text or --json); write nothing. Exit 0 when every
        /// resource could be read, 1 when one cannot be made, 3 when one could not be read.
        #[arg(long, global = true, visible_alias = "dry-run", conflicts_with = "yes")]
        plan: bool,
        /// Seconds each call may take.
        #[arg(long, global = true, value_name = "SECONDS", default_value_t = 20)]
        timeout: u64,
    },
    /// Write a support bundle (Markdown) of the saved progress: inputs, generated blocks,
    /// recent errors explained. It never contains a secret.
    ///
    /// With --evidence DIR: a folder for an auditor instead: the generated artifacts, the last
    /// check, doctor and drill records with their times, OpenAI's audit-log events about
    /// external keys (when OPENAI_ADMIN_KEY may read them), a README and a SHA-256 manifest.
    Export {
        /// Where to write it; `-` for standard output. Default: ./ekm-wizard-support.md
        #[arg(long, value_name = "FILE", conflicts_with = "evidence")]
        output: Option<PathBuf>,
        /// Write the evidence folder here (a new or empty folder).
        #[arg(long, value_name = "DIR")]
        evidence: Option<PathBuf>,
        /// The Management API base for the audit log (default: OPENAI_BASE_URL, else
        /// https://api.openai.com/v1).
        #[arg(long, value_name = "URL", requires = "evidence")]
        api_base: Option<String>,
    },
}

/// Parses the command line and runs what it asks for.
pub fn main() -> ExitCode {
    crate::secrets::watch_env_vars(crate::clouds::secret_env_vars());
    crate::secrets::watch_patterns(crate::clouds::secret_patterns());
    let said = |err: clap::Error| {
        let _ = err.print();
        ExitCode::from(if err.use_stderr() {
            EXIT_BAD_INPUT
        } else {
            EXIT_OK
        })
    };
    let command = Cli::command();
    let matches = match command.clone().try_get_matches() {
        Ok(matches) => matches,
        Err(err) => return said(err),
    };
    // A key or a token given as any value is refused before anything reads or sends it.
    let mut refused = Vec::new();
    secret_shaped_values(&command, &matches, &mut refused);
    if !refused.is_empty() {
        for flag in refused {
            eprintln!("error: {flag} {}", crate::secrets::SECRET_REFUSED);
        }
        return ExitCode::from(EXIT_BAD_INPUT);
    }
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(err) => return said(err),
    };
    // A drill a crash or a kill left is finished before anything else reads the cloud.
    if matches!(
        cli.command,
        None | Some(
            Command::Check { .. }
                | Command::Doctor { .. }
                | Command::Watch { .. }
                | Command::Drill { .. }
        )
    ) && let Some(code) = crate::headless::after_setup::finish_left_over_drill()
        && code != EXIT_OK
        && matches!(cli.command, Some(Command::Drill { .. }))
    {
        // A new drill never starts while an earlier one's key may still be off.
        return ExitCode::from(code);
    }
    match cli.command {
        Some(Command::Render { values }) => ExitCode::from(match &values.format {
            Some(format) => {
                crate::headless::render_as_code(&values.values, format, values.out.as_deref())
            }
            None => crate::headless::render(&values.values),
        }),
        Some(Command::Check { values, timeout }) => ExitCode::from(crate::headless::check(
            &values.values,
            &crate::headless::CheckRequest {
                timeout,
                profile: values.profile.clone(),
                actions: values.actions.clone(),
            },
        )),
        Some(Command::Register {
            values,
            api,
            project_name,
            yes,
        }) => ExitCode::from(crate::headless::register(
            &values,
            &api,
            project_name.as_deref(),
            yes,
        )),
        Some(Command::Validate { id, api, json }) => {
            ExitCode::from(crate::headless::validate(&id, &api, json))
        }
        Some(Command::Explain { text, json }) => {
            ExitCode::from(crate::headless::explain(text.as_deref(), json))
        }
        Some(Command::Doctor {
            values,
            after,
            timeout,
        }) => ExitCode::from(crate::headless::after_setup::doctor(
            &values.values,
            &doctor_request(&values, &after, timeout),
        )),
        Some(Command::Watch {
            values,
            after,
            every,
            until_healthy,
            timeout,
        }) => ExitCode::from(crate::headless::after_setup::watch(
            &values.values,
            &crate::headless::after_setup::WatchRequest {
                doctor: doctor_request(&values, &after, 10),
                every,
                until_healthy,
                timeout,
            },
        )),
        Some(Command::Drill {
            values,
            after,
            dry_run,
            yes,
            wait,
            timeout,
        }) => ExitCode::from(crate::headless::after_setup::drill(
            &values.values,
            &crate::headless::after_setup::DrillRequest {
                doctor: doctor_request(&values, &after, timeout),
                dry_run,
                yes,
                wait,
            },
        )),
        Some(Command::Apply {
            values,
            yes,
            allow_update,
            plan,
            timeout,
        }) => ExitCode::from(crate::headless::apply::apply(
            &values.values,
            &crate::headless::apply::ApplyRequest {
                yes,
                allow_update,
                plan_only: plan,
                timeout,
                profile: values.profile.clone(),
            },
        )),
        Some(Command::Export {
            evidence: Some(dir),
            api_base,
            ..
        }) => ExitCode::from(crate::headless::after_setup::evidence(
            &dir,
            api_base.as_deref(),
        )),
        Some(Command::Export { output, .. }) => {
            ExitCode::from(crate::headless::export(output.as_deref()))
        }
        Some(Command::Completions { shell }) => {
            let mut text = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "ekm-wizard", &mut text);
            if shell == clap_complete::Shell::Bash {
                // clap_complete spells a hyphenated program's subcommand states two ways
                // (clap-rs/clap#6421), so nothing past a subcommand would complete: make the
                // case labels match the state the loop builds.
                text = String::from_utf8_lossy(&text)
                    .replace("ekm__subcmd__wizard", "ekm__wizard")
                    .into_bytes();
            }
            ExitCode::from(print_bytes(&text, "the completions"))
        }
        Some(Command::Man) => {
            let mut text = Vec::new();
            match clap_mangen::Man::new(Cli::command()).render(&mut text) {
                Ok(()) => ExitCode::from(print_bytes(&text, "the manual page")),
                Err(err) => {
                    eprintln!("error: cannot make the manual page: {err}");
                    ExitCode::from(EXIT_REFUSED)
                }
            }
        }
        None => ExitCode::from(crate::app::runtime::start(cli.start.into())),
    }
}

/// Names every argument (`--project-name`, `--kms-arn`, `<ID>`) whose value is shaped like a
/// secret, in the command and the subcommand chosen, never the value. The text given to
/// `explain` is exempt (an error message to explain, redacted there), and so is an API base
/// with `user:pass@`, which its own check refuses with its own words before any connection.
fn secret_shaped_values(command: &clap::Command, matches: &ArgMatches, out: &mut Vec<String>) {
    if command.get_name() == "explain" {
        return;
    }
    for arg in command.get_arguments() {
        let id = arg.get_id().as_str();
        let Ok(Some(values)) = matches.try_get_raw(id) else {
            continue;
        };
        let secret = values.map(|v| v.to_string_lossy()).any(|value| {
            crate::secrets::looks_secret(&value) && !(id == "api_base" && holds_credentials(&value))
        });
        if !secret {
            continue;
        }
        let name = match arg.get_long() {
            Some(long) => format!("--{long}"),
            None => format!("<{}>", id.to_ascii_uppercase()),
        };
        if !out.contains(&name) {
            out.push(name);
        }
    }
    if let Some((name, sub_matches)) = matches.subcommand()
        && let Some(sub) = command.find_subcommand(name)
    {
        secret_shaped_values(sub, sub_matches, out);
    }
}

fn holds_credentials(url: &str) -> bool {
    reqwest::Url::parse(url.trim())
        .is_ok_and(|url| !url.username().is_empty() || url.password().is_some())
}

fn doctor_request(
    values: &ReadValues,
    after: &AfterSetupArgs,
    timeout: u64,
) -> crate::headless::after_setup::DoctorRequest {
    crate::headless::after_setup::DoctorRequest {
        key_id: after.key_id.clone(),
        api_base: after.api_base.clone(),
        timeout,
        profile: values.profile.clone(),
        json: values.values.common().json,
    }
}

/// Writes generated text to standard output; a closed pipe (`| head`) is not an error.
fn print_bytes(text: &[u8], what: &str) -> u8 {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text).and_then(|()| stdout.flush()) {
        Ok(()) => EXIT_OK,
        Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => EXIT_OK,
        Err(err) => {
            eprintln!("error: cannot write {what}: {err}");
            EXIT_REFUSED
        }
    }
}
