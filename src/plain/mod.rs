//! The plain wizard (`--plain`): the same wizard as a stream of lines, for screen readers,
//! TERM=dumb terminals, serial consoles and transcripts. It is a second front end over the
//! full-screen wizard's model: it reads the `Model` to print each step once, sends the
//! `Msg`s the keys would send, lets `update` decide, and performs the effects it returns
//! through `app::perform`, as the full-screen runtime does. Nothing is redrawn: no alternate
//! screen, no cursor movement, no box drawing, no spinner, no colour unless asked for.

pub mod answers;
pub mod commands;
mod keys;
mod print;
mod prompt;

use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use crate::app::model::{ApplyPhase, Question, Screen, StartOptions, Status};
use crate::app::perform::Effects;
use crate::app::registration::Phase;
use crate::app::theme::Theme;
use crate::app::{Model, Msg, Preset, update};
use crate::clipboard::{Clipboard, ClipboardEnv};
use crate::exit::{EXIT_OK, EXIT_REFUSED};
use crate::guide::{FieldId, SetupPath};
use commands::Command;
use print::{Printer, Tone};
use prompt::{Answer, LineReader};

/// How often a long wait says it is still waiting.
const STILL_WAITING_EVERY: Duration = Duration::from_secs(5);

/// How the plain wizard was asked for.
#[derive(Debug, Clone, Copy, Default)]
pub struct PlainOptions {
    /// Colour the words (SGR only); never without it.
    pub color: bool,
}

/// Whether to start the plain wizard rather than the full-screen one: `--plain`, or
/// `EKM_WIZARD_PLAIN` or `ACCESSIBLE` set (to anything but empty or 0), or TERM=dumb.
pub fn wanted(flag: bool) -> bool {
    let set = |name: &str| std::env::var(name).is_ok_and(|v| !v.is_empty() && v != "0");
    flag || set("EKM_WIZARD_PLAIN")
        || set("ACCESSIBLE")
        || std::env::var("TERM").is_ok_and(|term| term == "dumb")
}

/// Starts the plain wizard on standard input and output; returns the exit code.
pub fn start(args: Preset, options: PlainOptions) -> u8 {
    let api_base = match crate::app::startup::api_base(&args) {
        Ok(base) => Some(Ok(base)),
        Err(code) => return code,
    };
    let crate::app::startup::Saved {
        store,
        loaded,
        saving_disabled,
        files_dir,
    } = crate::app::startup::Saved::find(&args);
    let runtime = match crate::app::startup::effects_thread() {
        Ok(runtime) => runtime,
        Err(code) => return code,
    };
    let reader = match LineReader::new() {
        Ok(reader) => reader,
        Err(err) => {
            eprintln!("error: cannot read lines: {err}");
            return EXIT_REFUSED;
        }
    };
    let _inside = runtime.enter();
    let interrupt = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt()).ok();
    let profile = args.profile.clone();
    let model = Model::new(StartOptions {
        api_base,
        key_from_env: crate::openai::AdminKey::from_env().is_some(),
        redactor: crate::secrets::Redactor::from_env(),
        args,
        loaded,
        saving_disabled,
        // No screen: a size the model is content with, used for nothing drawn.
        width: 100,
        height: 40,
        theme: Theme::from_env(),
    });
    let (sender, results) = mpsc::unbounded_channel();
    let effects = Effects {
        store,
        clipboard: Clipboard::new(ClipboardEnv::from_env(), files_dir.clone()),
        files_dir,
        results: sender,
        checks: None,
        profile,
        saved_to: None,
        drill_stop: None,
        drill_task: None,
    };
    let mut plain = Plain {
        model,
        effects,
        results,
        interrupt,
        runtime: &runtime,
        out: Printer {
            color: options.color,
            width: std::io::IsTerminal::is_terminal(&std::io::stdout())
                .then(|| crossterm::terminal::size().ok())
                .flatten()
                .map(|(columns, _)| usize::from(columns)),
        },
        reader,
        shown: None,
        field_index: 0,
        fields_done: false,
        last_status: None,
        tail_for: None,
        exit: false,
    };
    plain.run();
    let farewell = crate::app::farewell::farewell(&plain.model, plain.effects.saved_to.as_deref());
    plain.out.line("");
    plain.out.line(&farewell);
    EXIT_OK
}

