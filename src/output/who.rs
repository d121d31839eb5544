//! `sockscope who PORT`: one line per (owner, socket), or only the PIDs.
//!
//! The question is "who is on this port", so the owner comes first and the command line last
//! (it is the longest and the most telling column). Rows are limited to the owners that pass
//! the owner conditions of the filter, so `who 80 --process nginx` shows nginx even where a
//! socket is shared with something else.

use std::io::{self, Write};

use crate::filter::Filter;
use crate::model::Snapshot;
use crate::output::table::{pad, push_endpoint};
use crate::sanitize;

const HEADERS: [&str; 8] = [
    "PID", "PROCESS", "USER", "PROTO", "LOCAL", "REMOTE", "STATE", "COMMAND",
];

/// Writes the `who` lines; returns how many were written. Nothing at all when nothing matched.
pub fn write<W: Write>(
    out: &mut W,
    snap: &Snapshot,
    filter: &Filter,
    header: bool,
    color: bool,
) -> io::Result<usize> {
    let mut rows: Vec<[String; 8]> = Vec::new();
    for s in &snap.sockets {
        let mut local = String::new();
        push_endpoint(&mut local, &s.local);
        let mut remote = String::new();
        match &s.remote {
            Some(r) => push_endpoint(&mut remote, r),
            None => remote.push_str("*:*"),
        }
        let socket_cells = |pid: String, name: String, user: String, command: String| {
            [
                pid,
                name,
                user,
                s.proto.as_str().to_owned(),
                local.clone(),
                remote.clone(),
                s.state.label().to_owned(),
                command,
            ]
        };
        let owners: Vec<u32> = s
            .owners
            .iter()
            .flatten()
            .copied()
            .filter(|&pid| filter.matches_owner(pid, &snap.processes))
            .collect();
        if owners.is_empty() {
            let why = if s.owners.is_none() {
                "(owner unknown: see the warning)"
            } else {
                "(no process holds this socket)"
            };
            rows.push(socket_cells("-".into(), "-".into(), "-".into(), why.into()));
            continue;
        }
        for pid in owners {
            let p = snap.processes.get(&pid);
            let name = p.map_or("-".into(), |p| sanitize::for_terminal(&p.name).into_owned());
            let user = p
                .and_then(|p| p.user.as_deref())
                .map_or("-".into(), |u| sanitize::for_terminal(u).into_owned());
            let command = p.filter(|p| !p.cmdline.is_empty()).map_or_else(
                || format!("[{name}]"),
                |p| sanitize::cmdline_for_terminal(&p.cmdline),
            );
            rows.push(socket_cells(pid.to_string(), name, user, command));
        }
    }
    if rows.is_empty() {
        return Ok(0);
    }
    let mut widths = HEADERS.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row.iter()) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut line = |cells: &[&str], bold: bool| -> io::Result<()> {
        if bold && color {
            out.write_all(b"\x1b[1m")?;
        }
        for (i, cell) in cells.iter().enumerate() {
            out.write_all(cell.as_bytes())?;
            if i + 1 < cells.len() {
                pad(out, widths[i] - cell.chars().count() + 2)?;
            }
        }
        if bold && color {
            out.write_all(b"\x1b[0m")?;
        }
        out.write_all(b"\n")
    };
    if header {
        line(&HEADERS, true)?;
    }
    for row in &rows {
        let cells: Vec<&str> = row.iter().map(String::as_str).collect();
        line(&cells, false)?;
    }
    Ok(rows.len())
}

/// Writes the distinct owning PIDs, sorted, one per line; returns how many.
pub fn write_terse<W: Write>(out: &mut W, snap: &Snapshot, filter: &Filter) -> io::Result<usize> {
    let mut pids: Vec<u32> = snap
        .sockets
        .iter()
        .filter_map(|s| s.owners.as_deref())
        .flatten()
        .copied()
        .filter(|&pid| filter.matches_owner(pid, &snap.processes))
        .collect();
    pids.sort_unstable();
    pids.dedup();
    for pid in &pids {
        writeln!(out, "{pid}")?;
    }
    Ok(pids.len())
}
