//! Running one command and measuring it, plus the guard thread that cleans up on a signal.
//!
//! A command is spawned with its stdout going to a real file and stderr to /dev/null. Wall time
//! is an `Instant` around spawn → exit; CPU time (user + sys) and peak RSS come from the child's
//! own `rusage`, collected with `wait4`.
//!
//! The guard thread handles SIGINT/SIGTERM/SIGHUP (their handlers only write the signal number
//! to a self-pipe the guard polls). On a signal it SIGKILLs every farm child and the command
//! being timed (only PIDs we spawned and have not reaped yet), waits for them, removes the temp
//! dir and exits. Between signals it is the watchdog that kills a timed command running past its
//! time limit.

use std::ffi::OsString;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::sys::{self, Result};

/// What the guard thread must clean up if the harness is interrupted.
struct Registry {
    /// PIDs of live (unreaped) farm children.
    farm: Vec<libc::pid_t>,
    /// The command being timed and the instant after which the watchdog kills it.
    timed: Option<(libc::pid_t, Instant)>,
    /// Our temp dir, removed on interruption.
    temp_dir: Option<PathBuf>,
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    farm: Vec::new(),
    timed: None,
    temp_dir: None,
});

/// Set by the watchdog when it killed the timed command for running too long.
static TIMED_OUT: AtomicBool = AtomicBool::new(false);

fn registry() -> MutexGuard<'static, Registry> {
    // A poisoned lock only means another thread panicked; the PID lists are still right.
    REGISTRY.lock().unwrap_or_else(|e| e.into_inner())
}

/// Records a farm child so an interruption kills it.
pub fn register_farm_pid(pid: libc::pid_t) {
    registry().farm.push(pid);
}

/// Forgets farm children (call before killing and reaping them, so the guard never signals a
/// reaped, possibly reused, PID).
pub fn unregister_farm_pids(pids: &[libc::pid_t]) {
    registry().farm.retain(|p| !pids.contains(p));
}

/// Records the temp dir so an interruption removes it.
pub fn register_temp_dir(dir: Option<PathBuf>) {
    registry().temp_dir = dir;
}

/// Write end of the self-pipe the signal handler writes the signal number to (-1: none yet).
static SIGNAL_PIPE: AtomicI32 = AtomicI32::new(-1);

/// The signals the guard thread handles.
const GUARDED: [libc::c_int; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

/// Signal handler: only passes the signal number on to the guard thread through the pipe.
extern "C" fn on_signal(sig: libc::c_int) {
    let fd = SIGNAL_PIPE.load(Ordering::Relaxed);
    let byte = sig as u8;
    // SAFETY: write(2) is async-signal-safe and `byte` is valid for one byte. A failed write
    // (pipe full) loses nothing: the guard already has a signal to act on.
    unsafe {
        libc::write(fd, (&byte as *const u8).cast(), 1);
    }
}

/// Installs handlers for SIGINT/SIGTERM/SIGHUP that wake the guard thread, and starts it.
///
/// The signal mask is left alone (a blocked mask would be inherited by every command we spawn);
/// caught signals are reset to their default action by exec, so the children see a clean state.
pub fn install_guard() -> Result<()> {
    let mut fds = [-1; 2];
    // SAFETY: `fds` is a writable array of two ints, as pipe2 requires.
    sys::cvt(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) })?;
    let [read_fd, write_fd] = fds;
    SIGNAL_PIPE.store(write_fd, Ordering::SeqCst);
    for sig in GUARDED {
        // SAFETY: sigaction is plain old data, so all-zero bytes are a valid value (empty mask,
        // no flags); the fields we need are set below.
        let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
        action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
        action.sa_flags = libc::SA_RESTART;
        // SAFETY: `action` is a valid sigaction whose handler only calls write(2); the old action
        // is not requested (null).
        sys::cvt(unsafe { libc::sigaction(sig, &action, std::ptr::null_mut()) })?;
    }
    std::thread::Builder::new()
        .name("guard".into())
        .spawn(move || guard_loop(read_fd))?;
    Ok(())
}