/// What asking one field came to.
enum Asked {
    /// Answered (or kept): on to the next question.
    Answered,
    /// A command was given (or the input ended): the screen is looked at again.
    Interrupted,
}

struct Plain<'r> {
    model: Model,
    effects: Effects,
    results: mpsc::UnboundedReceiver<Msg>,
    interrupt: Option<tokio::signal::unix::Signal>,
    runtime: &'r tokio::runtime::Runtime,
    out: Printer,
    reader: LineReader,
    /// The screen printed last: a step is printed once each time it is reached.
    shown: Option<Screen>,
    /// The next field of the screen to ask.
    field_index: usize,
    /// The screen's fields are answered and its blocks printed.
    fields_done: bool,
    /// The status printed last, so none is printed twice.
    last_status: Option<Status>,
    /// The screen and the values its blocks were last printed with.
    tail_for: Option<(Screen, Vec<(FieldId, String)>)>,
    exit: bool,
}

impl Plain<'_> {
    fn run(&mut self) {
        self.show_status();
        while !self.exit {
            if self.shown != Some(self.model.screen) {
                self.shown = Some(self.model.screen);
                self.field_index = 0;
                self.fields_done = false;
                self.print_screen();
            }
            match self.model.screen {
                Screen::ResumeOffer => self.resume_offer(),
                Screen::Start => self.start_screen(),
                Screen::Step(_) => self.step(),
            }
        }
        self.runtime.block_on(self.effects.finish_drill());
    }

    /// Applies a message and performs what `update` asks, the results of instant effects
    /// included; printing what a check, an apply or a drill reports as it arrives.
    fn send(&mut self, msg: Msg) {
        let mut queue = std::collections::VecDeque::from([msg]);
        while let Some(msg) = queue.pop_front() {
            if self.exit {
                return;
            }
            let generation = self.model.checks.generation;
            let reported = match &msg {
                Msg::CheckReported {
                    generation: g,
                    result,
                } if *g == generation => Some(result.id),
                _ => None,
            };
            let finished =
                matches!(&msg, Msg::ChecksFinished { generation: g, .. } if *g == generation);
            let applied = matches!(msg, Msg::ApplyProgress(..));
            let drill_line = match &msg {
                Msg::DrillProgress(line) => Some(line.clone()),
                _ => None,
            };
            for effect in update(&mut self.model, msg) {
                match self.effects.perform(effect) {
                    Some(more) => queue.extend(more),
                    None => {
                        self.exit = true;
                        return;
                    }
                }
            }
            if let Some(id) = reported {
                self.print_check(id);
            }
            if finished {
                self.print_verdict();
            }
            if applied && let Some(done) = self.model.apply_view().and_then(|a| a.done.last()) {
                print_done(&self.out, done);
            }
            if let Some(line) = drill_line {
                self.out.line(&self.model.redactor.redact(&line));
            }
        }
    }

    fn send_all(&mut self, msgs: Vec<Msg>) {
        for msg in msgs {
            self.send(msg);
        }
    }

    /// Prints the model's status when it changed since it was last printed.
    fn show_status(&mut self) {
        if self.model.status != self.last_status {
            if let Some(status) = &self.model.status {
                self.out.status(status);
            }
            self.last_status = self.model.status.clone();
        }
    }

    /// The status as it is now counts as said (the plain wizard said it in its own words).
    fn status_said(&mut self) {
        self.last_status = self.model.status.clone();
    }

    /// Whether something is under way that the admin waits for.
    fn waiting(&self) -> bool {
        self.model.busy() || self.model.recheck_seconds_left().is_some()
    }

    /// Waits until nothing is under way, printing what arrives, a line every few seconds,
    /// and stopping a drill or a countdown on Ctrl-C.
    fn settle(&mut self) {
        let mut said = Instant::now();
        loop {
            while let Ok(msg) = self.results.try_recv() {
                self.send(msg);
            }
            self.show_status();
            if self.exit || !self.waiting() {
                return;
            }
            let wait = STILL_WAITING_EVERY.saturating_sub(said.elapsed());
            let Plain {
                runtime,
                results,
                interrupt,
                ..
            } = self;
            let arrived = runtime.block_on(async {
                tokio::select! {
                    msg = results.recv() => Arrived::Message(msg),
                    () = tokio::time::sleep(wait) => Arrived::Nothing,
                    Some(()) = async {
                        match interrupt.as_mut() {
                            Some(signal) => signal.recv().await,
                            None => std::future::pending().await,
                        }
                    } => Arrived::Interrupt,
                }
            });
            match arrived {
                Arrived::Message(Some(msg)) => self.send(msg),
                Arrived::Message(None) => return,
                Arrived::Nothing => {
                    self.still_waiting();
                    said = Instant::now();
                }
                Arrived::Interrupt => self.interrupted_wait(),
            }
        }
    }

    fn still_waiting(&self) {
        let model = &self.model;
        let line = if model.drill_running() {
            "The drill is still running; Ctrl-C switches the key on again and stops it.".to_string()
        } else if model.checks.running {
            format!(
                "Still checking: {} of {} checks done.",
                model.checks.results.len(),
                model.cloud.kit().check_plan().len()
            )
        } else if model.registration.phase.busy() {
            "Still waiting for OpenAI's answer.".to_string()
        } else if let Some(apply) = model.apply_view() {
            format!(
                "Still working with your cloud: {} of {} resources done.",
                apply.done.len(),
                apply.plan.len()
            )
        } else if let Some(seconds) = model.recheck_seconds_left() {
            format!(
                "Checking again in {seconds} seconds while the change spreads; Ctrl-C stops waiting."
            )
        } else {
            "Still working.".to_string()
        };
        self.out.line(&line);
    }

    fn interrupted_wait(&mut self) {
        if self.model.drill_running() || self.model.recheck_seconds_left().is_some() {
            self.send(Msg::CloseOverlay);
            self.show_status();
        } else {
            self.out.line(
                "This cannot be stopped halfway; it ends within its time limit. Waiting for it.",
            );
        }
    }

    fn print_check(&self, id: crate::guide::CheckId) {
        let results = &self.model.checks.results;
        if let Some(result) = results.iter().find(|r| r.id == id) {
            print::check_result(
                &self.out,
                result,
                results.len(),
                self.model.cloud.kit().check_plan().len().max(results.len()),
            );
        }
    }

    fn print_verdict(&mut self) {
        use crate::checks::verdict::{Length, Tone as VerdictTone, words};
        if self.model.checks.error.is_some() {
            return;
        }
        let results = &self.model.checks.results;
        let said = words(
            crate::checks::Verdict::of(results),
            results,
            Length::Closing,
        );
        let tone = match said.tone {
            VerdictTone::Good => Tone::Good,
            VerdictTone::Bad => Tone::Bad,
            VerdictTone::Neutral => Tone::Heading,
        };
        self.out.say(tone, &said.text);
        self.status_said();
    }

    /// Prints the screen just reached.
    fn print_screen(&mut self) {
        match self.model.screen {
            Screen::ResumeOffer => {
                self.out.line("");
                self.out.say(
                    Tone::Heading,
                    &format!(
                        "Saved progress found: {}.",
                        self.model.what_discarding_loses()
                    ),
                );
                for difference in self.model.held_flags_differences() {
                    self.out
                        .line(&format!("Your start flags differ from it: {difference}."));
                }
            }
            Screen::Start => {
                let text = crate::guide::start_text();
                self.out.line("");
                self.out.say(Tone::Heading, &text.title);
                self.out.line(text.intro.trim());
                self.out.line("");
                self.out
                    .line("Answer each question and press Enter; type help at any question for the commands.");
            }
            Screen::Step(_) => print::step_head(&self.out, &self.model),
        }
    }

    /// Reads one line; the end of the input (or Ctrl-C at a question) saves and leaves.
    fn ask(&mut self, question: &str, kept: Option<&str>) -> Option<String> {
        match self.reader.ask(&self.out, question, kept) {
            Answer::Line(line) => Some(line),
            Answer::Interrupted | Answer::Ended => {
                self.send(Msg::Quit);
                None
            }
        }
    }

    fn resume_offer(&mut self) {
        let Some(line) = self.ask(
            "Type resume (or press Enter) to go on from it, or start over to begin again:",
            None,
        ) else {
            return;
        };
        match line.trim().to_ascii_lowercase().as_str() {
            "" | "resume" => self.send(Msg::ResumeSavedProgress),
            "start over" => {
                self.send(Msg::StartOver);
                self.status_said();
                let question = format!(
                    "Start over and discard the saved progress ({}) at the next save?",
                    self.model.what_discarding_loses()
                );
                let yes = self.reader.yes(&self.out, &question);
                self.send(if yes {
                    Msg::ConfirmAction
                } else {
                    Msg::DeclineAction
                });
            }
            other => {
                if let Some(command) = commands::parse(other) {
                    self.command(command);
                } else {
                    self.out.line("Type resume, start over, or quit.");
                }
            }
        }
        self.show_status();
    }

    fn start_screen(&mut self) {
        if self.field_index == 0 {
            let clouds: Vec<_> = crate::clouds::all().collect();
            let question = format!(
                "Cloud whose KMS holds the key: {} (now {}; Enter keeps it):",
                numbered(&clouds, |c| c.display_name()),
                self.model.cloud.display_name()
            );
            let Some(line) = self.ask(&question, None) else {
                return;
            };
            if let Some(command) = commands::parse(&line) {
                return self.command(command);
            }
            let typed = commands::value(&line).to_ascii_lowercase();
            if !typed.is_empty() {
                match picked(&typed, &clouds, |c| [c.key(), c.display_name()]) {
                    Some(cloud) => {
                        let msgs = answers::choose_cloud(&self.model, cloud);
                        self.send_all(msgs);
                    }
                    None => {
                        self.out
                            .say(Tone::Bad, &format!("Problem: no cloud is called {typed}."));
                        return;
                    }
                }
            }
            self.field_index = 1;
        }
        if self.field_index == 1 {
            let question = format!(
                "Path: {} (now {}; Enter keeps it):",
                numbered(&SetupPath::ALL, SetupPath::display_name),
                self.model.path.display_name()
            );
            let Some(line) = self.ask(&question, None) else {
                return;
            };
            if let Some(command) = commands::parse(&line) {
                return self.command(command);
            }
            let typed = commands::value(&line).to_ascii_lowercase();
            if !typed.is_empty() {
                match picked(&typed, &SetupPath::ALL, |p| {
                    [p.display_name(), p.display_name()]
                }) {
                    Some(path) => {
                        let msgs = answers::choose_path(&self.model, path);
                        self.send_all(msgs);
                    }
                    None => {
                        self.out
                            .say(Tone::Bad, &format!("Problem: no path is called {typed}."));
                        return;
                    }
                }
            }
            self.field_index = 2;
        }
        loop {
            let fields: Vec<FieldId> = std::iter::once(FieldId::ORG_ID)
                .chain(self.model.presented_id_field())
                .collect();
            let Some(field) = fields.get(self.field_index - 2).copied() else {
                break;
            };
            match self.ask_field(field) {
                Asked::Answered => self.field_index += 1,
                Asked::Interrupted => return,
            }
        }
        self.last_status = None;
        self.send(Msg::NextStep);
        self.show_status();
        if self.model.screen == Screen::Start {
            // Refused: the field to fix is asked again.
            self.field_index = self.refused_field_index(&[FieldId::ORG_ID], 2);
        }
    }

    /// Where to ask again after leaving was refused: the field the model focused.
    fn refused_field_index(&self, before: &[FieldId], offset: usize) -> usize {
        let fields: Vec<FieldId> = match self.model.current_step() {
            Some((_, step)) => step.fields_for(self.model.path, &self.model.inputs()),
            None => before
                .iter()
                .copied()
                .chain(self.model.presented_id_field())
                .collect(),
        };
        self.model
            .focused_field()
            .and_then(|f| fields.iter().position(|x| *x == f))
            .unwrap_or(0)
            + offset
    }

    /// Asks one field until its value is accepted, kept, or a command is given instead.
    fn ask_field(&mut self, field: FieldId) -> Asked {
        let label = self.model.cloud.label(field);
        let mut kept: Option<String> = None;
        loop {
            let question = print::field_question(&self.model, field, &label);
            let Some(line) = self.ask(&question, kept.as_deref()) else {
                return Asked::Interrupted;
            };
            if let Some(command) = commands::parse(&line) {
                self.command(command);
                return Asked::Interrupted;
            }
            let text = commands::value(&line).to_string();
            if text.is_empty() {
                return Asked::Answered;
            }
            let msgs = answers::set_field(&self.model, field, &text);
            self.send_all(msgs);
            self.show_status();
            if self.model.field_text(field).is_empty() {
                // Refused before it was kept (a secret, a terminal escape): never given back.
                kept = None;
                continue;
            }
            match self.model.inputs().validated(field) {
                Ok(_) => return Asked::Answered,
                Err(err) => {
                    self.out.say(
                        Tone::Bad,
                        &format!("Refused: {}; expected {}", err.problem, err.expected),
                    );
                    self.out.line(
                        "What you typed is on the next line, the cursor at its start: correct it and press Enter (Ctrl-K clears it).",
                    );
                    kept = Some(text);
                }
            }
        }
    }

    fn step(&mut self) {
        let Some((index, step)) = self.model.current_step() else {
            return;
        };
        let screen = self.model.screen;
        if !self.fields_done {
            loop {
                let fields = step.fields_for(self.model.path, &self.model.inputs());
                let Some(field) = fields.get(self.field_index).copied() else {
                    break;
                };
                match self.ask_field(field) {
                    Asked::Answered => self.field_index += 1,
                    Asked::Interrupted => return,
                }
                if self.model.screen != screen {
                    return;
                }
            }
            self.fields_done = true;
            let values: Vec<(FieldId, String)> = self
                .model
                .inputs()
                .typed()
                .map(|(field, value)| (field, value.to_string()))
                .collect();
            if self.tail_for.as_ref() == Some(&(screen, values.clone())) {
                self.out
                    .line("The blocks are as printed above: show N prints one again.");
            } else {
                print::step_tail(&self.out, &self.model);
                self.tail_for = Some((screen, values));
            }
            if self.model.registers_here() {
                self.out.line(
                    "Type register to register the key with OpenAI (asked first), check to run the live checks.",
                );
            }
        }
        let steps = self.model.guide().steps.len();
        let last = index + 1 == steps;
        let question = if last {
            format!(
                "Step {} of {steps}, the last. Type a command (help lists them; quit saves and leaves):",
                index + 1
            )
        } else {
            format!(
                "Step {} of {steps}. Press Enter or type next to go on; help lists the commands:",
                index + 1
            )
        };
        let Some(line) = self.ask(&question, None) else {
            return;
        };
        match commands::parse(&line) {
            Some(command) => self.command(command),
            None if line.trim().is_empty() => self.command(Command::Next),
            None => self.out.line(
                "That is not a command: type help for the list, or fields to answer this step's questions again.",
            ),
        }
    }

    fn command(&mut self, command: Command) {
        match command {
            Command::Help => self.help(),
            Command::Next => self.next(),
            Command::Back => {
                self.send(Msg::PreviousStep);
                self.show_status();
            }
            Command::Step(number) => {
                let steps = self.model.guide().steps.len();
                if number > steps {
                    self.out
                        .line(&format!("There are {steps} steps; step 0 is the start."));
                    return;
                }
                let now = match self.model.screen {
                    Screen::Step(index) => index + 1,
                    _ => 0,
                };
                let delta = number as i64 - now as i64;
                if let Ok(delta) = i8::try_from(delta)
                    && delta != 0
                {
                    self.send(Msg::ReadStep(delta));
                    self.show_status();
                }
            }
            Command::Show(number) | Command::Copy(number) | Command::Write(number) => {
                let blocks = print::blocks(&self.model);
                let Some(artifact) = number.checked_sub(1).and_then(|i| blocks.get(i)).copied()
                else {
                    self.out.line(&match blocks.len() {
                        0 => "This step has no blocks.".to_string(),
                        n => format!("This step has blocks 1 to {n}."),
                    });
                    return;
                };
                match command {
                    Command::Show(_) => {
                        print::block(&self.out, &self.model, number, blocks.len(), artifact);
                    }
                    _ => {
                        let msgs = answers::block(
                            &self.model,
                            artifact,
                            matches!(command, Command::Write(_)),
                        );
                        self.send_all(msgs);
                        self.show_status();
                    }
                }
            }
            Command::Check => {
                self.send(Msg::RunChecks);
                self.show_status();
                self.settle();
            }
            Command::Explain(text) => self.explain(text),
            Command::Register => self.register(),
            Command::DoIt => self.do_it(),
            Command::Drill => self.drill(),
            Command::Keys => self.keys(),
            Command::Validate(number) => self.validate_key(number),
            Command::Fields => {
                self.field_index = 0;
                self.fields_done = false;
            }
            Command::Quit => self.send(Msg::Quit),
        }
    }

    fn help(&self) {
        self.out.line("Commands, at any question:");
        for (command, what) in commands::HELP {
            self.out.line(&format!("  {command}: {what}"));
        }
        self.out
            .line("A value that is one of these words is typed after =, as in =next.");
    }

    fn next(&mut self) {
        let before = self.model.screen;
        let last = matches!(before, Screen::Step(i) if i + 1 == self.model.guide().steps.len());
        self.send(Msg::NextStep);
        if self.model.screen == before {
            if last
                && self
                    .model
                    .step_problem(self.model.guide().steps.len() - 1)
                    .is_none()
            {
                self.status_said();
                self.out
                    .line("This is the last step: copy what you need, register, or type quit to save and leave.");
            } else {
                // Refused (again, perhaps with the same words): said each time.
                self.last_status = None;
                self.show_status();
                // Refused: the field to fix is asked again.
                let offset = if before == Screen::Start { 2 } else { 0 };
                self.field_index = self.refused_field_index(&[FieldId::ORG_ID], offset);
                self.fields_done = false;
            }
        } else {
            self.show_status();
        }
    }

    fn explain(&mut self, text: Option<String>) {
        self.send(Msg::OpenExplainScreen);
        if let Some(text) = text.filter(|t| !t.trim().is_empty()) {
            self.send(Msg::PasteIntoField(text));
        }
        if self
            .model
            .explain_text()
            .is_none_or(|t| t.trim().is_empty())
        {
            let question = "Paste the error text on one line, then press Enter:";
            let Answer::Line(line) = self.reader.pasted(&self.out, question) else {
                self.send(Msg::CloseOverlay);
                return;
            };
            self.send(Msg::PasteIntoField(line));
        }
        let text = self.model.explain_text().unwrap_or_default();
        let Some(found) = crate::explain::explain(&text) else {
            self.out.line("No known EKM error matched this text. Check it is the whole message, or share it with your OpenAI contact.");
            self.send(Msg::CloseOverlay);
            return;
        };
        self.out.line("");
        self.out.line(&crate::explain::describe(&found));
        let step = (!found.entry.local && found.entry.cloud == self.model.cloud)
            .then(|| found.entry.step_position())
            .flatten();
        match step {
            Some((index, title)) => {
                let question = format!(
                    "Go to step {} ({title}) to fix it? Type yes to go, or press Enter to stay:",
                    index + 1
                );
                let Some(line) = self.ask(&question, None) else {
                    return;
                };
                if line.trim().eq_ignore_ascii_case("yes") || line.trim().eq_ignore_ascii_case("y")
                {
                    self.send(Msg::GoToExplainedStep);
                } else {
                    self.send(Msg::CloseOverlay);
                }
            }
            None => self.send(Msg::CloseOverlay),
        }
        self.show_status();
    }

    fn register(&mut self) {
        if !self.model.registers_here() {
            let steps = self.model.guide().steps.len();
            self.out.line(&format!(
                "Registering is on the last step (step {steps}) of the API path: type step {steps} to go there."
            ));
            return;
        }
        if !self.model.registration.key_from_env && self.model.registration.typed_key.is_empty() {
            let Some(key) = self.reader.secret(
                &self.out,
                "OpenAI admin key (typing is hidden; OPENAI_ADMIN_KEY works too):",
            ) else {
                self.out.line("No key was typed: nothing was sent.");
                return;
            };
            let msgs = answers::set_admin_key(&self.model, key.as_str());
            self.send_all(msgs);
        }
        if !matches!(self.model.registration.phase, Phase::Ready { .. }) {
            self.send(Msg::StartRegistration);
            self.status_said();
            self.out.line("Looking for a key with the same settings…");
            self.settle();
        }
        let existing = match &self.model.registration.phase {
            Phase::Ready { existing, .. } => existing
                .as_ref()
                .map(|k| crate::secrets::outside_id(k["id"].as_str().unwrap_or("a key"), 80)),
            _ => {
                self.show_status();
                return;
            }
        };
        let question = match &existing {
            Some(id) => format!(
                "{id} is already registered with these settings. Use it, create the project and validate?"
            ),
            None => "No key with these settings is registered yet. Register the key (the registration body above), create the project and validate?".to_string(),
        };
        if !self.reader.yes(&self.out, &question) {
            self.out.line("Nothing was registered.");
            return;
        }
        self.send(Msg::StartRegistration);
        self.show_status();
        self.settle();
        if let Some(key) = &self.model.external_key_id {
            self.out.line(&format!("Registered key: {key}"));
        }
        if let Some(project) = &self.model.project_id {
            self.out.line(&format!("Project: {project}"));
        }
    }

    fn do_it(&mut self) {
        self.send(Msg::OpenApply);
        self.show_status();
        if self.model.apply_view().is_none() {
            return;
        }
        self.out.line("Reading what exists in your cloud…");
        self.settle();
        let Some(pane) = self.model.apply_view() else {
            return;
        };
        self.out.line("The plan:");
        for planned in &pane.plan {
            self.out.line(&plan_line(planned));
        }
        let may =
            pane.phase == ApplyPhase::Planned && crate::apply::readiness(&pane.plan).may_write();
        if let Some(outcome) = pane.outcome.clone() {
            self.out.line(&outcome);
        }
        if may {
            if self
                .reader
                .yes(&self.out, "Make what the plan says will be created?")
            {
                self.send(Msg::ConfirmApply);
                self.settle();
                if let Some(outcome) = self.model.apply_view().and_then(|a| a.outcome.clone()) {
                    self.out.line(&outcome);
                }
            } else {
                self.out.line("Nothing was written.");
            }
        }
        self.send(Msg::CloseOverlay);
        self.show_status();
    }

    fn drill(&mut self) {
        self.send(Msg::OfferDrill);
        if self.model.question_asked() != Some(Question::Drill) {
            self.show_status();
            return;
        }
        self.status_said();
        let key = self.model.external_key_id.clone().unwrap_or_default();
        let yes = self.reader.yes(
            &self.out,
            &format!("Revocation drill on {key}: your key is switched off for a minute or two. OpenAI's validation fails at once; live requests OpenAI cannot serve from its data-key cache (kept up to an hour) fail until it is on again. Ctrl-C switches it on at once. Start it?"),
        );
        self.send(if yes {
            Msg::ConfirmAction
        } else {
            Msg::DeclineAction
        });
        self.show_status();
        self.settle();
    }
}

