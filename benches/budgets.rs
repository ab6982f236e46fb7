//! The performance budgets, measured: `cargo bench --bench budgets` prints each figure beside
//! its budget. The bench builds the `dist` binary (the one a release ships; a first build takes
//! many minutes) and measures its size and, in a pseudo-terminal, its start, idle, echo and
//! memory; the frame figures come from ratatui's `TestBackend` in the bench's own build.
//! Start to first frame is paired with whiptail's (A B A B …, in the same run) when whiptail
//! is installed.

use ekm_wizard::clouds::aws;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use ekm_wizard::app::model::{Focusable, Model, Screen, StartOptions};
use ekm_wizard::app::{Msg, update, view};
use ekm_wizard::guide::{FieldId, SetupPath};
use portable_pty::{CommandBuilder, PtySize, native_pty_system};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

#[path = "../tests/support/mod.rs"]
mod support;

const KEY: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const ROLE: &str = "arn:aws:iam::111122223333:role/openai-ekm";

const MB: u64 = 1024 * 1024;

/// The binary measured in the pseudo-terminal: the `dist` build, which the bench makes (a no-op
/// when it is up to date), else the bench's own release build when that build fails.
fn wizard() -> &'static Path {
    static WIZARD: OnceLock<PathBuf> = OnceLock::new();
    WIZARD.get_or_init(|| dist_binary().unwrap_or_else(|| env!("CARGO_BIN_EXE_ekm-wizard").into()))
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"))
}

