//! `sockscope kill PORT`: signal the processes that own a port, safely.
//!
//! Planning is pure (which PIDs, which are refused and why) so it is tested without signalling
//! anything; sending and checking liveness are the only OS-specific parts. Safety rules: never
//! PID 1, never this process or its parent, say so when the port leads there, and never guess
//! at confirmation when no one can be asked.

use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, Write};
use std::str::FromStr;
use std::time::{Duration, Instant};

use crate::filter::Filter;
use crate::model::Snapshot;
use crate::output::table::push_endpoint;
use crate::sanitize;

/// A signal `kill` can send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// SIGHUP.
    Hup,
    /// SIGINT.
    Int,
    /// SIGQUIT.
    Quit,
    /// SIGKILL.
    Kill,
    /// SIGUSR1.
    Usr1,
    /// SIGUSR2.
    Usr2,
    /// SIGTERM.
    Term,
    /// SIGSTOP.
    Stop,
    /// SIGCONT.
    Cont,
}

impl Signal {
    const NAMES: [(Signal, &'static str); 9] = [
        (Signal::Hup, "HUP"),
        (Signal::Int, "INT"),
        (Signal::Quit, "QUIT"),
        (Signal::Kill, "KILL"),
        (Signal::Usr1, "USR1"),
        (Signal::Usr2, "USR2"),
        (Signal::Term, "TERM"),
        (Signal::Stop, "STOP"),
        (Signal::Cont, "CONT"),
    ];

    /// The name without the SIG prefix.
    pub fn name(self) -> &'static str {
        Signal::NAMES
            .iter()
            .find(|(s, _)| *s == self)
            .map_or("TERM", |(_, n)| n)
    }
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SIG{}", self.name())
    }
}

impl FromStr for Signal {
    type Err = String;

    /// Accepts `TERM`, `SIGTERM`, `term`, or the numbers that are the same on every Unix
    /// (1 HUP, 2 INT, 3 QUIT, 9 KILL, 15 TERM).
    fn from_str(text: &str) -> Result<Signal, String> {
        let upper = text.trim().to_ascii_uppercase();
        let name = upper.strip_prefix("SIG").unwrap_or(&upper);
        let by_number = match name {
            "1" => Some(Signal::Hup),
            "2" => Some(Signal::Int),
            "3" => Some(Signal::Quit),
            "9" => Some(Signal::Kill),
            "15" => Some(Signal::Term),
            _ => None,
        };
        by_number
            .or_else(|| {
                Signal::NAMES
                    .iter()
                    .find(|(_, n)| *n == name)
                    .map(|(s, _)| *s)
            })
            .ok_or_else(|| {
                format!(
                    "unknown signal '{text}' (known: HUP, INT, QUIT, KILL, USR1, USR2, TERM, STOP, \
                     CONT, or 1, 2, 3, 9, 15)"
                )
            })
    }
}

/// What grants the right to signal other users' processes, said where it is missing.
const ELEVATE: &str = if cfg!(windows) {
    "run as Administrator"
} else {
    "run as root (with sudo)"
};

/// The PID of this process's parent (the shell that started it), which `kill` never signals;
/// 0 when the OS does not tell.
pub fn parent_pid() -> u32 {
    #[cfg(unix)]
    {
        rustix::process::getppid().map_or(0, |p| p.as_raw_nonzero().get() as u32)
    }
    #[cfg(windows)]
    {
        use sysinfo::{Pid, ProcessRefreshKind, ProcessesToUpdate, System};
        let me = Pid::from_u32(std::process::id());
        let mut system = System::new();
        system.refresh_processes_specifics(
            ProcessesToUpdate::Some(&[me]),
            true,
            ProcessRefreshKind::nothing(),
        );
        system
            .process(me)
            .and_then(|p| p.parent())
            .map_or(0, |p| p.as_u32())
    }
    #[cfg(not(any(unix, windows)))]
    {
        0
    }
}

/// Why a PID is never signalled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// PID 1: init; signalling it can take the machine down.
    Init,
    /// sockscope itself.
    Myself,
    /// The shell (or program) that started sockscope.
    Parent,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Refusal::Init => "it is PID 1 (init)",
            Refusal::Myself => "it is sockscope itself",
            Refusal::Parent => "it is sockscope's parent process",
        })
    }
}

