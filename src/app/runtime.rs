//! The runtime: owns the terminal, turns terminal events and signals into messages, runs
//! `update`, performs the effects it returns and draws once per batch. With nothing happening
//! it sleeps: no timer, no redraw loop.

use std::collections::VecDeque;
use std::io::{self, IsTerminal};
use std::path::PathBuf;

use crossterm::event::Event;
use tokio::signal::unix::{SignalKind, signal};
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
    // A base OpenAI would not be reached at safely is refused before the screen is taken, as
    // the headless commands refuse it.
    let api_base = match crate::openai::ApiBase::resolve(args.api_base.as_deref()) {
        Ok(base) => Some(Ok(base)),
        Err(err) => {
            eprintln!("error: {}", crate::secrets::redact(&err));
            return EXIT_BAD_INPUT;
        }
    };
    if !io::stdin().is_terminal() || !io::stdout().is_terminal() {
        eprintln!(
            "error: the wizard needs a terminal; for scripts use `ekm-wizard render <cloud> …` (see --help)"
        );
        return EXIT_BAD_INPUT;
    }
    let store = SessionStore::default_location();
    let fresh = args.fresh;
    let loaded = match (&store, fresh) {
        (Some(store), false) => Some(store.load()),
        _ => None,
    };
    let saving_disabled = store
        .is_none()
        .then(|| "no home or state directory was found".to_string());
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: cannot start: {err}");
            return EXIT_REFUSED;
        }
    };
    let mut terminal = match terminal::enter() {
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
        theme: Theme::from_env(),
    });
    let files_dir = store
        .as_ref()
        .map(|s| s.dir().join("exports"))
        // Never a shared temporary folder: without a state folder, blocks go where you are.
        .unwrap_or_else(|| PathBuf::from("ekm-wizard-blocks"));
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
    terminal: &mut ratatui::DefaultTerminal,
    mut model: Model,
    store: Option<SessionStore>,
    files_dir: PathBuf,
    profile: Option<String>,
) -> io::Result<String> {
    let mut events = spawn_terminal_reader();
    let mut terminate = signal(SignalKind::terminate())?;
    let mut hangup = signal(SignalKind::hangup())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
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
        let first = tokio::select! {
            event = events.recv() => match event {
                Some(Ok(event)) => Incoming::Terminal(event),
                Some(Err(err)) => return Err(err),
                None => Incoming::Message(Msg::Quit),
            },
            Some(msg) = results.recv() => Incoming::Message(msg),
            _ = tokio::time::sleep(SPINNER_FRAME), if model.busy() => Incoming::Message(Msg::SpinnerTick),
            _ = terminate.recv() => Incoming::Message(Msg::Quit),
            _ = hangup.recv() => Incoming::Message(Msg::Quit),
            _ = interrupt.recv() => Incoming::Message(Msg::Quit),
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