enum Arrived {
    Message(Option<Msg>),
    Nothing,
    Interrupt,
}

fn plan_line(planned: &crate::guide::apply::Planned) -> String {
    use crate::guide::apply::Change;
    match &planned.change {
        Change::Create => format!("Will create: {}", planned.title),
        Change::AsWanted => format!("Already as wanted: {}", planned.title),
        Change::Differs { diff } => format!(
            "Differs (changed only if you allow it): {}: {diff}",
            planned.title
        ),
        Change::Cannot { why } => format!("Cannot be made: {}: {why}", planned.title),
        Change::Unknown { why } => format!("Could not be read: {}: {why}", planned.title),
    }
}

fn print_done(out: &Printer, done: &crate::apply::Done) {
    use crate::guide::apply::Applied;
    match &done.applied {
        Some(Applied::Made { detail }) => out.say(
            Tone::Good,
            &format!("Made: {}: {detail}", done.planned.title),
        ),
        Some(Applied::Changed { detail }) => out.say(
            Tone::Good,
            &format!("Changed: {}: {detail}", done.planned.title),
        ),
        Some(Applied::Refused { why }) => out.say(
            Tone::Bad,
            &format!("Refused: {}: {why}", done.planned.title),
        ),
        None => out.line(&format!(
            "Left as it is: {}{}",
            done.planned.title,
            done.note
                .as_ref()
                .map(|n| format!(": {n}"))
                .unwrap_or_default()
        )),
    }
}

/// Options numbered for a question: `1 First, 2 Second`.
fn numbered<T: Copy>(options: &[T], name: impl Fn(T) -> &'static str) -> String {
    options
        .iter()
        .enumerate()
        .map(|(i, option)| format!("{} {}", i + 1, name(*option)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The option typed (already lowercase): by its number, or by one of its names in any case.
fn picked<T: Copy, const N: usize>(
    typed: &str,
    options: &[T],
    names: impl Fn(T) -> [&'static str; N],
) -> Option<T> {
    typed
        .parse::<usize>()
        .ok()
        .and_then(|n| options.get(n.wrapping_sub(1)).copied())
        .or_else(|| {
            options.iter().copied().find(|option| {
                names(*option)
                    .iter()
                    .any(|name| name.to_ascii_lowercase() == typed)
            })
        })
}
