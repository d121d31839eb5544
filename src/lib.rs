//! sockscope: every TCP and UDP socket on the machine, its ports, its state and the processes
//! that own it.
//!
//! The library is the whole program but for argument parsing and exit codes:
//! [`collect::snapshot`] takes a [`model::Snapshot`] through the OS backend, [`filter`] says what
//! to keep, and [`output`] writes a table or the JSON document. Everything after `collect` is
//! platform-free.

pub mod cli;
pub mod collect;
pub mod completions;
pub mod config;
pub mod filter;
pub mod kill;
pub mod manpage;
pub mod model;
pub mod output;
pub mod ports;
pub mod sanitize;
pub mod tui;
