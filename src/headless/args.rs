//! The values each headless command takes from the command line: where OpenAI is, the
//! options every cloud shares, and each cloud's recorded fields as flags. The runners in
//! `headless` read these; the dispatcher in `cli` parses them.

use std::path::PathBuf;

use clap::{Arg, ArgAction, ArgMatches, Args, FromArgMatches, Subcommand, error::ErrorKind};

use crate::guide::{Cloud, FieldId, SetupPath};

/// Where and how to reach OpenAI's Management API.
#[derive(Debug, Args, Clone, Default)]
pub struct ApiArgs {
    /// The API base (default: OPENAI_BASE_URL, else https://api.openai.com/v1); https only,
    /// except to this machine.
    #[arg(long, global = true, value_name = "URL")]
    pub api_base: Option<String>,
    /// Seconds to wait for each answer.
    #[arg(long, global = true, value_name = "SECONDS", default_value_t = 30)]
    pub timeout: u64,
}

/// What every cloud's headless commands share.
#[derive(Debug, Args, Clone, Default)]
pub struct CommonArgs {
    /// A JSON file with the registration body's fields plus org_id (and the cloud's extra
    /// fields); flags override it.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Your OpenAI organization id (org-…).
    #[arg(long)]
    pub org_id: Option<String>,
    /// The key's name at OpenAI.
    #[arg(long)]
    pub name: Option<String>,
    /// Which path's blocks to print as text (JSON always has all).
    #[arg(long, value_enum, default_value_t = SetupPath::Api)]
    pub path: SetupPath,
    /// Print one JSON object instead of text for people.
    #[arg(long)]
    pub json: bool,
}

/// The recorded values of one cloud, as flags named after its fields: `<cloud>` is a
/// subcommand per kit in the registry, and its flags are that kit's fields.
#[derive(Debug, Clone)]
pub struct CloudValues {
    pub cloud: Cloud,
    pub common: CommonArgs,
    /// The cloud's own fields, each with the value its flag gave (if any).
    pub fields: Vec<(FieldId, Option<String>)>,
}

impl CloudValues {
    pub fn cloud(&self) -> Cloud {
        self.cloud
    }

    pub fn common(&self) -> &CommonArgs {
        &self.common
    }

    /// Every flag given, as the field it sets.
    pub fn flags(&self) -> Vec<(FieldId, Option<String>)> {
        let mut flags = vec![
            (FieldId::ORG_ID, self.common.org_id.clone()),
            (FieldId::NAME, self.common.name.clone()),
        ];
        flags.extend(self.fields.iter().cloned());
        flags
    }
}

/// The subcommand of one cloud: the shared flags, then one flag per field of its kit.
fn cloud_command(cloud: Cloud) -> clap::Command {
    let command = CommonArgs::augment_args(clap::Command::new(cloud.key()))
        .about(format!("{}.", cloud.display_name()))
        .long_about(None);
    cloud.kit().fields().iter().fold(command, |command, spec| {
        command.arg(
            Arg::new(spec.id.key())
                .long(spec.id.key().replace('_', "-"))
                .value_name(spec.id.key().to_ascii_uppercase())
                .help(spec.flag_help)
                .action(ArgAction::Set)
                .value_parser(clap::value_parser!(String)),
        )
    })
}

/// The cloud a subcommand names, and its matches.
fn chosen(matches: &ArgMatches) -> Result<(Cloud, &ArgMatches), clap::Error> {
    let Some((name, values)) = matches.subcommand() else {
        return Err(clap::Error::raw(
            ErrorKind::MissingSubcommand,
            format!("name a cloud: {}\n", crate::clouds::keys()),
        ));
    };
    let Some(cloud) = crate::clouds::by_key(name) else {
        return Err(clap::Error::raw(
            ErrorKind::InvalidSubcommand,
            format!(
                "`{name}` is not a cloud; expected one of {}\n",
                crate::clouds::keys()
            ),
        ));
    };
    Ok((cloud, values))
}

