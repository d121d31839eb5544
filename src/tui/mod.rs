//! `sockscope top`: the live dashboard.
//!
//! [`app`] holds the state (no I/O), [`keys`] maps keys to actions, [`ui`] draws the state
//! read-only, and [`event`] feeds one channel from the input, collector and signal threads. This
//! module owns the terminal: it is restored on `q`, Ctrl-C, SIGTERM/SIGINT/SIGHUP, an error, and
//! (through ratatui's panic hook) a panic.

pub mod action;
pub mod app;
pub mod event;
#[cfg(test)]
mod fixtures;
pub mod keys;
pub mod rows;
pub mod ui;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use ratatui::DefaultTerminal;

use self::app::{Action, App, Merge, Mode};
use self::event::Event;
use crate::collect::Query;
use crate::kill::{self, OsSignaller, RunSettings, Signal};

/// Runs the dashboard until the user quits.
pub fn run(query: Query, interval: Duration) -> anyhow::Result<()> {
    let (tx, rx) = mpsc::channel();
    let paused = Arc::new(AtomicBool::new(false));
    #[cfg(unix)]
    let signals = event::spawn_signals(tx.clone())?;
    let collector = event::spawn_collector(tx.clone(), query, interval, paused.clone());
    let mut terminal = ratatui::try_init()?;
    event::spawn_input(tx);
    let result = event_loop(&mut terminal, &rx, interval, &paused);
    let restored = ratatui::try_restore();
    #[cfg(unix)]
    signals.close();
    drop(collector.stop);
    let _ = collector.thread.join();
    result?;
    restored?;
    Ok(())
}

fn draw(terminal: &mut DefaultTerminal, app: &mut App) -> anyhow::Result<()> {
    let size = terminal.size()?;
    app.scroll_into_view(ui::table_height(size.height));
    terminal.draw(|frame| frame.render_widget(&*app, frame.area()))?;
    Ok(())
}

/// Sockets merged between two looks at the keyboard: a few milliseconds of work.
const MERGE_SLICE: usize = 8192;

fn event_loop(
    terminal: &mut DefaultTerminal,
    rx: &mpsc::Receiver<Event>,
    interval: Duration,
    paused: &AtomicBool,
) -> anyhow::Result<()> {
    let mut app = App::new(interval);
    let mut merging: Option<Merge> = None;
    let mut newest: Option<(Box<crate::model::Snapshot>, Duration)> = None;
    let mut dirty = true;
    loop {
        if dirty {
            draw(terminal, &mut app)?;
            dirty = false;
        }
        // Block only when there is nothing to do. Keys are handled at once and their effect
        // drawn before any merge work; of queued snapshots only the newest is kept; a snapshot
        // is merged a slice at a time, looking at the keyboard between slices, so even a
        // 100,000-socket refresh never holds a key press back.
        let mut events: Vec<Event> = Vec::new();
        if merging.is_none() && newest.is_none() {
            events.push(rx.recv()?);
        }
        events.extend(rx.try_iter());
        let mut input = false;
        for event in events {
            match event {
                Event::Snapshot(snap, cost) => newest = Some((snap, cost)),
                other => {
                    input = true;
                    handle(&mut app, other);
                }
            }
            if app.quit {
                return Ok(());
            }
        }
        paused.store(app.paused, Ordering::Relaxed);
        if input {
            dirty = true;
            continue;
        }
        if merging.is_none()
            && let Some((snap, cost)) = newest.take()
            && !app.paused
        {
            merging = Some(app.begin_merge(*snap, cost));
        }
        if let Some(merge) = merging.as_mut()
            && app.merge_step(merge, MERGE_SLICE)
            && let Some(done) = merging.take()
        {
            app.finish_merge(done);
            dirty = true;
        }
    }
}

fn handle(app: &mut App, event: Event) {
    match event {
        Event::Key(key) => {
            let Some(action) = keys::action(&app.mode, key) else {
                return;
            };
            app.message = None;
            if action == Action::ConfirmKill {
                confirm_kill(app);
            } else {
                app.handle(action);
            }
        }
        Event::Resize | Event::Snapshot(..) => {}
        Event::Failed(why) => app.message = Some(format!("cannot refresh: {why}")),
        Event::Terminate => app.quit = true,
    }
}

/// Signals the owners planned in the confirmation pane, as `sockscope kill --yes` would.
fn confirm_kill(app: &mut App) {
    let Mode::ConfirmKill(plan) = std::mem::replace(&mut app.mode, Mode::Normal) else {
        return;
    };
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let settings = RunSettings {
        signal: Signal::Term,
        wait: None,
        force: false,
        dry_run: false,
    };
    let result = kill::execute(
        &plan,
        settings,
        &mut OsSignaller,
        &mut |_| Ok(true),
        &mut out,
        &mut err,
    );
    let said = |bytes: &[u8]| {
        String::from_utf8_lossy(bytes)
            .lines()
            .filter(|l| !l.starts_with("about to send") && !l.starts_with("  "))
            .map(|l| l.trim_start_matches("sockscope: kill: ").to_owned())
            .collect::<Vec<_>>()
            .join("; ")
    };
    app.message = Some(match result {
        Ok(_) => [said(&out), said(&err)]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("; "),
        Err(e) => format!("kill failed: {e}"),
    });
}
