//! The runtime: owns the terminal, turns terminal events and signals into messages, runs
//! `update`, performs the effects it returns and draws once per batch. With nothing happening
//! it sleeps: no timer, no redraw loop.

use std::collections::VecDeque;
use std::io::{self, IsTerminal};
use std::path::PathBuf;

use crossterm::event::Event;
use tokio::sync::mpsc;

use std::time::Duration;

use super::perform::Effects;

/// How often the spinner turns while something runs.
const SPINNER_FRAME: Duration = Duration::from_millis(120);
use super::keymap::message_for_key;
use super::model::{Model, StartOptions};
use super::msg::Msg;
use super::preset::Preset;
use super::theme::Theme;
use super::{terminal, update, view};
use crate::clipboard::{Clipboard, ClipboardEnv};
use crate::exit::{EXIT_BAD_INPUT, EXIT_OK, EXIT_REFUSED};
use crate::session::SessionStore;

/// Starts the wizard in this terminal and returns the exit code.
pub fn start(args: Preset) -> u8 {
    // A base OpenAI would not be reached at safely is refused before the screen is taken.
    let api_base = match super::startup::api_base(&args) {
        Ok(base) => Some(Ok(base)),
        Err(code) => return code,
    };
    if !io::stdin().is_terminal() || !io::stdout().is_terminal() {
        eprintln!(
            "error: the wizard needs a terminal; for scripts use `ekm-wizard render <cloud> …` (see --help)"
        );
        return EXIT_BAD_INPUT;
    }
    let super::startup::Saved {
        store,
        loaded,
        saving_disabled,
        files_dir,
    } = super::startup::Saved::find(&args);
    let runtime = match super::startup::effects_thread() {
        Ok(runtime) => runtime,
        Err(code) => return code,
    };
    let theme = Theme::from_env();
    let mut terminal = match terminal::enter(theme.color && theme.basic_colors) {
        Ok(terminal) => terminal,
        Err(err) => {
            terminal::leave();
            eprintln!("error: cannot take over the terminal: {err}");
            return EXIT_REFUSED;
        }
    };
    let (width, height) = terminal
        .size()
        .map(|s| (s.width, s.height))
        .unwrap_or((80, 24));
    let profile = args.profile.clone();
    let model = Model::new(StartOptions {
        api_base,
        key_from_env: crate::openai::AdminKey::from_env().is_some(),
        redactor: crate::secrets::Redactor::from_env(),
        args,
        loaded,
        saving_disabled,
        width,
        height,
        theme,
    });
    let mut model = model;
    if let Some(problem) = crate::clipboard::env_problem()
        && model.status.is_none()
    {
        model.status = Some(super::model::Status::new(
            super::model::StatusKind::Error,
            problem,
        ));
    }
    let result = runtime.block_on(run(&mut terminal, model, store, files_dir, profile));
    terminal::leave();
    match result {
        Ok(farewell) => {
            for line in farewell.lines() {
                println!("{}", crate::secrets::visible(line));
            }
            EXIT_OK
        }
        Err(err) => {
            eprintln!("error: {err}");
            EXIT_REFUSED
        }
    }
}

/// Something that arrived while the wizard waited.
enum Incoming {
    Terminal(Event),
    Message(Msg),
}

async fn run(
    terminal: &mut terminal::Tui,
    mut model: Model,
    store: Option<SessionStore>,
    files_dir: PathBuf,
    profile: Option<String>,
) -> io::Result<String> {
    let mut events = spawn_terminal_reader();
    let mut stop = crate::stop::StopSignals::listen()?;
    let (results_sender, mut results) = mpsc::unbounded_channel();
    let mut effects = Effects {
        store,
        clipboard: Clipboard::new(ClipboardEnv::from_env(), files_dir.clone()),
        files_dir,
        results: results_sender,
        checks: None,
        profile,
        saved_to: None,
        drill_stop: None,
        drill_task: None,
    };
    let mut batch: VecDeque<Incoming> = VecDeque::new();
    loop {
        terminal.draw(|frame| view::draw(frame, &model))?;
        write_hyperlinks(terminal, &model)?;
        let first = tokio::select! {
            event = events.recv() => match event {
                Some(Ok(event)) => Incoming::Terminal(event),
                Some(Err(err)) => return Err(err),
                None => Incoming::Message(Msg::Quit),
            },
            Some(msg) = results.recv() => Incoming::Message(msg),
            _ = tokio::time::sleep(SPINNER_FRAME), if model.busy() => Incoming::Message(Msg::SpinnerTick),
            _ = stop.recv() => Incoming::Message(Msg::Quit),
        };
        batch.push_back(first);
        // Take the whole backlog before drawing again.
        while let Ok(event) = events.try_recv() {
            batch.push_back(Incoming::Terminal(event?));
        }
        while let Ok(msg) = results.try_recv() {
            batch.push_back(Incoming::Message(msg));
        }
        while let Some(incoming) = batch.pop_front() {
            let msg = match incoming {
                Incoming::Message(msg) => Some(msg),
                Incoming::Terminal(Event::Key(key)) => message_for_key(&model, key),
                Incoming::Terminal(Event::Paste(text)) => Some(Msg::PasteIntoField(text)),
                Incoming::Terminal(Event::Resize(width, height)) => {
                    // In a storm of resizes an event can describe a size already gone: ask
                    // the terminal for the size it has now.
                    let (width, height) = crossterm::terminal::size().unwrap_or((width, height));
                    Some(Msg::TerminalResized { width, height })
                }
                Incoming::Terminal(_) => None,
            };
            let Some(msg) = msg else { continue };
            for effect in update(&mut model, msg) {
                if let super::effect::Effect::ShowExactText { title, text } = &effect {
                    if show_exact_text(terminal, &mut events, title, text, model.theme.ascii)
                        .await?
                    {
                        batch.push_back(Incoming::Message(Msg::Quit));
                    }
                    // The window may have changed while the text was on show.
                    if let Ok((width, height)) = crossterm::terminal::size() {
                        batch.push_back(Incoming::Message(Msg::TerminalResized { width, height }));
                    }
                    continue;
                }
                match effects.perform(effect) {
                    Some(results) => batch.extend(results.into_iter().map(Incoming::Message)),
                    None => {
                        effects.finish_drill().await;
                        return Ok(super::farewell::farewell(
                            &model,
                            effects.saved_to.as_deref(),
                        ));
                    }
                }
            }
        }
    }
}