fn guard_loop(read_fd: libc::c_int) {
    // Runs for the life of the process: every iteration waits at most 200 ms.
    loop {
        let mut pfd = libc::pollfd {
            fd: read_fd,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: `pfd` is one valid, writable pollfd.
        let ready = unsafe { libc::poll(&mut pfd, 1, 200) };
        if ready > 0 {
            let mut byte = 0u8;
            // SAFETY: `byte` is valid and writable for one byte.
            let n = unsafe { libc::read(read_fd, (&mut byte as *mut u8).cast(), 1) };
            if n == 1 {
                cleanup_and_exit(libc::c_int::from(byte));
            }
        }
        let mut reg = registry();
        if let Some((pid, deadline)) = reg.timed
            && Instant::now() > deadline
        {
            TIMED_OUT.store(true, Ordering::SeqCst);
            sys::kill(pid, libc::SIGKILL);
            reg.timed = None;
        }
    }
}

fn cleanup_and_exit(sig: libc::c_int) -> ! {
    let mut reg = registry();
    let farm = std::mem::take(&mut reg.farm);
    let timed = reg.timed.take();
    for &pid in &farm {
        sys::kill(pid, libc::SIGKILL);
    }
    if let Some((pid, _)) = timed {
        sys::kill(pid, libc::SIGKILL);
    }
    // Reap the farm so nothing of it is left when we exit (SIGKILLed: each wait is short).
    for &pid in &farm {
        // SAFETY: a null status pointer is allowed.
        unsafe {
            libc::waitpid(pid, std::ptr::null_mut(), 0);
        }
    }
    if let Some(dir) = reg.temp_dir.take() {
        let _ = std::fs::remove_dir_all(dir);
    }
    progress!(
        "\nbench: interrupted (signal {sig}); killed {} farm process(es){}",
        farm.len(),
        if timed.is_some() {
            " and the timed command"
        } else {
            ""
        }
    );
    std::process::exit(128 + sig);
}

/// How a timed command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Exited(i32),
    Signaled(i32),
    TimedOut,
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Outcome::Exited(code) => write!(f, "exit {code}"),
            Outcome::Signaled(sig) => write!(f, "signal {sig}"),
            Outcome::TimedOut => write!(f, "timed out"),
        }
    }
}

/// One measured execution.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    pub wall: Duration,
    pub user: Duration,
    pub sys: Duration,
    pub maxrss_kib: u64,
    pub outcome: Outcome,
}

/// Runs `program args` once with stdout to `out` (truncated) and stderr to /dev/null, and
/// measures it. A run longer than `limit` is killed and reported as [`Outcome::TimedOut`].
pub fn run_once(program: &Path, args: &[OsString], out: &Path, limit: Duration) -> Result<Sample> {
    let stdout = File::create(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let mut cmd = Command::new(program);
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(Stdio::null());
    TIMED_OUT.store(false, Ordering::SeqCst);
    let start = Instant::now();
    let child = cmd
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", program.display()))?;
    let pid = libc::pid_t::try_from(child.id())?;
    registry().timed = Some((pid, start + limit));
    // Wait for the exit without reaping, so the guard may still signal the PID safely...
    let waited = wait_exit_nowait(pid);
    let wall = start.elapsed();
    registry().timed = None;
    // ...then reap it with wait4 for its rusage (done even if the wait above failed).
    let (status, usage) = reap(pid)?;
    waited?;
    drop(child); // already reaped above; dropping a std Child neither waits nor kills
    let outcome = if TIMED_OUT.swap(false, Ordering::SeqCst) {
        Outcome::TimedOut
    } else if libc::WIFEXITED(status) {
        Outcome::Exited(libc::WEXITSTATUS(status))
    } else {
        Outcome::Signaled(libc::WTERMSIG(status))
    };
    Ok(Sample {
        wall,
        user: timeval(usage.ru_utime),
        sys: timeval(usage.ru_stime),
        maxrss_kib: u64::try_from(usage.ru_maxrss).unwrap_or(0),
        outcome,
    })
}

/// Blocks until `pid` has exited, leaving it unreaped (waitid with WNOWAIT).
fn wait_exit_nowait(pid: libc::pid_t) -> io::Result<()> {
    let id = libc::id_t::try_from(pid).map_err(|_| io::Error::other("negative pid"))?;
    // Bounded: EINTR is the only retry and there are no signal handlers in this thread.
    for _ in 0..1000 {
        // SAFETY: siginfo_t is plain old data, so all-zero bytes are a valid value.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: `info` is valid and writable for the call.
        let rc = unsafe { libc::waitid(libc::P_PID, id, &mut info, libc::WEXITED | libc::WNOWAIT) };
        match sys::cvt(rc) {
            Ok(_) => return Ok(()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::other("waitid kept being interrupted"))
}

/// Reaps `pid` with wait4, returning its wait status and resource usage.
fn reap(pid: libc::pid_t) -> io::Result<(libc::c_int, libc::rusage)> {
    for _ in 0..1000 {
        let mut status: libc::c_int = 0;
        // SAFETY: rusage is plain old data, so all-zero bytes are a valid value.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: `status` and `usage` are valid and writable for the call.
        let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        match sys::cvt(rc) {
            Ok(_) => return Ok((status, usage)),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::other("wait4 kept being interrupted"))
}

fn timeval(tv: libc::timeval) -> Duration {
    Duration::from_secs(u64::try_from(tv.tv_sec).unwrap_or(0))
        + Duration::from_micros(u64::try_from(tv.tv_usec).unwrap_or(0))
}

/// The median of some values (the mean of the middle two for an even count); None if empty.
pub fn median(mut values: Vec<f64>) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    Some(if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    })
}

#[cfg(test)]
mod tests {
    use super::median;

    #[test]
    fn median_odd_even_empty() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(vec![]), None);
    }
}
