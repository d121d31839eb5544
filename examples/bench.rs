//! Benchmark harness: sockscope against ss, netstat, lsof and a hand-written floor, on a machine
//! holding a large number of real TCP sockets.
//!
//! ```text
//! cargo run --release --example bench -- --sockets 100000 --procs 100 [--runs 5]
//!     [--port-check PORT] [--bin target/release/sockscope] [--quick] [--markdown] [--scaling]
//! ```
//!
//! **Why.** Listing sockets is cheap; finding their owners is not. Owners are found by walking
//! every `/proc/<pid>/fd` entry on the machine, so the cost grows with sockets × processes. An
//! idle laptop hides that; a busy server (tens of thousands of connections over many processes)
//! shows it. So the harness first builds such a server on loopback (see `farm`): `--sockets`
//! established TCP sockets held by `--procs` processes.
//!
//! **What.** Then it times, round-robin (A B C D, A B C D, …, `--runs` rounds, so drift and
//! caching hit every command alike), each command with its output really written to a file:
//!
//! - the full listing with owners: `sockscope -tan` vs `ss -tanp`, `netstat -tanp`, `lsof -nP -iTCP`;
//! - the listing without owners: `sockscope -tan --no-owners` vs `ss -tan`;
//! - who owns one port: `sockscope who PORT` (or the best fallback this sockscope build has) vs
//!   `ss -tlnp 'sport = :PORT'` and `lsof -nP -iTCP:PORT`;
//! - `sockscope --json -t` (informational);
//! - the floor (`bench --floor`, see `floor`): the minimal libc-only work the full listing
//!   cannot avoid, so "sockscope / floor" says how much sockscope adds on top of the kernel.
//!
//! For every execution it takes wall time (spawn → exit), CPU time (user + sys, from `wait4`)
//! and peak RSS (`ru_maxrss`), and prints medians and the sockscope / peer ratios against the
//! project's targets. `--scaling` also measures the full listing on a farm of 10 % of the size,
//! to check the cost grows linearly. Runs as root on Linux only (it raises RLIMIT_NOFILE and
//! reads every process's fd table).
//!
//! The farm never leaves 127.0.0.0/8, and every farm process dies with the harness: they are
//! killed on exit, on SIGINT/SIGTERM/SIGHUP (guard thread), and by PR_SET_PDEATHSIG otherwise.

// Everything below is Linux-only: the farm, the floor and the peers (ss, /proc) are. On other
// systems the example still builds, so `cargo clippy --all-targets` checks cross targets, and
// says it needs Linux.

/// Progress and errors on stderr; a closed stderr is ignored rather than a panic.
#[cfg(target_os = "linux")]
macro_rules! progress {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

#[cfg(target_os = "linux")]
#[path = "bench/farm.rs"]
mod farm;
#[cfg(target_os = "linux")]
#[path = "bench/floor.rs"]
mod floor;
#[cfg(target_os = "linux")]
#[path = "bench/harness.rs"]
mod harness;
#[cfg(target_os = "linux")]
#[path = "bench/measure.rs"]
mod measure;
#[cfg(target_os = "linux")]
#[path = "bench/report.rs"]
mod report;
#[cfg(target_os = "linux")]
#[path = "bench/sys.rs"]
mod sys;

#[cfg(target_os = "linux")]
fn main() -> std::process::ExitCode {
    harness::main()
}

#[cfg(not(target_os = "linux"))]
fn main() -> std::process::ExitCode {
    use std::io::Write as _;
    let _ = writeln!(
        std::io::stderr(),
        "bench: the benchmark harness needs Linux (its socket farm, floor and peers are Linux-only)"
    );
    std::process::ExitCode::FAILURE
}
