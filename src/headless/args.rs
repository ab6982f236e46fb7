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
    #[arg(long, global = true, value_name = "URL", help_heading = BEHAVIOUR, display_order = order::API_BASE)]
    pub api_base: Option<String>,
    /// Seconds to wait for each answer.
    #[arg(long, global = true, value_name = "SECONDS", default_value_t = 30, help_heading = BEHAVIOUR, display_order = order::TIMEOUT)]
    pub timeout: u64,
}

/// The help headings of a subcommand's flags, in this order: what it reads, what it prints,
/// how it behaves.
pub const INPUTS: &str = "Inputs";
pub const OUTPUT: &str = "Output";
pub const BEHAVIOUR: &str = "Behaviour";

/// Where each flag stands under its heading (`display_order`): inputs from 1, output from
/// 100, behaviour from 200, so every subcommand lists its flags in one stated order.
pub mod order {
    pub const CONFIG: usize = 1;
    pub const ORG_ID: usize = 2;
    pub const NAME: usize = 3;
    pub const PATH: usize = 4;
    pub const KEY_ID: usize = 5;
    pub const PROJECT_NAME: usize = 6;
    /// The cloud's own fields, in its kit's order, from here.
    pub const FIELDS: usize = 10;
    pub const JSON: usize = 100;
    pub const FORMAT: usize = 101;
    pub const OUT: usize = 102;
    // 103: --with-openai, beside --out.
    pub const PROFILE: usize = 200;
    pub const API_BASE: usize = 201;
    /// The kit's actions, from here.
    pub const ACTIONS: usize = 210;
    pub const PLAN: usize = 220;
    pub const YES: usize = 221;
    pub const ALLOW_UPDATE: usize = 222;
    pub const EVERY: usize = 230;
    pub const UNTIL_HEALTHY: usize = 231;
    pub const WAIT: usize = 232;
    pub const TIMEOUT: usize = 240;
}

/// What every cloud's headless commands share: `--config`, `--org-id` and `--json` always;
/// `--name` and `--path` where the subcommand uses them (absent, `name` is `None` and `path`
/// the API path).
#[derive(Debug, Clone, Default)]
pub struct CommonArgs {
    pub config: Option<PathBuf>,
    pub org_id: Option<String>,
    pub name: Option<String>,
    pub path: SetupPath,
    pub json: bool,
}

/// Which of the flags that not every subcommand uses a cloud's subcommand offers.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Offers {
    /// `--name`: the key's name at OpenAI (render, register).
    pub name: bool,
    /// `--path`: which path's blocks to print (render).
    pub path: bool,
    /// The kit's naming fields (render, apply).
    pub naming: bool,
}

impl CommonArgs {
    fn args(offers: Offers) -> Vec<Arg> {
        let mut args = vec![
            Arg::new("config")
                .long("config")
                .value_name("FILE")
                .help("A JSON file with the registration body's fields plus org_id (and the cloud's extra fields); flags override it")
                .value_parser(clap::value_parser!(PathBuf))
                .help_heading(INPUTS)
                .display_order(order::CONFIG),
            Arg::new("org_id")
                .long("org-id")
                .value_name("ORG_ID")
                .help("Your OpenAI organization id (org-…)")
                .help_heading(INPUTS)
                .display_order(order::ORG_ID),
        ];
        if offers.name {
            args.push(
                Arg::new("name")
                    .long("name")
                    .value_name("NAME")
                    .help("The key's name at OpenAI")
                    .help_heading(INPUTS)
                    .display_order(order::NAME),
            );
        }
        if offers.path {
            args.push(
                Arg::new("path")
                    .long("path")
                    .value_name("PATH")
                    .help("Which path's blocks to print as text (JSON always has all)")
                    .value_parser(clap::value_parser!(SetupPath))
                    .default_value("api")
                    .help_heading(INPUTS)
                    .display_order(order::PATH),
            );
        }
        args.push(
            Arg::new("json")
                .long("json")
                .help("Print one JSON object instead of text for people")
                .action(ArgAction::SetTrue)
                .help_heading(OUTPUT)
                .display_order(order::JSON),
        );
        args
    }

