//! Integration tests against the real OS and the real binary. Sockets stay on loopback.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

/// Shared helpers: running the binary, typed JSON, helper processes.
mod common;

/// Command-line behaviour: flags, bad input, exit codes, pipes, colour.
mod cli;
/// `sockscope` and `ss` agree on a controlled set of sockets.
mod differential;
/// Man pages, completions and help: generated files match the code, render and parse.
mod docs;
/// Every filter flag, with a matching and a non-matching case; bad values.
mod filters;
/// Churn, 35+ bad command lines, kill of a foreign process, a slow reader.
mod hardening;
/// The /proc/net fallback, hostile process names, and running without permission.
mod honesty;
/// Every kind of socket is found with the right proto, family, state, port and owners.
mod listing;
/// The dashboard in a real terminal (tmux): a listener appears, / narrows, q; SIGTERM, SIGINT, Ctrl-C.
mod top;
/// `who` and `kill` against real processes: every owner, -t, dry run, --yes, refusals, a pty.
mod who_kill;
