//! The aligned table for people: one row per (socket, owner), so every row is complete and
//! greppable, and a socket held by several processes shows each of them.
//!
//! Untrusted text (process and user names) is escaped here, at the last moment before the
//! terminal. The writer formats every address once into an arena, measures the columns, then
//! writes rows with plain byte copies: no per-row allocation.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{self, Write};
use std::ops::Range;

use crate::model::{Endpoint, Snapshot, Socket, SocketState};
use crate::ports::PortClass;
use crate::sanitize;

/// Table settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableOptions {
    /// Print the header line.
    pub header: bool,
    /// Colour states and the header with ANSI escapes.
    pub color: bool,
    /// Add the TCP internals columns (`--info`).
    pub info: bool,
}

const HEADERS: [&str; 9] = [
    "PROTO", "LOCAL", "REMOTE", "STATE", "CLASS", "SERVICE", "USER", "PID", "PROCESS",
];

const BOLD: &str = "\x1b[1m";
const DIM: &str = "\x1b[2m";
const GREEN: &str = "\x1b[32m";
const YELLOW: &str = "\x1b[33m";
const CYAN: &str = "\x1b[36m";
const RESET: &str = "\x1b[0m";

fn state_color(state: SocketState) -> Option<&'static str> {
    match state {
        SocketState::Listen | SocketState::Unconnected => Some(GREEN),
        SocketState::Established | SocketState::Connected => Some(CYAN),
        SocketState::CloseWait | SocketState::SynSent | SocketState::SynRecv => Some(YELLOW),
        SocketState::TimeWait
        | SocketState::Close
        | SocketState::FinWait1
        | SocketState::FinWait2
        | SocketState::Closing
        | SocketState::LastAck => Some(DIM),
    }
}

/// The CLASS cell: the IANA class, with `+eph` when the port is in the ephemeral range.
pub fn class_label(e: &Endpoint) -> &'static str {
    match (e.class, e.ephemeral) {
        (PortClass::WellKnown, false) => "well-known",
        (PortClass::WellKnown, true) => "well-known+eph",
        (PortClass::Registered, false) => "registered",
        (PortClass::Registered, true) => "registered+eph",
        (PortClass::Dynamic, false) => "dynamic",
        (PortClass::Dynamic, true) => "dynamic+eph",
    }
}

/// The SERVICE cell: the local port's service, or for a client connection (local port in the
/// ephemeral range) the remote port's.
pub fn service_label(s: &Socket) -> &str {
    let remote = s.remote.as_ref().and_then(|r| r.service.as_deref());
    match (s.local.service.as_deref(), remote) {
        (Some(l), _) if !s.local.ephemeral || remote.is_none() => l,
        (_, Some(r)) => r,
        (Some(l), None) => l,
        (None, None) => "-",
    }
}

/// Appends `addr:port` (IPv6 bracketed) to `out`.
pub fn push_endpoint(out: &mut String, e: &Endpoint) {
    let _ = match e.addr {
        std::net::IpAddr::V4(a) => write!(out, "{a}:{}", e.port),
        std::net::IpAddr::V6(a) => write!(out, "[{a}]:{}", e.port),
    };
}

struct Row<'a> {
    socket: &'a Socket,
    local: Range<usize>,
    remote: Range<usize>,
    info: Option<[Range<usize>; 6]>,
    owner: Option<u32>,
}

fn write_cell<W: Write>(
    out: &mut W,
    text: &str,
    width: usize,
    color: Option<&str>,
) -> io::Result<()> {
    if let Some(c) = color {
        out.write_all(c.as_bytes())?;
        out.write_all(text.as_bytes())?;
        out.write_all(RESET.as_bytes())?;
    } else {
        out.write_all(text.as_bytes())?;
    }
    pad(out, width.saturating_sub(text.chars().count()) + 2)
}

/// Writes `n` spaces.
pub fn pad<W: Write>(out: &mut W, mut n: usize) -> io::Result<()> {
    const SPACES: &[u8; 64] = &[b' '; 64];
    while n > 0 {
        let k = n.min(SPACES.len());
        out.write_all(&SPACES[..k])?;
        n -= k;
    }
    Ok(())
}