fn dist_binary() -> Option<PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    eprintln!("building the dist binary (cargo build --profile dist; the first build is slow)…");
    let built = std::process::Command::new(cargo)
        .args([
            "build",
            "--locked",
            "--profile",
            "dist",
            "--bin",
            "ekm-wizard",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .ok()?
        .success();
    let binary = target_dir()
        .join("dist")
        .join(format!("ekm-wizard{}", std::env::consts::EXE_SUFFIX));
    (built && binary.exists()).then_some(binary)
}

fn size_row() -> Row {
    let release = std::fs::metadata(env!("CARGO_BIN_EXE_ekm-wizard")).map(|m| m.len());
    let shipped = dist_binary().and_then(|b| std::fs::metadata(b).ok().map(|m| m.len()));
    let release = release
        .map(|r| format!("release build {:.1} MB", r as f64 / MB as f64))
        .unwrap_or_default();
    match shipped {
        Some(size) => Row {
            what: "the dist binary (LTO, one codegen unit, stripped)",
            budget: "≤ 15 MB",
            measured: format!("{:.1} MB ({release})", size as f64 / MB as f64),
            holds: size <= 15 * MB,
        },
        None => Row {
            what: "the dist binary (LTO, one codegen unit, stripped)",
            budget: "≤ 15 MB",
            measured: format!("not measured: cargo build --profile dist failed ({release})"),
            holds: false,
        },
    }
}

fn whiptail() -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join("whiptail"))
        .find(|p| p.exists())
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Start to first full frame, the wizard's against whiptail's drawing a message box, in
/// turns (A B A B …) so a drift of the machine's speed touches both; the median of the
/// ratios of each pair.
fn first_frame_against_whiptail() -> Row {
    const TITLE: &str = "Set up OpenAI Enterprise Key Management";
    let run_once = |program: &Path| {
        let state = tempfile::tempdir().unwrap();
        let (mut pty, started) = Pty::start_program(program, state.path(), &[], &[]);
        let took = pty.wait_for(TITLE) - started;
        let _ = pty.child.kill();
        let _ = pty.child.wait();
        took
    };
    let wizard_once = || run_once(wizard());
    let release_once = || run_once(Path::new(env!("CARGO_BIN_EXE_ekm-wizard")));
    let Some(whiptail) = whiptail() else {
        let took = wizard_once();
        return Row {
            what: "start to first full frame, against whiptail's",
            budget: "≤ 1.0× whiptail",
            measured: format!(
                "{:.1} ms; whiptail is not installed, so not compared (apt-get install whiptail)",
                took.as_secs_f64() * 1000.0
            ),
            holds: false,
        };
    };
    let whiptail_once = || {
        let mut command = CommandBuilder::new(&whiptail);
        command.args(["--title", "ekm-wizard", "--msgbox", TITLE, "10", "60"]);
        let (mut pty, started) = Pty::spawn(command);
        let took = pty.wait_for(TITLE) - started;
        let _ = pty.child.kill();
        let _ = pty.child.wait();
        took
    };
    wizard_once();
    whiptail_once();
    release_once();
    let (mut ours, mut theirs, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    let mut release_ratios = Vec::new();
    for _ in 0..15 {
        let a = wizard_once().as_secs_f64() * 1000.0;
        let b = whiptail_once().as_secs_f64() * 1000.0;
        let c = release_once().as_secs_f64() * 1000.0;
        ours.push(a);
        theirs.push(b);
        ratios.push(a / b);
        release_ratios.push(c / b);
    }
    let ratio = median(ratios);
    Row {
        what: "start to first full frame, against whiptail's (15 turns)",
        budget: "≤ 1.0× whiptail",
        measured: format!(
            "{ratio:.2}× ({:.1} ms vs whiptail {:.1} ms, medians; release build {:.2}×)",
            median(ours),
            median(theirs),
            median(release_ratios)
        ),
        holds: ratio <= 1.0,
    }
}

struct Row {
    what: &'static str,
    budget: &'static str,
    measured: String,
    holds: bool,
}

/// The busiest screens: the trust policy step and the last step with registration, on AWS.
fn busy_model(width: u16, height: u16, step: usize) -> Model {
    let mut model = Model::new(StartOptions {
        width,
        height,
        ..Default::default()
    });
    for (field, value) in [
        (FieldId::ORG_ID, "org-abc123"),
        (aws::KMS_ARN, KEY),
        (aws::ROLE_ARN, ROLE),
    ] {
        model.set_field(field, value);
    }
    model.cloud = aws::cloud();
    model.path = SetupPath::Api;
    model.screen = Screen::Step(step);
    model.reached = step;
    while model.focused() != Some(Focusable::Block(aws::TRUST_POLICY)) && step == 2 {
        update(&mut model, Msg::FocusNext);
    }
    model
}

fn frame_time(width: u16, height: u16) -> Duration {
    let mut worst = Duration::ZERO;
    for step in [2, 4] {
        let model = busy_model(width, height, step);
        let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
        let rounds = 300;
        let start = Instant::now();
        for _ in 0..rounds {
            terminal.draw(|frame| view::draw(frame, &model)).unwrap();
        }
        worst = worst.max(start.elapsed() / rounds);
    }
    worst
}

struct Pty {
    child: Box<dyn portable_pty::Child + Send + Sync>,
    writer: Box<dyn Write + Send>,
    parser: Arc<Mutex<vt100::Parser>>,
    _master: Box<dyn portable_pty::MasterPty + Send>,
}

impl Pty {
    fn start(state: &Path) -> (Pty, Instant) {
        Self::start_with(state, &[], &[])
    }

    fn start_with(state: &Path, args: &[&str], env: &[(&str, String)]) -> (Pty, Instant) {
        Self::start_program(wizard(), state, args, env)
    }

    fn start_program(
        program: &Path,
        state: &Path,
        args: &[&str],
        env: &[(&str, String)],
    ) -> (Pty, Instant) {
        let mut command = CommandBuilder::new(program);
        command.env("EKM_WIZARD_STATE_DIR", state);
        command.env("EKM_WIZARD_CLIPBOARD", "file");
        command.args(args);
        for (name, value) in env {
            command.env(name, value);
        }
        Self::spawn(command)
    }

    fn spawn(mut command: CommandBuilder) -> (Pty, Instant) {
        let pair = native_pty_system()
            .openpty(PtySize {
                rows: 24,
                cols: 80,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
        command.env("TERM", "xterm-256color");
        let started = Instant::now();
        let child = pair.slave.spawn_command(command).unwrap();
        drop(pair.slave);
        let parser = Arc::new(Mutex::new(vt100::Parser::new(24, 80, 0)));
        let mut reader = pair.master.try_clone_reader().unwrap();
        let sink = Arc::clone(&parser);
        std::thread::spawn(move || {
            let mut buffer = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buffer) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().process(&buffer[..n]);
            }
        });
        let writer = pair.master.take_writer().unwrap();
        (
            Pty {
                child,
                writer,
                parser,
                _master: pair.master,
            },
            started,
        )
    }

    fn screen(&self) -> String {
        self.parser.lock().unwrap().screen().contents()
    }

    fn wait_for(&self, text: &str) -> Instant {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if self.screen().contains(text) {
                return Instant::now();
            }
            assert!(Instant::now() < deadline, "`{text}` never appeared");
            std::thread::sleep(Duration::from_micros(200));
        }
    }

    fn send(&mut self, keys: &str) {
        self.writer.write_all(keys.as_bytes()).unwrap();
        self.writer.flush().unwrap();
    }

    fn pid(&self) -> u32 {
        self.child.process_id().unwrap()
    }
}

