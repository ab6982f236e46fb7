//! The manual: `ekm-wizard(1)` and one page per subcommand it cites (`ekm-wizard-check(1)`…),
//! each made from the command line's own definition, with every flag (a cloud's under its
//! own section), the environment it reads and the exit codes.

use clap::CommandFactory;

/// Who reads an environment variable: every command, or the named subcommands (the wizard
/// itself is the main page's).
struct Variable {
    name: &'static str,
    meaning: &'static str,
    /// The subcommands that read it; empty for all of them.
    read_by: &'static [&'static str],
}

const OPENAI: &[&str] = &["register", "validate", "doctor", "watch", "drill", "export"];
const STATE: &[&str] = &[
    "check", "register", "doctor", "watch", "drill", "apply", "export",
];

fn variables() -> Vec<Variable> {
    vec![
        Variable {
            name: crate::openai::client::ADMIN_KEY_ENV,
            meaning: "The OpenAI admin key (sk-admin-…); never written, logged or shown. register and a drill ask for it at a masked prompt when it is unset and there is a terminal; doctor, watch and export --evidence ask OpenAI only when it is set.",
            read_by: OPENAI,
        },
        Variable {
            name: crate::openai::client::API_BASE_ENV,
            meaning: "The Management API base when --api-base is not given (default https://api.openai.com/v1); https only, except to this machine.",
            read_by: OPENAI,
        },
        Variable {
            name: crate::session::STATE_DIR_ENV,
            meaning: "The folder of saved progress, the last run's record, the drill's records and the apply call log (default: the platform's state folder).",
            read_by: STATE,
        },
        Variable {
            name: crate::clipboard::CLIPBOARD_ENV,
            meaning: "How the wizard copies: the system clipboard, else OSC 52, else a file.",
            read_by: &["wizard"],
        },
        Variable {
            name: "NO_COLOR",
            meaning: "When set and not empty, the wizard uses no colour.",
            read_by: &["wizard"],
        },
        Variable {
            name: "HTTPS_PROXY, NO_PROXY",
            meaning: "The proxy for outside hosts, and the hosts that bypass it; this machine is never proxied.",
            read_by: &[],
        },
    ]
}

/// The variables of each cloud's own sign-in, never shown (the names its kit declares).
fn cloud_variables() -> String {
    crate::clouds::secret_env_vars()
        .collect::<Vec<_>>()
        .join(", ")
}

/// Roff text: backslashes, hyphens and a leading dot or quote made literal.
fn roff(text: &str) -> String {
    let escaped = text.replace('\\', "\\e").replace('-', "\\-");
    if escaped.starts_with(['.', '\'']) {
        format!("\\&{escaped}")
    } else {
        escaped
    }
}

/// The command line, built: globals copied to the subcommands, names filled in.
fn built() -> clap::Command {
    let mut command = super::Cli::command();
    command.build();
    command
}

/// The name of each subcommand the main page cites.
pub fn subcommands() -> Vec<String> {
    built()
        .get_subcommands()
        .map(|sub| sub.get_name().to_string())
        .collect()
}

fn environment(page: Option<&str>) -> String {
    let mut out = String::from(".SH ENVIRONMENT\n");
    for variable in variables() {
        let read = match page {
            None => true,
            Some(name) => variable.read_by.is_empty() || variable.read_by.contains(&name),
        };
        if read {
            out.push_str(&format!(
                ".TP\n\\fB{}\\fR\n{}\n",
                roff(variable.name),
                roff(variable.meaning)
            ));
        }
    }
    let reads_clouds = page.is_none_or(|name| {
        crate::clouds::all().any(|cloud| {
            built()
                .find_subcommand(name)
                .is_some_and(|sub| sub.find_subcommand(cloud.key()).is_some())
        })
    });
    if reads_clouds {
        out.push_str(&format!(
            ".TP\n\\fB{}\\fR\n{}\n",
            roff(&cloud_variables()),
            roff("Read by each cloud's own sign-in (its SDK's credential chain), never shown; a --profile flag, where a cloud has one, names the profile.")
        ));
    }
    out
}

