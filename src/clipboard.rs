//! Copying a generated block: the system clipboard where there is one, the terminal's
//! clipboard (OSC 52) over SSH, inside tmux or without a display, and a file when neither
//! works. Every copy reports which way it went; none fails silently.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine;

/// Forces one way of copying: `system`, `osc52` or `file`.
pub const CLIPBOARD_ENV: &str = "EKM_WIZARD_CLIPBOARD";

/// Which way a copy went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CopyRoute {
    /// The desktop's clipboard.
    System,
    /// An OSC 52 sequence sent to the terminal, which puts it on the clipboard of the
    /// machine the admin sits at (over SSH too). No terminal says whether it took it, and
    /// tmux (without `set-clipboard on`) or screen may drop it: `through` names the
    /// multiplexer in between, if any.
    Terminal { through: Option<&'static str> },
    /// Written to this file, because no clipboard could be reached.
    File(PathBuf),
}

impl fmt::Display for CopyRoute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CopyRoute::System => write!(f, "to the clipboard"),
            CopyRoute::Terminal { through: None } => {
                write!(f, "to your terminal's clipboard (OSC 52)")
            }
            CopyRoute::Terminal {
                through: Some(through),
            } => write!(
                f,
                "to your terminal's clipboard (OSC 52, through {through})"
            ),
            CopyRoute::File(path) => write!(f, "to {} (no clipboard reachable)", shown(path)),
        }
    }
}

/// What the environment says about the clipboards that can be reached.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClipboardEnv {
    pub over_ssh: bool,
    pub in_tmux: bool,
    /// GNU screen (`STY`), which passes OSC 52 on only when configured to.
    pub in_screen: bool,
    pub has_display: bool,
    /// The terminal cannot take escape sequences (`TERM=dumb`).
    pub dumb_terminal: bool,
    /// Set by `EKM_WIZARD_CLIPBOARD`.
    pub forced: Option<ForcedRoute>,
}

/// A way of copying chosen by the admin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForcedRoute {
    System,
    Terminal,
    File,
}

/// What `EKM_WIZARD_CLIPBOARD` may say.
pub const CLIPBOARD_CHOICES: &str = "system, osc52 or file";

/// Why `EKM_WIZARD_CLIPBOARD` is not taken, when it is set to something it cannot mean.
pub fn env_problem() -> Option<String> {
    let value = std::env::var_os(CLIPBOARD_ENV)?;
    let value = value.to_string_lossy();
    if value.is_empty() || matches!(value.as_ref(), "system" | "osc52" | "file") {
        return None;
    }
    Some(format!(
        "{CLIPBOARD_ENV}={} is not a way of copying: it takes {CLIPBOARD_CHOICES}. It is ignored; copying tries the usual ways.",
        crate::secrets::visible(&crate::secrets::redact(&value))
    ))
}

impl ClipboardEnv {
    pub fn from_env() -> Self {
        let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
        let forced = match std::env::var(CLIPBOARD_ENV).ok().as_deref() {
            Some("system") => Some(ForcedRoute::System),
            Some("osc52") => Some(ForcedRoute::Terminal),
            Some("file") => Some(ForcedRoute::File),
            _ => None,
        };
        ClipboardEnv {
            over_ssh: set("SSH_CONNECTION") || set("SSH_TTY") || set("SSH_CLIENT"),
            in_tmux: set("TMUX"),
            in_screen: set("STY"),
            has_display: cfg!(any(target_os = "macos", windows))
                || set("DISPLAY")
                || set("WAYLAND_DISPLAY"),
            dumb_terminal: std::env::var("TERM").is_ok_and(|t| t == "dumb"),
            forced,
        }
    }

    /// The ways to try, in order.
    pub fn plan(&self) -> Vec<ForcedRoute> {
        if let Some(forced) = self.forced {
            return vec![forced, ForcedRoute::File];
        }
        let mut plan = Vec::new();
        if self.has_display && !self.over_ssh && !self.in_tmux {
            plan.push(ForcedRoute::System);
        }
        if !self.dumb_terminal {
            plan.push(ForcedRoute::Terminal);
        }
        plan.push(ForcedRoute::File);
        plan
    }
}

/// A path as shown to the admin: the home folder as `~`, never cut.
pub fn shown(path: &Path) -> String {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    match home
        .as_deref()
        .and_then(|home| path.strip_prefix(home).ok())
    {
        Some(rest) if !rest.as_os_str().is_empty() => format!("~/{}", rest.display()),
        _ => path.display().to_string(),
    }
}

/// The OSC 52 sequence that asks the terminal to put `text` on its clipboard. Inside tmux it
/// is also wrapped for tmux's passthrough, so it reaches the outer terminal either way.
pub fn osc52_sequence(text: &str, in_tmux: bool) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    let plain = format!("\x1b]52;c;{encoded}\x07");
    if in_tmux {
        format!("{plain}\x1bPtmux;\x1b\x1b]52;c;{encoded}\x07\x1b\\")
    } else {
        plain
    }
}