/// User + system CPU time of a process, from /proc.
fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after_name = stat.rsplit(')').next().unwrap_or("");
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks: u64 = fields.get(11).and_then(|f| f.parse().ok()).unwrap_or(0)
        + fields.get(12).and_then(|f| f.parse().ok()).unwrap_or(0);
    let per_second = 100; // USER_HZ on Linux
    Duration::from_millis(ticks * 1000 / per_second)
}

fn peak_memory_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// A whole session of `program`: the AWS path from its first step to the hand-over, every
/// block copied on the way; the peak resident memory (VmHWM) before it quits.
fn session_peak_kb(program: &Path) -> u64 {
    let state = tempfile::tempdir().unwrap();
    let (mut pty, _) = Pty::start_program(
        program,
        state.path(),
        &["--cloud", "aws", "--org-id", "org-abc123"],
        &[],
    );
    pty.wait_for("1. Create a symmetric KMS key");
    pty.send(KEY);
    for _ in 0..4 {
        pty.send("\x1b[6~");
        std::thread::sleep(Duration::from_millis(50));
        if pty.screen().contains("3. Create the role") {
            pty.send(ROLE);
        }
        for _ in 0..6 {
            pty.send("\tc");
        }
    }
    pty.wait_for("5. Hand the key to OpenAI");
    let peak = peak_memory_kb(pty.pid());
    pty.send("\x11");
    let _ = pty.child.wait();
    peak
}

/// Checks against an endpoint that accepts connections and never answers: the checks stay
/// under way (spinner turning) for their whole timeout, which is what is measured.
fn cpu_while_checks_run() -> Row {
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in silent.incoming().flatten() {
            held.push(stream);
        }
    });
    let state = tempfile::tempdir().unwrap();
    let env = [
        ("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{port}")),
        ("AWS_ACCESS_KEY_ID", "bench".to_string()),
        ("AWS_SECRET_ACCESS_KEY", "bench".to_string()),
        ("AWS_REGION", "us-east-1".to_string()),
        ("AWS_EC2_METADATA_DISABLED", "true".to_string()),
    ];
    let (mut pty, _) = Pty::start_with(
        state.path(),
        &["--cloud", "aws", "--org-id", "org-abc123"],
        &env,
    );
    pty.wait_for("1. Create a symmetric KMS key");
    pty.send(KEY);
    pty.send("\x1b[6~");
    pty.send("\x1b[6~");
    pty.wait_for("3. Create the role");
    pty.send(ROLE);
    pty.send("\t");
    std::thread::sleep(Duration::from_millis(200));
    pty.send("k");
    pty.wait_for("Checking your");
    let pid = pty.pid();
    let window = Duration::from_secs(5);
    let before = cpu_time(pid);
    std::thread::sleep(window);
    let used = cpu_time(pid) - before;
    pty.send("\x11");
    let _ = pty.child.wait();
    let share = used.as_secs_f64() / window.as_secs_f64() * 100.0;
    Row {
        what: "CPU while checks run (spinner only), 5 s",
        budget: "< 2%",
        measured: format!("{share:.2}% ({} ms)", used.as_millis()),
        holds: share < 2.0,
    }
}