/// A process that owns a socket on the port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Process ID.
    pub pid: u32,
    /// Name, escaped for the terminal ("-" when unknown).
    pub name: String,
    /// User, escaped ("-" when unknown).
    pub user: String,
    /// Its sockets on the port, as "tcp 127.0.0.1:8080 LISTEN".
    pub sockets: Vec<String>,
}

/// What `kill` will do.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// Processes to signal, by PID.
    pub targets: Vec<Target>,
    /// Processes that own the port but are never signalled.
    pub refused: Vec<(Target, Refusal)>,
    /// Sockets on the port whose owners could not be seen.
    pub hidden: usize,
}

/// Works out the targets: every owner of a matching socket that passes the owner conditions,
/// minus PID 1, `me` and `parent`.
pub fn plan(snap: &Snapshot, filter: &Filter, me: u32, parent: u32) -> Plan {
    let mut by_pid: BTreeMap<u32, Target> = BTreeMap::new();
    let mut hidden = 0;
    for s in &snap.sockets {
        let Some(owners) = &s.owners else {
            hidden += 1;
            continue;
        };
        let mut desc = format!("{} ", s.proto.as_str());
        push_endpoint(&mut desc, &s.local);
        desc.push(' ');
        desc.push_str(s.state.label());
        for &pid in owners {
            if !filter.matches_owner(pid, &snap.processes) {
                continue;
            }
            let p = snap.processes.get(&pid);
            let t = by_pid.entry(pid).or_insert_with(|| Target {
                pid,
                name: p.map_or("-".into(), |p| sanitize::for_terminal(&p.name).into_owned()),
                user: p
                    .and_then(|p| p.user.as_deref())
                    .map_or("-".into(), |u| sanitize::for_terminal(u).into_owned()),
                sockets: Vec::new(),
            });
            if !t.sockets.contains(&desc) {
                t.sockets.push(desc.clone());
            }
        }
    }
    let mut plan = Plan {
        hidden,
        ..Plan::default()
    };
    for (pid, t) in by_pid {
        let refusal = if pid == 1 {
            Some(Refusal::Init)
        } else if pid == me {
            Some(Refusal::Myself)
        } else if pid == parent {
            Some(Refusal::Parent)
        } else {
            None
        };
        match refusal {
            Some(r) => plan.refused.push((t, r)),
            None => plan.targets.push(t),
        }
    }
    plan
}

/// Why a signal was not delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendError {
    /// Not permitted (another user's process).
    Denied,
    /// The process no longer exists.
    Gone,
    /// This platform cannot send that signal.
    Unsupported(String),
    /// Anything else.
    Other(String),
}

/// The operating system side of `kill`: deliver a signal, tell whether a process still runs.
pub trait Signaller {
    /// Sends `signal` to `pid`.
    fn send(&mut self, pid: u32, signal: Signal) -> Result<(), SendError>;
    /// Whether `pid` is still running (a zombie counts as exited).
    fn alive(&mut self, pid: u32) -> bool;
}

/// The real signaller of this OS.
#[derive(Debug, Default)]
pub struct OsSignaller;

#[cfg(unix)]
impl Signaller for OsSignaller {
    fn send(&mut self, pid: u32, signal: Signal) -> Result<(), SendError> {
        use rustix::process::Signal as S;
        let sig = match signal {
            Signal::Hup => S::HUP,
            Signal::Int => S::INT,
            Signal::Quit => S::QUIT,
            Signal::Kill => S::KILL,
            Signal::Usr1 => S::USR1,
            Signal::Usr2 => S::USR2,
            Signal::Term => S::TERM,
            Signal::Stop => S::STOP,
            Signal::Cont => S::CONT,
        };
        let pid = i32::try_from(pid)
            .ok()
            .and_then(rustix::process::Pid::from_raw)
            .ok_or_else(|| SendError::Other("invalid PID".into()))?;
        match rustix::process::kill_process(pid, sig) {
            Ok(()) => Ok(()),
            Err(rustix::io::Errno::PERM) => Err(SendError::Denied),
            Err(rustix::io::Errno::SRCH) => Err(SendError::Gone),
            Err(e) => Err(SendError::Other(e.to_string())),
        }
    }