    /// The shared values from a cloud's matches; a flag the subcommand does not offer reads
    /// as not given.
    fn read(matches: &ArgMatches) -> CommonArgs {
        let text = |id: &str| matches.try_get_one::<String>(id).ok().flatten().cloned();
        CommonArgs {
            config: matches
                .try_get_one::<PathBuf>("config")
                .ok()
                .flatten()
                .cloned(),
            org_id: text("org_id"),
            name: text("name"),
            path: matches
                .try_get_one::<SetupPath>("path")
                .ok()
                .flatten()
                .copied()
                .unwrap_or_default(),
            json: matches
                .try_get_one::<bool>("json")
                .ok()
                .flatten()
                .copied()
                .unwrap_or(false),
        }
    }
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

/// The subcommand of one cloud: the shared flags it offers, then one flag per field of its
/// kit (its naming fields only where `offers` says), each under its heading in a stated order.
fn cloud_command(cloud: Cloud, offers: Offers) -> clap::Command {
    let command = clap::Command::new(cloud.key())
        .about(format!("{}.", cloud.display_name()))
        .args(CommonArgs::args(offers));
    let naming = cloud.kit().naming_fields();
    cloud
        .kit()
        .fields()
        .iter()
        .enumerate()
        .filter(|(_, spec)| offers.naming || !naming.contains(&spec.id))
        .fold(command, |command, (at, spec)| {
            command.arg(
                Arg::new(spec.id.key())
                    .long(spec.id.key().replace('_', "-"))
                    .value_name(spec.id.key().to_ascii_uppercase())
                    .help(spec.flag_help)
                    .action(ArgAction::Set)
                    .value_parser(clap::value_parser!(String))
                    .help_heading(INPUTS)
                    .display_order(order::FIELDS + at),
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
    /// `--with-openai`: the setup as code registers the key with OpenAI too, where the kit can.
    pub with_openai: bool,
}

impl FromArgMatches for RenderValues {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let values = CloudValues::from_arg_matches(matches)?;
        let (cloud, sub) = chosen(matches)?;
        let asked = sub.try_get_one::<String>("format").ok().flatten();
        if asked.is_some_and(|f| f == "json") {
            return Err(clap::Error::raw(
                ErrorKind::InvalidValue,
                "--format json: the blocks as one JSON object are `--json`; --format writes the setup as code (see --help)\n",
            ));
        }
        let format = asked.filter(|f| f.as_str() != "blocks").cloned();
        let out = sub
            .try_get_one::<std::path::PathBuf>("out")
            .ok()
            .flatten()
            .cloned();
        let with_openai = sub
            .try_get_one::<bool>("with_openai")
            .ok()
            .flatten()
            .copied()
            .unwrap_or(false);
        if out.is_some() && format.is_none() {
            let formats: Vec<&str> = cloud.kit().code_formats().iter().map(|f| f.key).collect();
            return Err(clap::Error::raw(
                ErrorKind::MissingRequiredArgument,
                format!(
                    "--out needs --format ({}): it writes the files of the setup as code; the blocks are printed, never written to a folder\n",
                    formats.join(" or ")
                ),
            ));
        }
        Ok(RenderValues {
            values,
            format,
            out,
            with_openai,
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
            let mut sub = cloud_command(cloud, Offers { name: true, path: true, naming: true });
            let formats = cloud.kit().code_formats();
            if !formats.is_empty() {
                use clap::builder::PossibleValue;
                let mut possible = vec![PossibleValue::new("blocks")];
                possible.extend(formats.iter().map(|format| PossibleValue::new(format.key)));
                // Taken only to point to --json.
                possible.push(PossibleValue::new("json").hide(true));
                sub = sub.arg(
                    Arg::new("format")
                        .long("format")
                        .value_name("FORMAT")
                        .help("What to print: the blocks (default), or the whole setup as code (for JSON, --json).")
                        .value_parser(clap::builder::PossibleValuesParser::new(possible))
                        .action(ArgAction::Set)
                        .help_heading(OUTPUT)
                        .display_order(order::FORMAT),
                )
                .arg(
                    Arg::new("out")
                        .long("out")
                        .value_name("DIR")
                        .help("With --format: write the files into this folder instead of printing them.")
                        .value_parser(clap::value_parser!(std::path::PathBuf))
                        .action(ArgAction::Set)
                        .help_heading(OUTPUT)
                        .display_order(order::OUT),
                )
                .arg(
                    Arg::new("with_openai")
                        .long("with-openai")
                        .help("With --format: register the key with OpenAI in the code too (OpenAI's Terraform provider), where it has a resource for this cloud.")
                        .requires("format")
                        .action(ArgAction::SetTrue)
                        .help_heading(OUTPUT)
                        .display_order(order::OUT + 1),
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

/// What a subcommand that reads (or makes) the live setup offers beyond the cloud's values.
pub trait Live {
    /// The flags of the kit's actions (`--create-service-principal`): check.
    const ACTIONS: bool;
    /// The kit's naming fields: apply makes what they name.
    const NAMING: bool;
}

/// `check`: the checks, after the kit's actions asked for.
#[derive(Debug, Clone, Copy)]
pub struct Checking;
/// `doctor`, `watch` and `drill`: they read (or switch) what exists, nothing more.
#[derive(Debug, Clone, Copy)]
pub struct Reading;
/// `apply`: it makes what is missing, named as the naming fields say.
#[derive(Debug, Clone, Copy)]
pub struct Applying;

impl Live for Checking {
    const ACTIONS: bool = true;
    const NAMING: bool = false;
}
impl Live for Reading {
    const ACTIONS: bool = false;
    const NAMING: bool = false;
}
impl Live for Applying {
    const ACTIONS: bool = false;
    const NAMING: bool = true;
}

/// A cloud's values, and what reading the live setup takes: the credentials profile where the
/// cloud has them and, for `check`, the flags of the kit's actions.
#[derive(Debug, Clone)]
pub struct LiveValues<K: Live> {
    pub values: CloudValues,
    pub profile: Option<String>,
    /// The actions asked for by their flags (`--create-service-principal`).
    pub actions: Vec<crate::guide::ActionId>,
    kind: std::marker::PhantomData<K>,
}

/// `check <cloud>`: the kit's actions can be asked for first.
pub type CheckValues = LiveValues<Checking>;
/// `doctor`, `watch` and `drill <cloud>`.
pub type ReadValues = LiveValues<Reading>;
/// `apply <cloud>`.
pub type ApplyValues = LiveValues<Applying>;

impl<K: Live> FromArgMatches for LiveValues<K> {
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
            .filter(|a| K::ACTIONS && sub.get_flag(a.flag))
            .map(|a| a.id)
            .collect();
        Ok(LiveValues {
            values,
            profile,
            actions,
            kind: std::marker::PhantomData,
        })
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        *self = LiveValues::from_arg_matches(matches)?;
        Ok(())
    }
}

impl<K: Live> Subcommand for LiveValues<K> {
    fn augment_subcommands(command: clap::Command) -> clap::Command {
        crate::clouds::all().fold(command, |command, cloud| {
            // The key's name matters to registering, the path to render's blocks.
            let offers = Offers { name: false, path: false, naming: K::NAMING };
            let mut sub = cloud_command(cloud, offers);
            if let Some(help) = cloud.kit().profile_help() {
                sub = sub.arg(
                    Arg::new("profile")
                        .long("profile")
                        .value_name("NAME")
                        .help(help)
                        .action(ArgAction::Set)
                        .value_parser(clap::value_parser!(String))
                        .help_heading(BEHAVIOUR)
                        .display_order(order::PROFILE),
                );
            }
            for (at, action) in cloud.kit().actions().iter().filter(|_| K::ACTIONS).enumerate() {
                sub = sub.arg(
                    Arg::new(action.flag)
                        .long(action.flag)
                        .help(format!(
                            "{}, when it is missing, before checking (giving the flag is the confirmation).",
                            capitalized(action.title)
                        ))
                        .action(ArgAction::SetTrue)
                        .help_heading(BEHAVIOUR)
                        .display_order(order::ACTIONS + at),
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
            common: CommonArgs::read(values),
            fields: cloud
                .kit()
                .fields()
                .iter()
                .map(|spec| {
                    let given = values.try_get_one::<String>(spec.id.key());
                    (spec.id, given.ok().flatten().cloned())
                })
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
        // `register <cloud>`: the key's name, no path (registering is the API path), nothing
        // the naming fields name.
        let offers = Offers {
            name: true,
            path: false,
            naming: false,
        };
        crate::clouds::all().fold(command, |command, cloud| {
            command.subcommand(cloud_command(cloud, offers))
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
    #[arg(long, global = true, value_name = "ID", help_heading = INPUTS, display_order = order::KEY_ID)]
    pub key_id: Option<String>,
    /// The Management API base (default: OPENAI_BASE_URL, else https://api.openai.com/v1);
    /// https only, except to this machine. OpenAI is asked only when OPENAI_ADMIN_KEY is set.
    #[arg(long, global = true, value_name = "URL", help_heading = BEHAVIOUR, display_order = order::API_BASE)]
    pub api_base: Option<String>,
}