/// The longest chains of answers that depend on each other, per cloud: GCP's round trip
/// (encrypt, then decrypt its result); Azure's round trip behind Key Vault's authentication
/// challenge (challenge, encrypt, decrypt), as long as Graph -> assignments -> role
/// definition; AWS's role, its attached policies, each policy, its default version.
struct FanOut {
    what: &'static str,
    budget: &'static str,
    chain: u32,
}

/// Runs `check` three times against `fake` (every answer delayed 200 ms) and keeps the best
/// wall time, beside what the same requests would take one after another.
fn fan_out_row(
    fan_out: FanOut,
    fake: &support::fake_cloud::FakeCloud,
    args: &[&str],
    env: &[(&str, String)],
) -> Row {
    fake.delay_all(Duration::from_millis(200));
    let home = tempfile::tempdir().unwrap();
    let mut best = Duration::MAX;
    let mut requests = 0;
    for _ in 0..3 {
        let before = fake.seen().len();
        let started = Instant::now();
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_ekm-wizard"))
            .args(args)
            .arg("--json")
            .env("HOME", home.path())
            .env_remove("AWS_PROFILE")
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .output()
            .unwrap();
        let took = started.elapsed();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stdout)
        );
        best = best.min(took);
        requests = fake.seen().len() - before;
    }
    let budget = Duration::from_millis(200) * fan_out.chain + Duration::from_millis(150);
    Row {
        what: fan_out.what,
        budget: fan_out.budget,
        measured: format!(
            "{} ms ({requests} requests: {} ms one after another)",
            best.as_millis(),
            requests * 200
        ),
        holds: best < budget,
    }
}

/// Every GCP or Azure check against its fake world.
fn fan_out(cloud: &'static str) -> Row {
    let (fan_out, fake, flags, env) = if cloud == "gcp" {
        let fake = support::google::good_google();
        let env = vec![
            ("EKM_GCP_API_URL", fake.base()),
            ("EKM_GCP_ACCESS_TOKEN", support::google::TOKEN.to_string()),
        ];
        let fan_out = FanOut {
            what: "all GCP checks, every answer 200 ms",
            budget: "< 2 × 200 ms + 150 ms (issue: 300 ms)",
            chain: 2,
        };
        (fan_out, fake, support::google::FLAGS.to_vec(), env)
    } else {
        let fake = support::azure::good_azure();
        let env = vec![
            ("EKM_AZURE_API_URL", fake.base()),
            (
                "EKM_AZURE_ACCESS_TOKEN",
                support::azure::token_for(support::azure::TENANT),
            ),
        ];
        let fan_out = FanOut {
            what: "all Azure checks, every answer 200 ms",
            budget: "< 3 × 200 ms + 150 ms (issue: 300 ms)",
            chain: 3,
        };
        (fan_out, fake, support::azure::FLAGS.to_vec(), env)
    };
    let mut args = vec!["check", cloud];
    args.extend(flags);
    fan_out_row(fan_out, &fake, &args, &env)
}

/// Every AWS check against moto, behind the fake server as a delaying relay.
fn fan_out_aws() -> Row {
    let moto = support::moto::Moto::start();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (key, role) =
        runtime.block_on(async { support::aws_world::admin(&moto).await.good_setup().await });
    let slow = support::fake_cloud::FakeCloud::start();
    slow.proxy_to(moto.port);
    let env: Vec<(&str, String)> = moto
        .env()
        .into_iter()
        .map(|(k, v)| match k {
            "AWS_ENDPOINT_URL" => (k, slow.base()),
            _ => (k, v),
        })
        .collect();
    let args = [
        "check",
        "aws",
        "--org-id",
        support::aws_world::ORG,
        "--kms-arn",
        &key,
        "--role-arn",
        &role,
    ];
    let fan_out = FanOut {
        what: "all AWS checks, every answer 200 ms",
        budget: "< 4 × 200 ms + 150 ms (issue: 300 ms)",
        chain: 4,
    };
    fan_out_row(fan_out, &slow, &args, &env)
}

