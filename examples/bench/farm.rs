//! The socket farm: many loopback TCP connections held open by child processes.
//!
//! `--sockets N --procs P` starts P children (this same binary re-executed as
//! `bench --farm-child …`) that together hold N/2 connections, both ends, so N established TCP
//! sockets exist, owned by P processes: the shape of a busy server that `-p`-style owner lookups
//! must walk.
//!
//! Each child dies with the harness (PR_SET_PDEATHSIG = SIGKILL), raises its RLIMIT_NOFILE,
//! listens on its own 127.0.0.1 port (outside the ephemeral range), connects its clients to it in
//! batches and accepts each batch, prints `ready PORT CONNS`, then blocks reading stdin until EOF.
//! Clients bind a 127.0.0.x source with IP_BIND_ADDRESS_NO_PORT (a new source address every
//! 20,000 connections), so no destination runs out of ephemeral ports. Every socket has
//! SO_LINGER 0, so tearing the farm down leaves no TIME_WAIT behind to skew the next run.
//! Nothing ever leaves 127.0.0.0/8.

use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use crate::measure;
use crate::sys::{self, Result};

/// Where listeners start looking for a free port (below the usual ephemeral range).
const PORT_BASE: u16 = 20000;
/// Connections per client source address (the ephemeral range holds ~28k ports per 4-tuple side).
const CONNS_PER_SOURCE: usize = 20_000;
/// Descriptors a farm child needs beyond its sockets (stdio, listener, libc).
const CHILD_SPARE_FDS: u64 = 64;
/// connect/accept time limit for a single socket.
const SOCKET_TIMEOUT_SECS: i64 = 10;

/// What the parent passes to a farm child on its command line.
#[derive(Debug, Clone, Copy)]
pub struct ChildSpec {
    /// The child's number, 0-based (picks its listening port).
    pub index: usize,
    /// How many children there are (the stride between port candidates).
    pub procs: usize,
    /// Connections to make; the child holds both ends, so twice as many sockets.
    pub conns: usize,
    /// The harness PID: if it is already gone when we start, we exit at once.
    pub parent: libc::pid_t,
    /// Seconds the child may take to get ready.
    pub ready_secs: u64,
}

impl ChildSpec {
    fn to_args(self) -> Vec<String> {
        vec![
            "--farm-child".into(),
            format!("--index={}", self.index),
            format!("--procs={}", self.procs),
            format!("--conns={}", self.conns),
            format!("--parent={}", self.parent),
            format!("--ready-timeout={}", self.ready_secs),
        ]
    }
}