    fn alive(&mut self, pid: u32) -> bool {
        crate::collect::process_alive(pid)
    }
}

/// Windows has no signals: TERM and KILL both end the process with `TerminateProcess` (exit
/// code 1), which the process cannot catch; the other signals have no Windows meaning.
#[cfg(windows)]
impl Signaller for OsSignaller {
    fn send(&mut self, pid: u32, signal: Signal) -> Result<(), SendError> {
        use windows_sys::Win32::Foundation::{
            CloseHandle, ERROR_ACCESS_DENIED, ERROR_INVALID_PARAMETER, FALSE,
        };
        use windows_sys::Win32::System::Threading::{
            OpenProcess, PROCESS_TERMINATE, TerminateProcess,
        };
        if !matches!(signal, Signal::Term | Signal::Kill) {
            return Err(SendError::Unsupported(format!(
                "Windows can only terminate a process (TERM or KILL, both via TerminateProcess); \
                 it has no {signal}"
            )));
        }
        let last_error = || std::io::Error::last_os_error();
        // SAFETY: OpenProcess takes no pointers; a non-null handle is closed below.
        let handle = unsafe { OpenProcess(PROCESS_TERMINATE, FALSE, pid) };
        if handle.is_null() {
            let err = last_error();
            return Err(match err.raw_os_error() {
                Some(code) if code == ERROR_ACCESS_DENIED as i32 => SendError::Denied,
                Some(code) if code == ERROR_INVALID_PARAMETER as i32 => SendError::Gone,
                _ => SendError::Other(err.to_string()),
            });
        }
        // SAFETY: `handle` is a process handle opened with PROCESS_TERMINATE.
        let done = unsafe { TerminateProcess(handle, 1) } != 0;
        let err = last_error();
        // SAFETY: `handle` came from OpenProcess and is closed once.
        unsafe { CloseHandle(handle) };
        if done {
            Ok(())
        } else if !crate::collect::process_alive(pid) {
            // Terminating a process that is already exiting fails with access denied.
            Err(SendError::Gone)
        } else if err.raw_os_error() == Some(ERROR_ACCESS_DENIED as i32) {
            Err(SendError::Denied)
        } else {
            Err(SendError::Other(err.to_string()))
        }
    }

    fn alive(&mut self, pid: u32) -> bool {
        crate::collect::process_alive(pid)
    }
}

#[cfg(not(any(unix, windows)))]
impl Signaller for OsSignaller {
    fn send(&mut self, _pid: u32, _signal: Signal) -> Result<(), SendError> {
        Err(SendError::Unsupported(
            "signalling processes is not supported on this OS yet".into(),
        ))
    }

    fn alive(&mut self, _pid: u32) -> bool {
        false
    }
}

/// How a kill run ended, as the exit code says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KillOutcome {
    /// Every target was signalled (and, when waiting, exited).
    AllDone,
    /// Nothing owns the port.
    NothingFound,
    /// Something was refused, denied, or still runs.
    Incomplete,
}

/// Settings of one run, from the command line.
#[derive(Debug, Clone, Copy)]
pub struct RunSettings {
    /// The signal.
    pub signal: Signal,
    /// Wait this long for exits.
    pub wait: Option<Duration>,
    /// KILL the survivors of the wait.
    pub force: bool,
    /// Only show what would happen.
    pub dry_run: bool,
}

fn describe<W: Write>(out: &mut W, t: &Target) -> io::Result<()> {
    writeln!(
        out,
        "  {:>7}  {}  (user {})  {}",
        t.pid,
        t.name,
        t.user,
        t.sockets.join(", ")
    )
}

