//! One socket as the dashboard keeps it: its identity across refreshes, its owners (escaped
//! for the terminal), where it is in its life (new, steady, closed), and its throughput.

use std::collections::VecDeque;
use std::net::IpAddr;
use std::sync::Arc;

use crate::model::{Socket, SocketState};

/// A socket's identity across refreshes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SocketKey {
    pub(super) proto: crate::model::Proto,
    pub(super) local: (IpAddr, u16),
    pub(super) remote: Option<(IpAddr, u16)>,
    pub(super) inode: u64,
}

impl SocketKey {
    /// The key of `s`.
    pub fn of(s: &Socket) -> SocketKey {
        let remote = s.remote.as_ref().map(|r| (r.addr, r.port));
        SocketKey {
            proto: s.proto,
            local: (s.local.addr, s.local.port),
            remote,
            inode: if remote.is_none() {
                s.inode.unwrap_or(0)
            } else {
                0
            },
        }
    }
}

/// An owner as the dashboard shows it: text already escaped for the terminal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    /// Process ID.
    pub pid: u32,
    /// Escaped process name ("-" if unknown).
    pub name: String,
    /// Escaped user name (or the UID, or "-").
    pub user: String,
    /// Effective UID.
    pub uid: Option<u32>,
    /// Escaped command line.
    pub cmdline: String,
}

/// Where a row is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Life {
    /// Appeared recently; refreshes left to highlight it.
    New(u32),
    /// Seen before.
    Steady,
    /// Gone from the last snapshot; refreshes left to show it.
    Closed(u32),
}

/// One socket on the dashboard.
#[derive(Debug, Clone)]
pub struct Row {
    /// Identity.
    pub key: SocketKey,
    /// The socket as last seen.
    pub socket: Socket,
    /// Its owners (empty if none or unknown; see `owners_known`), shared with the other sockets
    /// of the same process.
    pub owners: Vec<Arc<Owner>>,
    /// Whether the owners are known (false: hidden by permissions, or not scanned yet).
    pub owners_known: bool,
    /// New, steady or closed.
    pub life: Life,
    /// Refreshes left to mark a state change.
    pub changed: u32,
    /// The state before the last change.
    pub previous_state: Option<SocketState>,
    /// Bytes per second acknowledged by the peer, over the last refresh.
    pub send_rate: Option<f64>,
    /// Bytes per second received, over the last refresh.
    pub recv_rate: Option<f64>,
    /// Recent total throughput (send + receive, bytes/s), oldest first. Empty for idle sockets.
    pub history: VecDeque<u64>,
    /// Lower-case text the `/` filter searches: addresses, ports, process, user, state.
    pub(super) search: String,
}

impl Row {
    pub(super) fn search_text(socket: &Socket, owners: &[Arc<Owner>]) -> String {
        let mut text = String::new();
        let mut push_end = |addr: IpAddr, port: u16| {
            text.push_str(&match addr {
                IpAddr::V4(a) => format!("{a}:{port} "),
                IpAddr::V6(a) => format!("[{a}]:{port} "),
            });
        };
        push_end(socket.local.addr, socket.local.port);
        if let Some(r) = &socket.remote {
            push_end(r.addr, r.port);
        }
        text.push_str(socket.proto.as_str());
        text.push(' ');
        text.push_str(socket.state.name());
        text.push(' ');
        text.push_str(socket.state.label());
        for o in owners {
            text.push_str(&format!(" {} {} {}", o.pid, o.name, o.user));
        }
        text.to_lowercase()
    }

    /// Whether the row is marked as changed.
    pub fn is_changed(&self) -> bool {
        self.changed > 0
    }
}

pub(super) fn fmt_endpoint(addr: IpAddr, port: u16) -> String {
    match addr {
        IpAddr::V4(a) => format!("{a}:{port}"),
        IpAddr::V6(a) => format!("[{a}]:{port}"),
    }
}

/// Send and receive rates from the change in bytes acknowledged and received.
pub(super) fn rates(
    before: &Socket,
    now: &Socket,
    elapsed: Option<f64>,
) -> (Option<f64>, Option<f64>) {
    let (Some(secs), Some(a), Some(b)) = (elapsed, before.tcp.as_ref(), now.tcp.as_ref()) else {
        return (None, None);
    };
    // A listener moves no data of its own.
    if now.state == SocketState::Listen {
        return (None, None);
    }
    let rate = |x: Option<u64>, y: Option<u64>| -> Option<f64> {
        let (x, y) = (x?, y?);
        // A counter that went backwards is a different connection on the same tuple.
        (y >= x).then(|| (y - x) as f64 / secs)
    };
    (
        rate(a.bytes_acked, b.bytes_acked),
        rate(a.bytes_received, b.bytes_received),
    )
}

/// Formats a byte rate for a narrow column: "-", "512B", "12.3K", "4.5M", "1.2G".
pub fn human_rate(rate: Option<f64>) -> String {
    match rate {
        None => "-".to_owned(),
        Some(r) if r < 1024.0 => format!("{}B", r.round() as u64),
        Some(r) if r < 1024.0 * 1024.0 => format!("{:.1}K", r / 1024.0),
        Some(r) if r < 1024.0 * 1024.0 * 1024.0 => format!("{:.1}M", r / (1024.0 * 1024.0)),
        Some(r) => format!("{:.1}G", r / (1024.0 * 1024.0 * 1024.0)),
    }
}

/// `addr:port` with IPv6 bracketed.
pub fn endpoint_text(addr: IpAddr, port: u16) -> String {
    fmt_endpoint(addr, port)
}
