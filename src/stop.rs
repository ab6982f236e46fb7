//! Being asked to stop, on each platform: Ctrl-C, SIGTERM and SIGHUP on Unix; Ctrl-C,
//! Ctrl-Break and the console window closing on Windows. The wizard and the long headless
//! commands (watch, the drill) listen through this one type.

use std::io;

/// The signals that end a run, registered once; `recv` completes at the next one.
pub struct StopSignals {
    #[cfg(unix)]
    signals: [tokio::signal::unix::Signal; 3],
    #[cfg(windows)]
    signals: (
        tokio::signal::windows::CtrlC,
        tokio::signal::windows::CtrlBreak,
        tokio::signal::windows::CtrlClose,
    ),
}

impl StopSignals {
    /// Starts listening (inside a tokio runtime). Fails when the platform refuses a handler.
    #[cfg(unix)]
    pub fn listen() -> io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(StopSignals {
            signals: [
                signal(SignalKind::interrupt())?,
                signal(SignalKind::terminate())?,
                signal(SignalKind::hangup())?,
            ],
        })
    }

    /// Starts listening (inside a tokio runtime). Fails when the platform refuses a handler.
    #[cfg(windows)]
    pub fn listen() -> io::Result<Self> {
        use tokio::signal::windows::{ctrl_break, ctrl_c, ctrl_close};
        Ok(StopSignals {
            signals: (ctrl_c()?, ctrl_break()?, ctrl_close()?),
        })
    }

    /// Completes when the process is asked to stop. Cancel-safe: a `select!` may drop it.
    #[cfg(unix)]
    pub async fn recv(&mut self) {
        let [interrupt, terminate, hangup] = &mut self.signals;
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
            _ = hangup.recv() => {}
        }
    }

    /// Completes when the process is asked to stop. Cancel-safe: a `select!` may drop it.
    #[cfg(windows)]
    pub async fn recv(&mut self) {
        let (c, brk, close) = &mut self.signals;
        tokio::select! {
            _ = c.recv() => {}
            _ = brk.recv() => {}
            _ = close.recv() => {}
        }
    }
}