/// Carries out `plan`: prints it, asks `confirm` (unless dry-run), signals, waits, escalates.
/// Progress goes to `out`, problems to `err`.
pub fn execute<W: Write, E: Write>(
    plan: &Plan,
    settings: RunSettings,
    signaller: &mut dyn Signaller,
    confirm: &mut dyn FnMut(&str) -> io::Result<bool>,
    out: &mut W,
    err: &mut E,
) -> io::Result<KillOutcome> {
    for (t, why) in &plan.refused {
        writeln!(
            err,
            "sockscope: kill: not signalling PID {} ({}): {why}",
            t.pid, t.name
        )?;
    }
    if plan.hidden > 0 {
        writeln!(
            err,
            "sockscope: kill: {} socket(s) on this port have owners you cannot see; \
             {ELEVATE} to signal them",
            plan.hidden
        )?;
    }
    if plan.targets.is_empty() {
        if plan.refused.is_empty() && plan.hidden == 0 {
            writeln!(
                err,
                "sockscope: kill: no process owns a socket on this port"
            )?;
            return Ok(KillOutcome::NothingFound);
        }
        return Ok(KillOutcome::Incomplete);
    }
    let verb = if settings.dry_run {
        "would send"
    } else {
        "about to send"
    };
    writeln!(out, "{verb} {} to:", settings.signal)?;
    for t in &plan.targets {
        describe(out, t)?;
    }
    out.flush()?;
    if settings.dry_run {
        return Ok(if plan.refused.is_empty() && plan.hidden == 0 {
            KillOutcome::AllDone
        } else {
            KillOutcome::Incomplete
        });
    }
    let question = format!(
        "Send {} to {} process(es)? [y/N] ",
        settings.signal,
        plan.targets.len()
    );
    if !confirm(&question)? {
        writeln!(err, "sockscope: kill: nothing signalled")?;
        return Ok(KillOutcome::Incomplete);
    }

    let mut complete = plan.refused.is_empty() && plan.hidden == 0;
    let mut signalled = Vec::new();
    for t in &plan.targets {
        match signaller.send(t.pid, settings.signal) {
            Ok(()) => {
                writeln!(out, "sent {} to {} ({})", settings.signal, t.pid, t.name)?;
                signalled.push(t);
            }
            Err(SendError::Gone) => writeln!(out, "{} ({}) had already exited", t.pid, t.name)?,
            Err(SendError::Denied) => {
                complete = false;
                writeln!(
                    err,
                    "sockscope: kill: PID {} ({}, user {}): permission denied; {ELEVATE} to \
                     signal another user's process",
                    t.pid, t.name, t.user
                )?;
            }
            Err(SendError::Unsupported(why) | SendError::Other(why)) => {
                complete = false;
                writeln!(err, "sockscope: kill: PID {} ({}): {why}", t.pid, t.name)?;
            }
        }
    }
    if let Some(wait) = settings.wait {
        let survivors = wait_for_exit(signaller, &signalled, wait);
        for t in &signalled {
            if !survivors.contains(&t.pid) {
                writeln!(out, "{} ({}) exited", t.pid, t.name)?;
            }
        }
        let mut still: Vec<&&Target> = signalled
            .iter()
            .filter(|t| survivors.contains(&t.pid))
            .collect();
        if settings.force && !still.is_empty() && settings.signal != Signal::Kill {
            for t in &still {
                match signaller.send(t.pid, Signal::Kill) {
                    Ok(()) | Err(SendError::Gone) => {
                        writeln!(out, "sent SIGKILL to {} ({})", t.pid, t.name)?
                    }
                    Err(_) => writeln!(err, "sockscope: kill: cannot SIGKILL {}", t.pid)?,
                }
            }
            let forced: Vec<&Target> = still.iter().map(|t| **t).collect();
            let after = wait_for_exit(signaller, &forced, Duration::from_secs(2));
            still.retain(|t| after.contains(&t.pid));
        }
        for t in &still {
            complete = false;
            writeln!(
                err,
                "sockscope: kill: {} ({}) is still running after {:.1} s",
                t.pid,
                t.name,
                wait.as_secs_f64()
            )?;
        }
    }
    Ok(if complete {
        KillOutcome::AllDone
    } else {
        KillOutcome::Incomplete
    })
}

/// Polls until every target exited or `limit` passed; returns the PIDs still running.
fn wait_for_exit(signaller: &mut dyn Signaller, targets: &[&Target], limit: Duration) -> Vec<u32> {
    let start = Instant::now();
    let mut running: Vec<u32> = targets.iter().map(|t| t.pid).collect();
    loop {
        running.retain(|&pid| signaller.alive(pid));
        if running.is_empty() || start.elapsed() >= limit {
            return running;
        }
        std::thread::sleep(Duration::from_millis(20).min(limit.saturating_sub(start.elapsed())));
    }
}

#[cfg(test)]
mod tests;