/// `render <cloud>`: the cloud's values, and the format: the blocks (default), or the setup
/// as code in one of the formats the cloud's kit writes.
#[derive(Debug, Clone)]
pub struct RenderValues {
    pub values: CloudValues,
    /// `--format`: `None` for the blocks.
    pub format: Option<String>,
    /// `--out DIR`: where the files of the setup as code go (otherwise standard output).
    pub out: Option<std::path::PathBuf>,
}

impl FromArgMatches for RenderValues {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let values = CloudValues::from_arg_matches(matches)?;
        let (_, sub) = chosen(matches)?;
        let format = sub
            .try_get_one::<String>("format")
            .ok()
            .flatten()
            .filter(|f| f.as_str() != "blocks")
            .cloned();
        let out = sub
            .try_get_one::<std::path::PathBuf>("out")
            .ok()
            .flatten()
            .cloned();
        Ok(RenderValues {
            values,
            format,
            out,
        })
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        *self = RenderValues::from_arg_matches(matches)?;
        Ok(())
    }
}

impl Subcommand for RenderValues {
    fn augment_subcommands(command: clap::Command) -> clap::Command {
        crate::clouds::all().fold(command, |command, cloud| {
            let mut sub = cloud_command(cloud);
            let formats = cloud.kit().code_formats();
            if !formats.is_empty() {
                let mut possible = vec!["blocks"];
                possible.extend(formats.iter().map(|format| format.key));
                sub = sub.arg(
                    Arg::new("format")
                        .long("format")
                        .value_name("FORMAT")
                        .help("What to print: the blocks (default), or the whole setup as code.")
                        .value_parser(clap::builder::PossibleValuesParser::new(possible))
                        .action(ArgAction::Set),
                )
                .arg(
                    Arg::new("out")
                        .long("out")
                        .value_name("DIR")
                        .help("With --format: write the files into this folder instead of printing them.")
                        .value_parser(clap::value_parser!(std::path::PathBuf))
                        .action(ArgAction::Set),
                );
            }
            command.subcommand(sub)
        })
    }

    fn augment_subcommands_for_update(command: clap::Command) -> clap::Command {
        RenderValues::augment_subcommands(command)
    }

    fn has_subcommand(name: &str) -> bool {
        crate::clouds::by_key(name).is_some()
    }
}

/// A cloud's values, and what reading the live setup takes: the credentials profile where the
/// cloud has them and, when `ACTIONS`, the flags of the kit's actions.
#[derive(Debug, Clone)]
pub struct LiveValues<const ACTIONS: bool> {
    pub values: CloudValues,
    pub profile: Option<String>,
    /// The actions asked for by their flags (`--create-service-principal`).
    pub actions: Vec<crate::guide::ActionId>,
}

/// `check <cloud>`: the kit's actions can be asked for first.
pub type CheckValues = LiveValues<true>;
/// `doctor`, `watch` and `drill <cloud>`: they read (or switch) what exists, nothing more.
pub type ReadValues = LiveValues<false>;

impl<const ACTIONS: bool> FromArgMatches for LiveValues<ACTIONS> {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let values = CloudValues::from_arg_matches(matches)?;
        let (cloud, sub) = chosen(matches)?;
        let profile = match cloud.kit().profile_help() {
            Some(_) => sub.get_one::<String>("profile").cloned(),
            None => None,
        };
        let actions = cloud
            .kit()
            .actions()
            .iter()
            .filter(|a| ACTIONS && sub.get_flag(a.flag))
            .map(|a| a.id)
            .collect();
        Ok(LiveValues {
            values,
            profile,
            actions,
        })
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        *self = LiveValues::from_arg_matches(matches)?;
        Ok(())
    }
}