/// Header of the `--info` columns, shown after STATE.
const INFO_HEADERS: [&str; 6] = ["RECV-Q", "SEND-Q", "RTT-MS", "CWND", "RETRANS", "CC"];

/// Appends the `--info` cells of `s` to the arena and returns their ranges.
fn push_info(arena: &mut String, s: &Socket) -> [Range<usize>; 6] {
    let cell = |arena: &mut String, value: Option<String>| {
        let start = arena.len();
        arena.push_str(value.as_deref().unwrap_or("-"));
        start..arena.len()
    };
    let t = s.tcp.as_ref();
    let num = |v: Option<u32>| v.map(|v| v.to_string());
    [
        cell(arena, num(t.and_then(|t| t.recv_queue))),
        cell(arena, num(t.and_then(|t| t.send_queue))),
        cell(
            arena,
            t.and_then(|t| t.rtt_us)
                .map(|us| format!("{:.2}", f64::from(us) / 1000.0)),
        ),
        cell(arena, num(t.and_then(|t| t.cwnd))),
        cell(
            arena,
            t.and_then(|t| match (t.retransmits, t.total_retransmits) {
                (Some(now), Some(total)) => Some(format!("{now}/{total}")),
                _ => None,
            }),
        ),
        cell(
            arena,
            t.and_then(|t| t.congestion.as_deref())
                .map(|c| sanitize::for_terminal(c).into_owned()),
        ),
    ]
}

