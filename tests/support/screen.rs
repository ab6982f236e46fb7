//! A program in a pseudo-terminal (80×24 unless asked), read through a terminal emulator: keys in, the
//! screen as a person would see it out, and every byte it wrote. The one driver of the
//! full-screen wizard for the tests that use a real terminal.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};

pub struct Screen {
    pub child: Box<dyn Child + Send + Sync>,
    pub master: Box<dyn MasterPty + Send>,
    writer: Box<dyn Write + Send>,
    pub parser: Arc<Mutex<vt100::Parser>>,
    /// Everything the program wrote to the terminal.
    raw: Arc<Mutex<Vec<u8>>>,
    /// Set when the reader has seen the end of the program's output.
    drained: Arc<AtomicBool>,
}

impl Screen {
    /// `ekm-wizard` with `args`, its state kept in `state_dir`.
    pub fn wizard(state_dir: &Path, args: &[&str]) -> Screen {
        Self::start_with(
            Path::new(env!("CARGO_BIN_EXE_ekm-wizard")),
            state_dir,
            args,
            &[],
        )
    }

    /// `program` with `args`, its state kept in `state_dir`.
    pub fn start(program: &Path, state_dir: &Path, args: &[&str]) -> Screen {
        Self::start_with(program, state_dir, args, &[])
    }

    /// `program` with `args` and `env` set last, in a UTF-8 xterm, clipboard to a file,
    /// nothing of OpenAI's, the plain mode's or tmux's in its environment.
    pub fn start_with(
        program: &Path,
        state_dir: &Path,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> Screen {
        Self::start_sized(program, state_dir, args, env, (24, 80))
    }

    /// The same in a terminal of `rows` × `cols`.
    pub fn start_sized(
        program: &Path,
        state_dir: &Path,
        args: &[&str],
        env: &[(&str, &str)],
        (rows, cols): (u16, u16),
    ) -> Screen {
        let pair = native_pty_system()
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
        let mut command = CommandBuilder::new(program);
        command.args(args);
        command.env("EKM_WIZARD_STATE_DIR", state_dir);
        command.env("EKM_WIZARD_CLIPBOARD", "file");
        command.env("TERM", "xterm-256color");
        command.env("LANG", "C.UTF-8");
        for name in [
            "LC_ALL",
            "OPENAI_ADMIN_KEY",
            "OPENAI_BASE_URL",
            "EKM_WIZARD_PLAIN",
            "ACCESSIBLE",
            "TMUX",
        ] {
            command.env_remove(name);
        }
        for (name, value) in env {
            command.env(name, value);
        }
        let child = pair.slave.spawn_command(command).unwrap();
        drop(pair.slave);
        let parser = Arc::new(Mutex::new(vt100::Parser::new(rows, cols, 0)));
        let mut reader = pair.master.try_clone_reader().unwrap();
        let sink = Arc::clone(&parser);
        let raw = Arc::new(Mutex::new(Vec::new()));
        let raw_sink = Arc::clone(&raw);
        let drained = Arc::new(AtomicBool::new(false));
        let done = Arc::clone(&drained);
        std::thread::spawn(move || {
            let mut buffer = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buffer) {
                if n == 0 {
                    break;
                }
                raw_sink.lock().unwrap().extend_from_slice(&buffer[..n]);
                sink.lock().unwrap().process(&buffer[..n]);
            }
            done.store(true, Ordering::SeqCst);
        });
        let writer = pair.master.take_writer().unwrap();
        Screen {
            child,
            master: pair.master,
            writer,
            parser,
            raw,
            drained,
        }
    }

    /// What the screen shows now.
    pub fn contents(&self) -> String {
        self.parser.lock().unwrap().screen().contents()
    }

    /// The screen's rows, as drawn.
    pub fn rows(&self) -> Vec<String> {
        let parser = self.parser.lock().unwrap();
        let (_, cols) = parser.screen().size();
        parser.screen().rows(0, cols).collect()
    }

    /// Every byte the program wrote, as text.
    pub fn raw(&self) -> String {
        String::from_utf8_lossy(&self.raw.lock().unwrap()).into_owned()
    }

    /// Every byte the program wrote.
    pub fn raw_bytes(&self) -> Vec<u8> {
        self.raw.lock().unwrap().clone()
    }

    /// Waits until `done` holds of the screen, saying `what` when it never does.
    pub fn wait_until(&self, what: &str, done: impl Fn(&str) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if done(&self.contents()) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!(
            "{what} never appeared; the screen shows:\n{}",
            self.contents()
        );
    }

    /// Waits until the screen shows `text`.
    pub fn wait_for(&self, text: &str) {
        self.wait_until(&format!("`{text}`"), |screen| screen.contains(text));
    }

    /// Waits for words that may wrap across rows.
    pub fn wait_for_words(&self, text: &str) {
        let words = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        let wanted = words(text);
        self.wait_until(&format!("`{text}`"), |screen| {
            words(screen).contains(&wanted)
        });
    }

    pub fn send(&mut self, keys: &str) {
        self.writer.write_all(keys.as_bytes()).unwrap();
        self.writer.flush().unwrap();
    }

    /// Sends keys and lets the program take them in before the next ones.
    pub fn press(&mut self, keys: &str) {
        self.send(keys);
        std::thread::sleep(Duration::from_millis(100));
    }

    /// Waits for the program to end and for its last output to be read; its exit code.
    pub fn exit_code(&mut self) -> u32 {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                let drain = Instant::now() + Duration::from_secs(5);
                while !self.drained.load(Ordering::SeqCst) && Instant::now() < drain {
                    std::thread::sleep(Duration::from_millis(10));
                }
                return status.exit_code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        panic!(
            "the program did not end; the screen shows:\n{}",
            self.contents()
        );
    }
}