/// Shows `text` exactly on the terminal's own screen: the alternate screen is left, the text
/// printed as it is (no frame, no folding: the terminal wraps a long line itself, so a mouse
/// selection copies it whole) and kept in the scrollback; Esc, Enter or q comes back to the
/// wizard, redrawn. Whether the admin asked to quit instead (Ctrl-C, Ctrl-Q).
async fn show_exact_text(
    terminal: &mut terminal::Tui,
    events: &mut mpsc::UnboundedReceiver<io::Result<Event>>,
    title: &str,
    text: &str,
    ascii: bool,
) -> io::Result<bool> {
    use crossterm::event::{KeyCode, KeyEventKind, KeyModifiers};
    use crossterm::style::Print;
    use crossterm::terminal::{EnterAlternateScreen, LeaveAlternateScreen};
    use std::io::Write;
    let rule = if ascii { "--" } else { "──" };
    let fit = |line: &str| {
        let line = crate::secrets::visible(line);
        if ascii {
            line.chars()
                .map(|c| if c.is_ascii() { c } else { '?' })
                .collect()
        } else {
            line
        }
    };
    let out = terminal.backend_mut();
    crossterm::queue!(
        out,
        LeaveAlternateScreen,
        Print(format!(
            "\r\n{rule} {}: the exact text, for copying with the mouse {rule}\r\n\r\n",
            fit(title)
        ))
    )?;
    for line in text.lines() {
        crossterm::queue!(out, Print(fit(line)), Print("\r\n"))?;
    }
    crossterm::queue!(
        out,
        Print(format!(
            "\r\n{rule} Esc, Enter or q goes back to the wizard {rule}\r\n"
        ))
    )?;
    out.flush()?;
    let quit = loop {
        match events.recv().await {
            Some(Ok(Event::Key(key))) if key.kind != KeyEventKind::Release => {
                let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
                match key.code {
                    KeyCode::Char('c' | 'q') if ctrl => break true,
                    KeyCode::Esc | KeyCode::Enter | KeyCode::Char('q') => break false,
                    _ => {}
                }
            }
            Some(Ok(_)) => {}
            Some(Err(err)) => return Err(err),
            None => break true,
        }
    };
    // Back on a blank alternate screen. `Terminal::clear` would ask the terminal where its
    // cursor is, an answer the event reader would take: instead one blank frame makes what
    // ratatui keeps match the blank screen, and the next frame is drawn whole.
    crossterm::queue!(terminal.backend_mut(), EnterAlternateScreen)?;
    terminal.draw(|frame| frame.render_widget(ratatui::widgets::Clear, frame.area()))?;
    Ok(quit)
}

/// Writes the links of the frame just drawn again, over themselves, as OSC 8 hyperlinks: the
/// same characters in the same cells and style, so the frame ratatui keeps stays true; only
/// the terminal learns where they lead (and a click or a copy takes the whole link, however
/// it is broken over lines).
fn write_hyperlinks(terminal: &mut terminal::Tui, model: &Model) -> io::Result<()> {
    use crossterm::cursor::MoveTo;
    use crossterm::style::{Print, PrintStyledContent, StyledContent};
    use ratatui::backend::IntoCrossterm;
    use std::io::Write;
    let links = view::hyperlinks(model);
    if links.is_empty() {
        return Ok(());
    }
    let style = model.theme.dim().into_crossterm();
    let out = terminal.backend_mut();
    for link in links {
        crossterm::queue!(
            out,
            MoveTo(link.x, link.y),
            Print(format!("\x1b]8;id=ekm-console;{}\x1b\\", link.url)),
            PrintStyledContent(StyledContent::new(style, link.text)),
            Print("\x1b]8;;\x1b\\"),
        )?;
    }
    out.flush()
}

/// Reads terminal events on a thread of its own, blocked in the kernel until input arrives,
/// and hands them to the event loop. The thread ends with the process.
fn spawn_terminal_reader() -> mpsc::UnboundedReceiver<io::Result<Event>> {
    let (sender, receiver) = mpsc::unbounded_channel();
    std::thread::spawn(move || {
        loop {
            let event = crossterm::event::read();
            let failed = event.is_err();
            if sender.send(event).is_err() || failed {
                break;
            }
        }
    });
    receiver
}
