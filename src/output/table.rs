//! The aligned table for people: one row per (socket, owner), so every row is complete and
//! greppable, and a socket held by several processes shows each of them.
//!
//! Untrusted text (process and user names) is escaped here, at the last moment before the
//! terminal. The writer formats every address once into an arena, measures the columns, then
//! writes rows with plain byte copies: no per-row allocation.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{self, Write};

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
    local: std::ops::Range<usize>,
    remote: std::ops::Range<usize>,
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

    let mut arena = String::with_capacity(snap.sockets.len() * 40);
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
        match socket.owners.as_deref() {
            Some(pids) if !pids.is_empty() => {
                for &pid in pids {
                    rows.push(Row {
                        socket,
                        local: local.clone(),
                        remote: remote.clone(),
                        owner: Some(pid),
                    });
                }
            }
            _ => rows.push(Row {
                socket,
                local,
                remote,
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
    let mut pid_buf = String::new();
    let mut widths = HEADERS.map(str::len);
    for row in &rows {
        let (name, user) = owner_cells(row);
        let pid_len = row.owner.map_or(1, |p| p.to_string().len());
        let cells = [
            row.socket.proto.as_str().len(),
            arena[row.local.clone()].len(),
            arena[row.remote.clone()].len(),
            row.socket.state.label().len(),
            class_label(&row.socket.local).len(),
            service_label(row.socket).chars().count(),
            user.chars().count(),
            pid_len,
            name.chars().count(),
        ];
        for (w, c) in widths.iter_mut().zip(cells) {
            *w = (*w).max(c);
        }
    }

    if opts.header {
        if opts.color {
            out.write_all(BOLD.as_bytes())?;
        }
        for (i, h) in HEADERS.iter().enumerate() {
            out.write_all(h.as_bytes())?;
            if i + 1 < HEADERS.len() {
                pad(out, widths[i] - h.len() + 2)?;
            }
        }
        if opts.color {
            out.write_all(RESET.as_bytes())?;
        }
        out.write_all(b"\n")?;
    }
    for row in &rows {
        let s = row.socket;
        let (name, user) = owner_cells(row);
        pid_buf.clear();
        match row.owner {
            Some(pid) => {
                let _ = write!(pid_buf, "{pid}");
            }
            None => pid_buf.push('-'),
        }
        let dim = |on: bool| (opts.color && on).then_some(DIM);
        write_cell(out, s.proto.as_str(), widths[0], None)?;
        write_cell(out, &arena[row.local.clone()], widths[1], None)?;
        write_cell(out, &arena[row.remote.clone()], widths[2], None)?;
        write_cell(
            out,
            s.state.label(),
            widths[3],
            state_color(s.state).filter(|_| opts.color),
        )?;
        write_cell(out, class_label(&s.local), widths[4], None)?;
        write_cell(out, service_label(s), widths[5], None)?;
        write_cell(out, user, widths[6], dim(row.owner.is_none()))?;
        write_cell(out, &pid_buf, widths[7], dim(row.owner.is_none()))?;
        if opts.color && row.owner.is_none() {
            out.write_all(DIM.as_bytes())?;
            out.write_all(name.as_bytes())?;
            out.write_all(RESET.as_bytes())?;
        } else {
            out.write_all(name.as_bytes())?;
        }
        out.write_all(b"\n")?;
    }
    Ok(())
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
            },
        );
        assert!(!plain.contains('\x1b'));
        let coloured = render(
            &sample("x"),
            TableOptions {
                header: true,
                color: true,
            },
        );
        assert!(coloured.contains(GREEN) && coloured.contains(BOLD));
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
                    color: false
                }
            ),
            ""
        );
    }
}
