//! Everything the dashboard reacts to arrives on one channel: keys and resizes from an input
//! thread, snapshots from a collector thread, termination signals from a signal thread. The main
//! thread owns the state and the terminal and never blocks on `/proc` or netlink.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use ratatui::crossterm::event::{self as term, KeyEvent};

use crate::collect::{Collector, Query};
use crate::model::Snapshot;

/// One thing that happened.
#[derive(Debug)]
pub enum Event {
    /// A key was pressed.
    Key(KeyEvent),
    /// The terminal was resized.
    Resize,
    /// A new snapshot, and how long it took.
    Snapshot(Box<Snapshot>, Duration),
    /// Collection failed.
    Failed(String),
    /// SIGTERM, SIGINT or SIGHUP arrived: leave cleanly.
    Terminate,
}

/// Reads terminal events until the channel closes or the terminal fails.
pub fn spawn_input(tx: Sender<Event>) -> JoinHandle<()> {
    std::thread::spawn(move || {
        loop {
            let event = match term::read() {
                Ok(term::Event::Key(key)) => Event::Key(key),
                Ok(term::Event::Resize(..)) => Event::Resize,
                Ok(_) => continue,
                Err(e) => Event::Failed(format!("terminal input: {e}")),
            };
            let failed = matches!(event, Event::Failed(_));
            if tx.send(event).is_err() || failed {
                return;
            }
        }
    })
}

/// The collector's handle: dropping `stop` ends the thread at its next wake-up.
pub struct CollectorHandle {
    /// Dropped to stop the thread.
    pub stop: Sender<()>,
    /// The thread.
    pub thread: JoinHandle<()>,
}

/// Takes a snapshot every `interval` (skipping while `paused`) and sends it.
pub fn spawn_collector(
    tx: Sender<Event>,
    query: Query,
    interval: Duration,
    paused: Arc<AtomicBool>,
) -> CollectorHandle {
    let (stop, stopped): (Sender<()>, Receiver<()>) = mpsc::channel();
    let thread = std::thread::spawn(move || {
        // On Linux the nice value belongs to the thread, and threads inherit it: this lowers
        // only the collector and the /proc walkers it starts, so on a busy machine key presses
        // win the CPU. Best effort: a failure just keeps the normal priority.
        #[cfg(target_os = "linux")]
        let _ = rustix::process::setpriority_process(None, 10);
        let mut collector = Collector::new();
        loop {
            let start = Instant::now();
            if !paused.load(Ordering::Relaxed) {
                let event = match collector.snapshot(&query) {
                    Ok(snap) => Event::Snapshot(Box::new(snap), start.elapsed()),
                    Err(e) => Event::Failed(e.to_string()),
                };
                if tx.send(event).is_err() {
                    return;
                }
            }
            match stopped.recv_timeout(interval.saturating_sub(start.elapsed())) {
                Err(RecvTimeoutError::Timeout) => continue,
                _ => return,
            }
        }
    });
    CollectorHandle { stop, thread }
}

/// Turns SIGTERM, SIGINT and SIGHUP into [`Event::Terminate`], so the terminal is restored.
#[cfg(unix)]
pub fn spawn_signals(tx: Sender<Event>) -> std::io::Result<signal_hook::iterator::Handle> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGTERM, SIGINT, SIGHUP])?;
    let handle = signals.handle();
    std::thread::spawn(move || {
        if signals.forever().next().is_some() {
            let _ = tx.send(Event::Terminate);
        }
    });
    Ok(handle)
}