/// Writes a block to `dir/name`, creating the folder, and returns the path written.
pub fn write_file(dir: &Path, name: &str, text: &str) -> Result<PathBuf, String> {
    crate::session::create_private_dir(dir)
        .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let path = dir.join(name);
    crate::session::write_private(&path, text)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}

/// Copies blocks for the life of the program. The system clipboard is opened on first use and
/// kept, since on X11 and Wayland the copied text lives only as long as its owner.
pub struct Clipboard {
    env: ClipboardEnv,
    files_dir: PathBuf,
    system: Option<arboard::Clipboard>,
}

impl Clipboard {
    pub fn new(env: ClipboardEnv, files_dir: PathBuf) -> Self {
        Clipboard {
            env,
            files_dir,
            system: None,
        }
    }

    /// Copies `text`, trying each way in turn; `terminal` receives the OSC 52 sequence and
    /// `file_name` names the file written when nothing else works.
    pub fn copy(
        &mut self,
        text: &str,
        file_name: &str,
        terminal: &mut dyn Write,
    ) -> Result<CopyRoute, String> {
        let mut failures = Vec::new();
        for route in self.env.plan() {
            match route {
                ForcedRoute::System => match self.copy_to_system(text) {
                    Ok(()) => return Ok(CopyRoute::System),
                    Err(err) => failures.push(format!("clipboard: {err}")),
                },
                ForcedRoute::Terminal => {
                    let sequence = osc52_sequence(text, self.env.in_tmux);
                    match terminal
                        .write_all(sequence.as_bytes())
                        .and_then(|()| terminal.flush())
                    {
                        Ok(()) => {
                            let through = if self.env.in_tmux {
                                Some("tmux")
                            } else if self.env.in_screen {
                                Some("screen")
                            } else {
                                None
                            };
                            return Ok(CopyRoute::Terminal { through });
                        }
                        Err(err) => failures.push(format!("terminal: {err}")),
                    }
                }
                ForcedRoute::File => match write_file(&self.files_dir, file_name, text) {
                    Ok(path) => return Ok(CopyRoute::File(path)),
                    Err(err) => failures.push(err),
                },
            }
        }
        Err(failures.join("; "))
    }

    fn copy_to_system(&mut self, text: &str) -> Result<(), String> {
        if self.system.is_none() {
            self.system = Some(arboard::Clipboard::new().map_err(|e| e.to_string())?);
        }
        match self.system.as_mut() {
            Some(system) => system.set_text(text.to_string()).map_err(|e| e.to_string()),
            None => Err("no clipboard".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_follow_the_environment() {
        let desktop = ClipboardEnv {
            has_display: true,
            ..Default::default()
        };
        assert_eq!(
            desktop.plan(),
            [
                ForcedRoute::System,
                ForcedRoute::Terminal,
                ForcedRoute::File
            ]
        );
        let ssh = ClipboardEnv {
            over_ssh: true,
            has_display: true,
            ..Default::default()
        };
        assert_eq!(ssh.plan(), [ForcedRoute::Terminal, ForcedRoute::File]);
        let dumb = ClipboardEnv {
            dumb_terminal: true,
            ..Default::default()
        };
        assert_eq!(dumb.plan(), [ForcedRoute::File]);
    }

    #[test]
    fn osc52_carries_the_text_in_base64() {
        assert_eq!(osc52_sequence("hi", false), "\x1b]52;c;aGk=\x07");
        assert!(osc52_sequence("hi", true).contains("\x1bPtmux;\x1b\x1b]52;c;aGk=\x07\x1b\\"));
    }

    #[test]
    fn over_ssh_the_copy_goes_through_the_terminal() {
        let dir = tempfile::tempdir().unwrap();
        let env = ClipboardEnv {
            over_ssh: true,
            ..Default::default()
        };
        let mut clipboard = Clipboard::new(env, dir.path().to_path_buf());
        let mut terminal = Vec::new();
        let route = clipboard.copy("{}", "x.json", &mut terminal).unwrap();
        assert_eq!(route, CopyRoute::Terminal { through: None });
        assert_eq!(terminal, b"\x1b]52;c;e30=\x07");
        let env = ClipboardEnv {
            in_tmux: true,
            ..Default::default()
        };
        let mut clipboard = Clipboard::new(env, dir.path().to_path_buf());
        let route = clipboard.copy("{}", "x.json", &mut Vec::new()).unwrap();
        assert_eq!(
            route,
            CopyRoute::Terminal {
                through: Some("tmux")
            }
        );
    }

    #[test]
    fn with_no_clipboard_at_all_the_block_lands_in_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let env = ClipboardEnv {
            dumb_terminal: true,
            ..Default::default()
        };
        let mut clipboard = Clipboard::new(env, dir.path().join("exports"));
        let route = clipboard
            .copy("policy", "made-policy.json", &mut Vec::new())
            .unwrap();
        let CopyRoute::File(path) = route else {
            panic!()
        };
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "policy");
        assert!(route_text_names_the_file(
            &CopyRoute::File(path.clone()),
            &path
        ));
    }

    fn route_text_names_the_file(route: &CopyRoute, path: &Path) -> bool {
        route.to_string().contains(&path.display().to_string())
    }
}