/// Entry point of `bench --farm-child`.
pub fn child_main(spec: ChildSpec) -> Result<()> {
    // SAFETY: prctl(PR_SET_PDEATHSIG) takes a signal number and no pointers.
    sys::cvt(unsafe {
        libc::prctl(
            libc::PR_SET_PDEATHSIG,
            libc::SIGKILL as libc::c_ulong,
            0,
            0,
            0,
        )
    })?;
    // SAFETY: getppid() takes no arguments and cannot fail.
    if unsafe { libc::getppid() } != spec.parent {
        return Err("the harness exited before this farm child started".into());
    }
    let deadline = Instant::now() + Duration::from_secs(spec.ready_secs);
    sys::ensure_nofile(2 * spec.conns as u64 + CHILD_SPARE_FDS)?;

    let (listener, port) = listen_on_free_port(spec)?;
    let somaxconn: usize = sys::read_sys("/proc/sys/net/core/somaxconn")?.parse()?;
    let batch = (somaxconn / 2).clamp(1, 1024);
    let mut held: Vec<OwnedFd> = Vec::with_capacity(2 * spec.conns);
    let mut made = 0;
    // Bounded: every pass makes at least one connection, and the deadline is checked.
    while made < spec.conns {
        if Instant::now() > deadline {
            return Err(format!(
                "not ready after {} s ({made} connections made)",
                spec.ready_secs
            )
            .into());
        }
        let n = batch.min(spec.conns - made);
        for i in made..made + n {
            let source = [127, 0, 0, 1 + (i / CONNS_PER_SOURCE % 250) as u8];
            let client = connect_client(source, port)
                .map_err(|e| format!("connect #{i} from {source:?} to 127.0.0.1:{port}: {e}"))?;
            held.push(client);
        }
        for _ in 0..n {
            let server =
                sys::accept(&listener).map_err(|e| format!("accept on port {port}: {e}"))?;
            set_linger_zero(&server)?;
            held.push(server);
        }
        made += n;
    }

    let mut out = io::stdout().lock();
    writeln!(out, "ready {port} {made}")?;
    out.flush()?;
    drop(out);

    // Hold everything until the harness closes our stdin (or kills us).
    let mut stdin = io::stdin().lock();
    let mut buf = [0u8; 64];
    loop {
        match stdin.read(&mut buf) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    drop(held);
    drop(listener);
    Ok(())
}

/// Binds 127.0.0.1 on the first free port of PORT_BASE + index + k·procs that is outside the
/// ephemeral range, and listens with a large backlog.
fn listen_on_free_port(spec: ChildSpec) -> Result<(OwnedFd, u16)> {
    let range = sys::read_sys("/proc/sys/net/ipv4/ip_local_port_range")?;
    let mut bounds = range.split_whitespace().map(str::parse::<u32>);
    let (eph_lo, eph_hi) = match (bounds.next(), bounds.next()) {
        (Some(Ok(lo)), Some(Ok(hi))) => (lo, hi),
        _ => return Err(format!("cannot parse ip_local_port_range {range:?}").into()),
    };
    let mut last_err = None;
    for k in 0..400u32 {
        let port = u32::from(PORT_BASE) + spec.index as u32 + k * spec.procs.max(1) as u32;
        if port > 65535 {
            break;
        }
        if (eph_lo..=eph_hi).contains(&port) {
            continue;
        }
        let port = port as u16;
        let fd = sys::tcp_socket()?;
        sys::setsockopt(
            &fd,
            libc::SOL_SOCKET,
            libc::SO_REUSEADDR,
            &1 as &libc::c_int,
        )?;
        match sys::bind_v4(&fd, [127, 0, 0, 1], port) {
            Ok(()) => {
                sys::listen(&fd, 65535)?;
                let timeout = sys::timeval_secs(SOCKET_TIMEOUT_SECS);
                sys::setsockopt(&fd, libc::SOL_SOCKET, libc::SO_RCVTIMEO, &timeout)?;
                return Ok((fd, port));
            }
            Err(e) => last_err = Some(e),
        }
    }
    Err(format!("no free listening port found (last error: {last_err:?})").into())
}

/// A client socket bound to `source` (port chosen at connect time) and connected to
/// 127.0.0.1:`port`.
fn connect_client(source: [u8; 4], port: u16) -> io::Result<OwnedFd> {
    let fd = sys::tcp_socket()?;
    sys::setsockopt(
        &fd,
        libc::IPPROTO_IP,
        libc::IP_BIND_ADDRESS_NO_PORT,
        &1 as &libc::c_int,
    )?;
    let timeout = sys::timeval_secs(SOCKET_TIMEOUT_SECS);
    sys::setsockopt(&fd, libc::SOL_SOCKET, libc::SO_SNDTIMEO, &timeout)?;
    set_linger_zero(&fd)?;
    sys::bind_v4(&fd, source, 0)?;
    sys::connect_v4(&fd, [127, 0, 0, 1], port)?;
    Ok(fd)
}

/// close() sends a RST instead of a FIN: no TIME_WAIT sockets are left behind.
fn set_linger_zero(fd: &OwnedFd) -> io::Result<()> {
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    sys::setsockopt(fd, libc::SOL_SOCKET, libc::SO_LINGER, &linger)
}

/// One running farm child, as the parent sees it.
struct FarmChild {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: Option<ChildStdout>,
    line: Vec<u8>,
    /// `(port, conns)` once the child said it is ready.
    ready: Option<(u16, usize)>,
}

/// A running farm. Dropping it tears it down: every child's stdin is closed, then each is
/// SIGKILLed and reaped.
pub struct Farm {
    children: Vec<FarmChild>,
    /// Time from the first spawn until the last child was ready.
    pub ready_in: Duration,
}

impl Farm {
    /// Starts `procs` children holding `sockets` sockets between them, and waits (at most
    /// `limit`) until all are ready.
    pub fn start(exe: &Path, sockets: usize, procs: usize, limit: Duration) -> Result<Farm> {
        let conns = sockets / 2;
        if conns == 0 || procs == 0 {
            return Err("the farm needs --sockets >= 2 and --procs >= 1".into());
        }
        let procs = procs.min(conns);
        let per_child = conns.div_ceil(procs);
        sys::ensure_hard_nofile(2 * per_child as u64 + CHILD_SPARE_FDS).map_err(|e| {
            let (_, hard) = sys::nofile_limit().unwrap_or((0, 0));
            let max_conns = (hard.saturating_sub(CHILD_SPARE_FDS) / 2).max(1);
            format!(
                "{e}; use --procs {} or more (at most {} sockets per process)",
                (conns as u64).div_ceil(max_conns),
                2 * max_conns
            )
        })?;
        // SAFETY: getpid() takes no arguments and cannot fail.
        let parent = unsafe { libc::getpid() };
        let start = Instant::now();
        let mut farm = Farm {
            children: Vec::with_capacity(procs),
            ready_in: Duration::ZERO,
        };
        for index in 0..procs {
            let spec = ChildSpec {
                index,
                procs,
                conns: conns / procs + usize::from(index < conns % procs),
                parent,
                ready_secs: limit.as_secs().max(1),
            };
            let mut child = Command::new(exe)
                .args(spec.to_args())
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()
                .map_err(|e| format!("cannot start farm child {index}: {e}"))?;
            measure::register_farm_pid(libc::pid_t::try_from(child.id())?);
            farm.children.push(FarmChild {
                stdin: child.stdin.take(),
                stdout: child.stdout.take(),
                child,
                line: Vec::new(),
                ready: None,
            });
        }
        // On error, `farm` is dropped here and every child is killed.
        farm.wait_ready(start + limit)?;
        farm.ready_in = start.elapsed();
        Ok(farm)
    }

    /// Reads each child's `ready PORT CONNS` line, polling all of them until `deadline`.
    fn wait_ready(&mut self, deadline: Instant) -> Result<()> {
        let mut buf = [0u8; 256];
        // Bounded by the deadline: each pass waits at most until it.
        loop {
            let pending: Vec<usize> = (0..self.children.len())
                .filter(|&i| self.children[i].ready.is_none())
                .collect();
            if pending.is_empty() {
                return Ok(());
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(format!(
                    "farm not ready in time: {} of {} children still connecting",
                    pending.len(),
                    self.children.len()
                )
                .into());
            }
            let mut fds: Vec<libc::pollfd> = pending
                .iter()
                .map(|&i| libc::pollfd {
                    fd: self.children[i]
                        .stdout
                        .as_ref()
                        .map_or(-1, |s| s.as_raw_fd()),
                    events: libc::POLLIN,
                    revents: 0,
                })
                .collect();
            let wait_ms = (deadline - now).as_millis().clamp(1, 1000) as libc::c_int;
            // SAFETY: `fds` is a valid, writable array of `fds.len()` pollfd structs.
            let rc = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, wait_ms) };
            if let Err(e) = sys::cvt(rc) {
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(format!("poll: {e}").into());
            }
            for (pfd, &i) in fds.iter().zip(&pending) {
                if pfd.revents == 0 {
                    continue;
                }
                let child = &mut self.children[i];
                let Some(stdout) = child.stdout.as_mut() else {
                    continue;
                };
                let n = stdout.read(&mut buf)?;
                if n == 0 {
                    return Err(format!(
                        "farm child {i} (pid {}) exited before it was ready (its error is above)",
                        child.child.id()
                    )
                    .into());
                }
                child.line.extend_from_slice(&buf[..n]);
                if let Some(end) = child.line.iter().position(|&b| b == b'\n') {
                    let line = String::from_utf8_lossy(&child.line[..end]).into_owned();
                    child.ready = Some(parse_ready(&line).ok_or_else(|| {
                        format!("farm child {i} said {line:?} instead of `ready PORT CONNS`")
                    })?);
                }
            }
        }
    }

    /// Listening port of each child, in child order.
    pub fn ports(&self) -> Vec<u16> {
        self.children
            .iter()
            .filter_map(|c| c.ready.map(|r| r.0))
            .collect()
    }

    /// Connections the children report holding (each is two sockets).
    pub fn conns(&self) -> usize {
        self.children
            .iter()
            .filter_map(|c| c.ready.map(|r| r.1))
            .sum()
    }

    /// Number of farm processes.
    pub fn procs(&self) -> usize {
        self.children.len()
    }
}

fn parse_ready(line: &str) -> Option<(u16, usize)> {
    let mut words = line.split_whitespace();
    if words.next()? != "ready" {
        return None;
    }
    Some((words.next()?.parse().ok()?, words.next()?.parse().ok()?))
}

impl Drop for Farm {
    fn drop(&mut self) {
        let pids: Vec<libc::pid_t> = self
            .children
            .iter()
            .filter_map(|c| libc::pid_t::try_from(c.child.id()).ok())
            .collect();
        // From here on we kill and reap them ourselves; the guard must no longer touch them.
        measure::unregister_farm_pids(&pids);
        for c in &mut self.children {
            drop(c.stdin.take()); // EOF: a well-behaved child exits by itself
        }
        for c in &mut self.children {
            let _ = c.child.kill();
        }
        for c in &mut self.children {
            let _ = c.child.wait();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse_ready;

    #[test]
    fn ready_line() {
        assert_eq!(parse_ready("ready 20001 500"), Some((20001, 500)));
        assert_eq!(parse_ready("error"), None);
        assert_eq!(parse_ready("ready x 1"), None);
    }
}
