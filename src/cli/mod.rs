//! The command line: no subcommand starts the wizard; each subcommand runs headless (see
//! `headless`). Exit codes (`exit`): 0 done or verified, 1 failed or refused, 2 bad input,
//! 3 not verified.

pub mod man;

pub use crate::headless::args::{
    self, AfterSetupArgs, ApiArgs, ApplyValues, CheckValues, CloudValues, CommonArgs, ReadValues,
    RenderValues,
};
use crate::headless::args::{BEHAVIOUR, INPUTS, OUTPUT, order};

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
    after_help = "Without a subcommand, the wizard starts in the terminal; with --plain (or EKM_WIZARD_PLAIN=1, ACCESSIBLE=1, TERM=dumb), as plain lines for screen readers."
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
    /// The wizard as plain lines, for screen readers and plain terminals: each step printed
    /// once, questions one line each, no redraws, no colour. Also when EKM_WIZARD_PLAIN=1 or
    /// ACCESSIBLE=1 is set, or TERM=dumb.
    #[arg(long)]
    pub plain: bool,
    /// With --plain: colour the words (never without it).
    #[arg(long)]
    pub color: bool,
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
        #[arg(long, global = true, value_name = "SECONDS", default_value_t = 10, help_heading = BEHAVIOUR, display_order = order::TIMEOUT)]
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
        #[arg(long, global = true, help_heading = INPUTS, display_order = order::PROJECT_NAME)]
        project_name: Option<String>,
        /// Register without asking (needed when standard input is not a terminal).
        #[arg(long, global = true, help_heading = BEHAVIOUR, display_order = order::YES)]
        yes: bool,
    },
    /// Ask OpenAI to use a registered key now: success, or the cloud's error explained.
    Validate {
        /// The external key id (extkey_…) that `register` printed.
        #[arg(value_name = "EXTKEY_ID")]
        id: String,
        #[command(flatten)]
        api: ApiArgs,
        /// Print the result as JSON.
        #[arg(long, help_heading = OUTPUT, display_order = order::JSON)]
        json: bool,
    },
    /// The organization's EKM keys at OpenAI (every page; never a key of another purpose):
    /// each with its cloud, resource, creation time and the projects and workspace that use
    /// it. `show`, `validate`, `delete` and `retire` act on one key or more. --json gives one
    /// object (schema_version 1).
    Keys {
        #[command(subcommand)]
        action: Option<crate::headless::keys::KeysAction>,
        #[command(flatten)]
        api: ApiArgs,
        /// Print one JSON object instead of text for people.
        #[arg(long, global = true)]
        json: bool,
    },
    /// Replace a registered key by a new one: the old key read, the new setup checked as
    /// `check` does, the new key registered and its project created as `register` does; then
    /// what you move by hand, and `ekm-wizard keys retire extkey_OLD` to finish. Its progress
    /// is saved: the same command resumes.
    Replace {
        #[command(subcommand)]
        values: Box<ReadValues>,
        #[command(flatten)]
        api: ApiArgs,
        /// The key being replaced (extkey_…); required.
        #[arg(long, global = true, value_name = "ID")]
        from: Option<String>,
        /// The name of the new project, for the new key.
        #[arg(long, global = true)]
        project_name: Option<String>,
        /// Register without asking (needed when standard input is not a terminal).
        #[arg(long, global = true)]
        yes: bool,
    },
    /// Explain an EKM error: what it means, what to do, and the step to revisit.
    Explain {
        /// The error text; read from standard input when absent.
        text: Option<String>,
        /// Print {"matched", "entry", "extracted"} as JSON.
        #[arg(long, help_heading = OUTPUT, display_order = order::JSON)]
        json: bool,
    },
    /// Print shell completions, made from this command line's own definition:
    /// `ekm-wizard completions bash > ~/.local/share/bash-completion/completions/ekm-wizard`.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print a manual page (roff), made from this command line's own definition:
    /// `ekm-wizard man > ekm-wizard.1`, `ekm-wizard man check > ekm-wizard-check.1`, or every
    /// page at once with `ekm-wizard man --out DIR`.
    Man {
        /// The subcommand whose page to print (ekm-wizard-COMMAND(1)); without it, the main page.
        #[arg(value_name = "COMMAND", conflicts_with = "out")]
        command: Option<String>,
        /// Write every page (ekm-wizard.1 and one per subcommand) into this folder.
        #[arg(long, value_name = "DIR", help_heading = OUTPUT, display_order = order::OUT)]
        out: Option<PathBuf>,
    },
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
        #[arg(long, global = true, value_name = "SECONDS", default_value_t = 10, help_heading = BEHAVIOUR, display_order = order::TIMEOUT)]
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
        #[arg(long, global = true, value_name = "DURATION", default_value = "15m", value_parser = args::parse_duration, help_heading = BEHAVIOUR, display_order = order::EVERY)]
        every: std::time::Duration,
        /// End at the first healthy run.
        #[arg(long, global = true, help_heading = BEHAVIOUR, display_order = order::UNTIL_HEALTHY)]
        until_healthy: bool,
        /// When to stop (20m, 1h); without it, watch runs until stopped.
        #[arg(long, global = true, value_name = "DURATION", value_parser = args::parse_duration, help_heading = BEHAVIOUR, display_order = order::TIMEOUT)]
        timeout: Option<std::time::Duration>,
    },
    /// A revocation drill: proves you can cut OpenAI off and bring it back. OpenAI validates
    /// the key; after your confirmation the key (or its current version, where the cloud
    /// switches versions) is disabled; OpenAI's validation is watched until it fails; the key is switched on again; validation is
    /// watched until it passes. While it is off, what OpenAI cannot serve from its data-key
    /// cache (kept up to an hour) fails.
    /// The wizard never leaves the key off: Ctrl-C switches it on, and a drill stopped by a
    /// crash is finished by the next start. Exit 0 proved, 1 not proved, 3 could not ask.
    #[command(mut_arg("key_id", |arg| arg.help("The registered key to drill (extkey_…): required; a drill never guesses which key to switch off.")))]
    Drill {
        #[command(subcommand)]
        values: Box<ReadValues>,
        #[command(flatten)]
        after: AfterSetupArgs,
        /// Show the plan (the key, its state, OpenAI's validation now) and change nothing.
        #[arg(long, global = true, help_heading = BEHAVIOUR, display_order = order::PLAN)]
        dry_run: bool,
        /// Switch the key off without asking (the flag is the confirmation).
        #[arg(long, global = true, help_heading = BEHAVIOUR, display_order = order::YES)]
        yes: bool,
        /// How long to wait for OpenAI to see each change (10m, 90s).
        #[arg(long, global = true, value_name = "DURATION", default_value = "10m", value_parser = args::parse_duration, help_heading = BEHAVIOUR, display_order = order::WAIT)]
        wait: std::time::Duration,
        /// Seconds each call may take.
        #[arg(long, global = true, value_name = "SECONDS", default_value_t = 20, help_heading = BEHAVIOUR, display_order = order::TIMEOUT)]
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
        values: Box<ApplyValues>,
        /// Apply without asking (the flag is the confirmation).
        #[arg(long, global = true, help_heading = BEHAVIOUR, display_order = order::YES)]
        yes: bool,
        /// Change existing resources that differ (by adding what the guide needs).
        #[arg(long, global = true, help_heading = BEHAVIOUR, display_order = order::ALLOW_UPDATE)]
        allow_update: bool,
        /// Only read and print the plan (text or --json); write nothing. Exit 0 when every
        /// resource could be read, 1 when one cannot be made, 3 when one could not be read.
        #[arg(long, global = true, visible_alias = "dry-run", conflicts_with = "yes", help_heading = BEHAVIOUR, display_order = order::PLAN)]
        plan: bool,
        /// Seconds each call may take.
        #[arg(long, global = true, value_name = "SECONDS", default_value_t = 20, help_heading = BEHAVIOUR, display_order = order::TIMEOUT)]
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
        #[arg(long, value_name = "FILE", conflicts_with = "evidence", help_heading = OUTPUT, display_order = order::OUT)]
        output: Option<PathBuf>,
        /// Write the evidence folder here (a new or empty folder).
        #[arg(long, value_name = "DIR", help_heading = OUTPUT, display_order = order::OUT + 1)]
        evidence: Option<PathBuf>,
        /// The Management API base for the audit log (default: OPENAI_BASE_URL, else
        /// https://api.openai.com/v1).
        #[arg(long, value_name = "URL", requires = "evidence", help_heading = BEHAVIOUR, display_order = order::API_BASE)]
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
            Some(format) => crate::headless::render_as_code(
                &values.values,
                format,
                values.out.as_deref(),
                values.with_openai,
            ),
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
        Some(Command::Keys { action, api, json }) => {
            ExitCode::from(crate::headless::keys::keys(action.as_ref(), &api, json))
        }
        Some(Command::Replace {
            values,
            api,
            from,
            project_name,
            yes,
        }) => ExitCode::from(crate::headless::keys::replace(
            &values,
            &api,
            from.as_deref(),
            project_name.as_deref(),
            yes,
        )),
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
        Some(Command::Man { command, out }) => ExitCode::from(manual(command.as_deref(), out)),
        None => {
            // On the ChatGPT path OpenAI presents the org id: another id would go unused.
            if cli.start.path == Some(SetupPath::ChatGpt)
                && let Some(id) = cli.start.external_id.as_deref().map(str::trim)
                && !id.is_empty()
                && Some(id) != cli.start.org_id.as_deref().map(str::trim)
            {
                eprintln!(
                    "error: --external-id: `{}` is not used on the ChatGPT path, which presents the org id (--org-id); leave --external-id out, or use --path api for an API project id",
                    crate::secrets::outside_id(id, 80)
                );
                return ExitCode::from(EXIT_BAD_INPUT);
            }
            if crate::plain::wanted(cli.start.plain) {
                let options = crate::plain::PlainOptions {
                    color: cli.start.color,
                };
                return ExitCode::from(crate::plain::start(cli.start.into(), options));
            }
            ExitCode::from(crate::app::runtime::start(cli.start.into()))
        }
    }
}