fn exit_status() -> String {
    let mut out = String::from(".SH \"EXIT STATUS\"\n");
    for (code, meaning) in crate::exit::MEANINGS {
        out.push_str(&format!(".TP\n\\fB{code}\\fR\n{}\n", roff(meaning)));
    }
    out
}

fn see_also(name: &str) -> String {
    let others: Vec<String> = std::iter::once("ekm-wizard(1)".to_string())
        .chain(
            subcommands()
                .into_iter()
                .filter(|sub| sub != name)
                .map(|sub| format!("ekm-wizard-{sub}(1)")),
        )
        .collect();
    format!(".SH \"SEE ALSO\"\n{}\n", roff(&others.join(", ")))
}

fn rendered(
    render: impl Fn(&clap_mangen::Man, &mut dyn std::io::Write) -> std::io::Result<()>,
    man: &clap_mangen::Man,
) -> std::io::Result<String> {
    let mut bytes = Vec::new();
    render(man, &mut bytes)?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// The main page, `ekm-wizard(1)`.
pub fn main_page() -> std::io::Result<String> {
    let man = clap_mangen::Man::new(super::Cli::command());
    let mut page = rendered(clap_mangen::Man::render, &man)?;
    page.push_str(&environment(None));
    page.push_str(&exit_status());
    Ok(page)
}

/// The page of one subcommand, `ekm-wizard-<name>(1)`; `None` for no such subcommand. A
/// subcommand taken per cloud (`check aws`) lists each cloud's flags in a section of its own.
pub fn page(name: &str) -> Option<std::io::Result<String>> {
    let command = built();
    let sub = command.find_subcommand(name)?.clone();
    Some((|| {
        let man = clap_mangen::Man::new(sub.clone())
            .title(format!("ekm-wizard-{name}"))
            .source(format!("ekm-wizard {}", env!("CARGO_PKG_VERSION")));
        let mut page = String::new();
        for part in [
            clap_mangen::Man::render_title,
            clap_mangen::Man::render_name_section,
            clap_mangen::Man::render_synopsis_section,
            clap_mangen::Man::render_description_section,
            clap_mangen::Man::render_options_section,
        ] {
            page.push_str(&rendered(part, &man)?);
        }
        for cloud in sub.get_subcommands().filter(|c| c.get_name() != "help") {
            let path = format!("ekm-wizard {name} {}", cloud.get_name());
            page.push_str(&format!(
                ".SH \"{}\"\n{}\n",
                roff(&path.to_uppercase()),
                roff(&format!(
                    "{} {}",
                    cloud.get_about().map(|a| a.to_string()).unwrap_or_default(),
                    path
                ))
            ));
            // The cloud's own sections become subsections of its section.
            let options = rendered(
                clap_mangen::Man::render_options_section,
                &clap_mangen::Man::new(cloud.clone()),
            )?;
            for line in options.lines() {
                match line.strip_prefix(".SH ") {
                    Some(heading) => page.push_str(&format!(".SS {heading}\n")),
                    None => {
                        page.push_str(line);
                        page.push('\n');
                    }
                }
            }
        }
        page.push_str(&environment(Some(name)));
        page.push_str(&exit_status());
        page.push_str(&see_also(name));
        Ok(page)
    })())
}

/// Every page, by file name: `ekm-wizard.1`, then `ekm-wizard-<name>.1` for each subcommand.
pub fn pages() -> std::io::Result<Vec<(String, String)>> {
    let mut pages = vec![("ekm-wizard.1".to_string(), main_page()?)];
    for name in subcommands() {
        if let Some(page) = page(&name) {
            pages.push((format!("ekm-wizard-{name}.1"), page?));
        }
    }
    Ok(pages)
}