fn main() {
    let mut rows = Vec::new();

    rows.push(size_row());

    for (width, height, budget) in [(80, 24, 100), (200, 60, 300)] {
        let time = frame_time(width, height);
        rows.push(Row {
            what: if width == 80 {
                "drawing the busiest screen, 80×24"
            } else {
                "drawing the busiest screen, 200×60"
            },
            budget: if width == 80 {
                "≤ 0.1 ms per frame"
            } else {
                "≤ 0.3 ms per frame"
            },
            measured: format!("{:.3} ms", time.as_secs_f64() * 1000.0),
            holds: time <= Duration::from_micros(budget),
        });
    }

    rows.push(first_frame_against_whiptail());

    let state = tempfile::tempdir().unwrap();
    let (mut pty, started) = Pty::start(state.path());
    let first_frame = pty.wait_for("Set up OpenAI Enterprise Key Management") - started;
    rows.push(Row {
        what: "start to first full frame (pseudo-terminal)",
        budget: "< 15 ms",
        measured: format!("{:.1} ms", first_frame.as_secs_f64() * 1000.0),
        holds: first_frame < Duration::from_millis(15),
    });

    let pid = pty.pid();
    let idle = Duration::from_secs(10);
    let before = cpu_time(pid);
    std::thread::sleep(idle);
    let idle_cpu = cpu_time(pid) - before;
    rows.push(Row {
        what: "CPU while idle for 10 s",
        budget: "0% (no wake-ups)",
        measured: format!(
            "{:.2}% ({} ms)",
            idle_cpu.as_secs_f64() / idle.as_secs_f64() * 100.0,
            idle_cpu.as_millis()
        ),
        holds: idle_cpu < Duration::from_millis(10),
    });

    // Keystroke to echo: type into the organization id field and wait for each character.
    pty.send("\t\t");
    std::thread::sleep(Duration::from_millis(100));
    let mut latencies = Vec::new();
    let mut typed = String::from("org-");
    pty.send("org-");
    pty.wait_for("org-");
    for c in "abc123xyz0".chars() {
        typed.push(c);
        let sent = Instant::now();
        pty.send(&c.to_string());
        latencies.push(pty.wait_for(&typed) - sent);
    }
    latencies.sort();
    let worst = *latencies.last().unwrap();
    rows.push(Row {
        what: "keystroke to echo (worst of 10)",
        budget: "< 16 ms",
        measured: format!("{:.1} ms", worst.as_secs_f64() * 1000.0),
        holds: worst < Duration::from_millis(16),
    });

    pty.send("\x11");
    let _ = pty.child.wait();

    let shipped = session_peak_kb(wizard());
    let release = session_peak_kb(Path::new(env!("CARGO_BIN_EXE_ekm-wizard")));
    rows.push(Row {
        what: "peak resident memory of a whole session (the AWS path, every block copied)",
        budget: "≤ 8 MB",
        measured: format!(
            "{:.1} MB (release build {:.1} MB)",
            shipped as f64 / 1024.0,
            release as f64 / 1024.0
        ),
        holds: shipped <= 8 * 1024,
    });

    rows.push(cpu_while_checks_run());
    rows.push(fan_out("gcp"));
    rows.push(fan_out("azure"));
    rows.push(fan_out_aws());

    println!("\n| what | budget | measured | holds |\n| --- | --- | --- | --- |");
    for row in &rows {
        println!(
            "| {} | {} | {} | {} |",
            row.what,
            row.budget,
            row.measured,
            if row.holds { "yes" } else { "NO" }
        );
    }
    println!(
        "\nThe fan-out rows cannot reach the issue's 300 ms: a round trip is an encrypt, then a decrypt of its result (two answers, 400 ms), and Key Vault answers a client's first request with an authentication challenge. Each check starts as soon as what it needs is known (a round trip beside its key check), so the budget is the longest chain of dependent answers plus 150 ms (process start, credentials, JSON), far under the sum of all answers."
    );
}