/// `ekm-wizard man [COMMAND] [--out DIR]`: one page on standard output, or every page written.
fn manual(command: Option<&str>, out: Option<PathBuf>) -> u8 {
    if let Some(dir) = out {
        let pages = match man::pages() {
            Ok(pages) => pages,
            Err(err) => {
                eprintln!("error: cannot make the manual pages: {err}");
                return EXIT_REFUSED;
            }
        };
        if let Err(err) = std::fs::create_dir_all(&dir) {
            eprintln!("error: --out: cannot create {}: {err}", dir.display());
            return EXIT_BAD_INPUT;
        }
        for (name, text) in pages {
            let path = dir.join(name);
            if let Err(err) = std::fs::write(&path, text) {
                eprintln!("error: cannot write {}: {err}", path.display());
                return EXIT_REFUSED;
            }
            println!("Wrote {}", path.display());
        }
        return EXIT_OK;
    }
    let page = match command {
        None => man::main_page(),
        Some(name) => match man::page(name) {
            Some(page) => page,
            None => {
                eprintln!(
                    "error: `{}` is not a subcommand; expected one of {}",
                    crate::secrets::outside_id(name, 40),
                    man::subcommands().join(", ")
                );
                return EXIT_BAD_INPUT;
            }
        },
    };
    match page {
        Ok(text) => print_bytes(text.as_bytes(), "the manual page"),
        Err(err) => {
            eprintln!("error: cannot make the manual page: {err}");
            EXIT_REFUSED
        }
    }
}

/// Names every argument (`--project-name`, `--kms-arn`, `<EXTKEY_ID>`) whose value is shaped like a
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
            None => format!(
                "<{}>",
                arg.get_value_names()
                    .and_then(|names| names.first())
                    .map(|name| name.to_string())
                    .unwrap_or_else(|| id.to_ascii_uppercase())
            ),
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
    values: &args::LiveValues<impl args::Live>,
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