impl<const ACTIONS: bool> Subcommand for LiveValues<ACTIONS> {
    fn augment_subcommands(command: clap::Command) -> clap::Command {
        crate::clouds::all().fold(command, |command, cloud| {
            let mut sub = cloud_command(cloud)
                // The key's name matters to registering, not to checking.
                .mut_arg("name", |a| a.hide(true));
            if let Some(help) = cloud.kit().profile_help() {
                sub = sub.arg(
                    Arg::new("profile")
                        .long("profile")
                        .value_name("NAME")
                        .help(help)
                        .action(ArgAction::Set)
                        .value_parser(clap::value_parser!(String)),
                );
            }
            for action in cloud.kit().actions().iter().filter(|_| ACTIONS) {
                sub = sub.arg(
                    Arg::new(action.flag)
                        .long(action.flag)
                        .help(format!(
                            "{}, when it is missing, before checking (giving the flag is the confirmation).",
                            capitalized(action.title)
                        ))
                        .action(ArgAction::SetTrue),
                );
            }
            command.subcommand(sub)
        })
    }

    fn augment_subcommands_for_update(command: clap::Command) -> clap::Command {
        Self::augment_subcommands(command)
    }

    fn has_subcommand(name: &str) -> bool {
        crate::clouds::by_key(name).is_some()
    }
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

impl FromArgMatches for CloudValues {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let Some((name, values)) = matches.subcommand() else {
            return Err(clap::Error::raw(
                ErrorKind::MissingSubcommand,
                format!("name a cloud: {}\n", crate::clouds::keys()),
            ));
        };
        let Some(cloud) = crate::clouds::by_key(name) else {
            return Err(clap::Error::raw(
                ErrorKind::InvalidSubcommand,
                format!(
                    "`{name}` is not a cloud; expected one of {}\n",
                    crate::clouds::keys()
                ),
            ));
        };
        Ok(CloudValues {
            cloud,
            common: CommonArgs::from_arg_matches(values)?,
            fields: cloud
                .kit()
                .fields()
                .iter()
                .map(|spec| (spec.id, values.get_one::<String>(spec.id.key()).cloned()))
                .collect(),
        })
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        *self = CloudValues::from_arg_matches(matches)?;
        Ok(())
    }
}

impl Subcommand for CloudValues {
    fn augment_subcommands(command: clap::Command) -> clap::Command {
        crate::clouds::all().fold(command, |command, cloud| {
            command.subcommand(cloud_command(cloud))
        })
    }

    fn augment_subcommands_for_update(command: clap::Command) -> clap::Command {
        CloudValues::augment_subcommands(command)
    }

    fn has_subcommand(name: &str) -> bool {
        crate::clouds::by_key(name).is_some()
    }
}

/// Reads `--cloud`: one of the registry's keys.
pub fn cloud_value_parser() -> impl clap::builder::TypedValueParser<Value = Cloud> {
    let keys: Vec<&'static str> = crate::clouds::all().map(Cloud::key).collect();
    clap::builder::TypedValueParser::map(clap::builder::PossibleValuesParser::new(keys), |key| {
        crate::clouds::by_key(&key).unwrap_or_else(crate::clouds::first)
    })
}

/// Reads a duration: a number with `s`, `m` or `h` (`15m`, `90s`, `1h`), or seconds alone.
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        _ => 0,
    };
    match number.parse::<u64>() {
        Ok(0) if seconds > 0 => Err(format!(
            "`{text}` is no time; it must be more than 0 (15m, 90s, 1h)"
        )),
        Ok(n) if seconds > 0 => Ok(std::time::Duration::from_secs(n * seconds)),
        _ => Err(format!(
            "`{text}` is not a duration; expected a whole number with s, m or h (15m, 90s, 1h)"
        )),
    }
}

/// What `doctor`, `watch` and `drill` share beyond the cloud's values.
#[derive(Debug, Args, Clone, Default)]
pub struct AfterSetupArgs {
    /// The registered key (extkey_…); otherwise the key registered with the recorded values.
    #[arg(long, global = true, value_name = "ID")]
    pub key_id: Option<String>,
    /// The Management API base (default: OPENAI_BASE_URL, else https://api.openai.com/v1);
    /// https only, except to this machine. OpenAI is asked only when OPENAI_ADMIN_KEY is set.
    #[arg(long, global = true, value_name = "URL")]
    pub api_base: Option<String>,
}