/// Writes the table. Writes nothing at all when there are no sockets.
pub fn write<W: Write>(out: &mut W, snap: &Snapshot, opts: TableOptions) -> io::Result<()> {
    if snap.sockets.is_empty() {
        return Ok(());
    }
    // Escaped process and user names, once per process.
    let names: HashMap<u32, (String, String)> = snap
        .processes
        .iter()
        .map(|(&pid, p)| {
            let user = match (&p.user, p.uid) {
                (Some(u), _) => sanitize::for_terminal(u).into_owned(),
                (None, Some(uid)) => uid.to_string(),
                (None, None) => "-".to_owned(),
            };
            (pid, (sanitize::for_terminal(&p.name).into_owned(), user))
        })
        .collect();

    let mut arena = String::with_capacity(snap.sockets.len() * if opts.info { 64 } else { 40 });
    let mut rows = Vec::with_capacity(snap.sockets.len());
    for socket in &snap.sockets {
        let start = arena.len();
        push_endpoint(&mut arena, &socket.local);
        let local = start..arena.len();
        let start = arena.len();
        match &socket.remote {
            Some(r) => push_endpoint(&mut arena, r),
            None => arena.push_str("*:*"),
        }
        let remote = start..arena.len();
        let info = opts.info.then(|| push_info(&mut arena, socket));
        match socket.owners.as_deref() {
            Some(pids) if !pids.is_empty() => {
                for &pid in pids {
                    rows.push(Row {
                        socket,
                        local: local.clone(),
                        remote: remote.clone(),
                        info: info.clone(),
                        owner: Some(pid),
                    });
                }
            }
            _ => rows.push(Row {
                socket,
                local,
                remote,
                info,
                owner: None,
            }),
        }
    }

    let owner_cells = |row: &Row| -> (&str, &str) {
        match row.owner.and_then(|pid| names.get(&pid)) {
            Some((name, user)) => (name.as_str(), user.as_str()),
            None => ("-", "-"),
        }
    };
    // The columns: the base ones, with the --info ones after STATE.
    let headers: Vec<&str> = HEADERS[..4]
        .iter()
        .chain(if opts.info { &INFO_HEADERS[..] } else { &[] })
        .chain(&HEADERS[4..])
        .copied()
        .collect();
    let mut pid_buf = String::new();
    let mut widths: Vec<usize> = headers.iter().map(|h| h.len()).collect();
    for row in &rows {
        let (name, user) = owner_cells(row);
        pid_buf.clear();
        match row.owner {
            Some(pid) => {
                let _ = write!(pid_buf, "{pid}");
            }
            None => pid_buf.push('-'),
        }
        let (cells, n) = collect_cells(row, &arena, &pid_buf, name, user);
        for (w, c) in widths.iter_mut().zip(&cells[..n]) {
            *w = (*w).max(c.chars().count());
        }
    }

    if opts.header {
        if opts.color {
            out.write_all(BOLD.as_bytes())?;
        }
        for (i, h) in headers.iter().enumerate() {
            out.write_all(h.as_bytes())?;
            if i + 1 < headers.len() {
                pad(out, widths[i] - h.len() + 2)?;
            }
        }
        if opts.color {
            out.write_all(RESET.as_bytes())?;
        }
        out.write_all(b"\n")?;
    }
    let state_col = 3;
    let owner_cols = headers.len() - 3;
    for row in &rows {
        let (name, user) = owner_cells(row);
        pid_buf.clear();
        match row.owner {
            Some(pid) => {
                let _ = write!(pid_buf, "{pid}");
            }
            None => pid_buf.push('-'),
        }
        let (cells, n) = collect_cells(row, &arena, &pid_buf, name, user);
        let last = n - 1;
        for (i, cell) in cells[..n].iter().enumerate() {
            let color = if !opts.color {
                None
            } else if i == state_col {
                state_color(row.socket.state)
            } else if i >= owner_cols && row.owner.is_none() {
                Some(DIM)
            } else {
                None
            };
            if i == last {
                match color {
                    Some(c) => {
                        out.write_all(c.as_bytes())?;
                        out.write_all(cell.as_bytes())?;
                        out.write_all(RESET.as_bytes())?;
                    }
                    None => out.write_all(cell.as_bytes())?,
                }
            } else {
                write_cell(out, cell, widths[i], color)?;
            }
        }
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// The most columns a row has (the base ones plus the `--info` ones).
const MAX_COLUMNS: usize = HEADERS.len() + INFO_HEADERS.len();

/// The cells of one row, in column order, on the stack: no allocation per row.
fn collect_cells<'a>(
    row: &Row<'a>,
    arena: &'a str,
    pid: &'a str,
    name: &'a str,
    user: &'a str,
) -> ([&'a str; MAX_COLUMNS], usize) {
    let s = row.socket;
    let mut cells = [""; MAX_COLUMNS];
    let mut n = 0;
    let mut push = |c: &'a str| {
        cells[n] = c;
        n += 1;
    };
    push(s.proto.as_str());
    push(&arena[row.local.clone()]);
    push(&arena[row.remote.clone()]);
    push(s.state.label());
    if let Some(info) = &row.info {
        for r in info {
            push(&arena[r.clone()]);
        }
    }
    push(class_label(&s.local));
    push(service_label(s));
    push(user);
    push(pid);
    push(name);
    (cells, n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Family, Process, Proto};
    use std::borrow::Cow;
    use std::collections::BTreeMap;
    use std::time::UNIX_EPOCH;

    fn endpoint(addr: &str, port: u16, ephemeral: bool, service: Option<&'static str>) -> Endpoint {
        Endpoint {
            addr: addr.parse().unwrap(),
            port,
            class: PortClass::of(port),
            ephemeral,
            service: service.map(Cow::Borrowed),
        }
    }

    fn sample(name: &str) -> Snapshot {
        let mut processes = BTreeMap::new();
        for pid in [10, 11] {
            processes.insert(
                pid,
                Process {
                    pid,
                    name: name.to_owned(),
                    cmdline: vec![],
                    uid: Some(0),
                    user: Some("root".to_owned()),
                },
            );
        }
        Snapshot {
            taken_at: UNIX_EPOCH,
            host: "h".into(),
            sockets: vec![
                Socket {
                    proto: Proto::Tcp,
                    family: Family::Ipv6,
                    local: endpoint("::1", 8080, false, Some("http-alt")),
                    remote: None,
                    state: SocketState::Listen,
                    inode: Some(1),
                    uid: Some(0),
                    owners: Some(vec![10, 11]),
                    tcp: None,
                },
                Socket {
                    proto: Proto::Tcp,
                    family: Family::Ipv4,
                    local: endpoint("10.0.0.5", 51234, true, None),
                    remote: Some(endpoint("10.0.0.9", 443, false, Some("https"))),
                    state: SocketState::Established,
                    inode: Some(2),
                    uid: Some(0),
                    owners: None,
                    tcp: None,
                },
            ],
            processes,
            warnings: vec![],
        }
    }

    fn render(snap: &Snapshot, opts: TableOptions) -> String {
        let mut out = Vec::new();
        write(&mut out, snap, opts).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn one_row_per_owner_and_aligned() {
        let text = render(
            &sample("nginx"),
            TableOptions {
                header: true,
                color: false,
                info: false,
            },
        );
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4, "{text}");
        assert!(lines[0].starts_with("PROTO"));
        assert!(lines[1].contains("[::1]:8080") && lines[1].contains(" 10 "));
        assert!(lines[2].contains(" 11 ") && lines[2].contains("nginx"));
        assert!(lines[3].contains("*:*") || lines[3].contains("10.0.0.9:443"));
        assert!(lines[3].contains("dynamic+eph") && lines[3].contains("https"));
        // Every row's STATE column starts at the same offset as the header's.
        let col = lines[0].find("STATE").unwrap();
        for l in &lines[1..] {
            assert!(
                l[col..].starts_with("LISTEN") || l[col..].starts_with("ESTABLISHED"),
                "{l}"
            );
        }
    }

    #[test]
    fn hostile_names_are_escaped_and_never_break_rows() {
        let text = render(
            &sample("\x1b[31mevil\nrow\u{202e}"),
            TableOptions {
                header: false,
                color: false,
                info: false,
            },
        );
        assert_eq!(text.lines().count(), 3);
        assert!(!text.contains('\x1b') && !text.contains('\u{202e}'));
        assert!(text.contains("\\x1b[31mevil\\nrow\\u{202e}"));
    }

    #[test]
    fn colour_only_when_asked() {
        let plain = render(
            &sample("x"),
            TableOptions {
                header: true,
                color: false,
                info: false,
            },
        );
        assert!(!plain.contains('\x1b'));
        let coloured = render(
            &sample("x"),
            TableOptions {
                header: true,
                color: true,
                info: false,
            },
        );
        assert!(coloured.contains(GREEN) && coloured.contains(BOLD));
    }

    #[test]
    fn info_columns_come_after_state() {
        let mut snap = sample("x");
        snap.sockets[1].tcp = Some(crate::model::TcpInfo {
            rtt_us: Some(1500),
            cwnd: Some(10),
            retransmits: Some(0),
            total_retransmits: Some(2),
            recv_queue: Some(0),
            send_queue: Some(3),
            congestion: Some("cubic".into()),
            ..Default::default()
        });
        let text = render(
            &snap,
            TableOptions {
                header: true,
                color: false,
                info: true,
            },
        );
        let header = text.lines().next().unwrap();
        assert!(header.find("STATE").unwrap() < header.find("RTT-MS").unwrap());
        assert!(header.find("CC").unwrap() < header.find("CLASS").unwrap());
        let row = text.lines().find(|l| l.contains("10.0.0.9:443")).unwrap();
        assert!(
            row.contains("1.50") && row.contains("0/2") && row.contains("cubic"),
            "{row}"
        );
        let listener_row = text.lines().nth(1).unwrap();
        assert!(
            listener_row.contains("  -  "),
            "no internals: dashes: {listener_row}"
        );
    }

    #[test]
    fn empty_snapshot_prints_nothing() {
        let mut s = sample("x");
        s.sockets.clear();
        assert_eq!(
            render(
                &s,
                TableOptions {
                    header: true,
                    color: false,
                    info: false,
                }
            ),
            ""
        );
    }
}
