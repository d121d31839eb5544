//! The data model every backend fills and every output reads.
//!
//! It has no `cfg`: whatever only some operating systems can tell is an `Option`. Two absences are
//! kept apart on purpose: `owners: None` means "could not be determined" (no permission, or the
//! owner lookup was skipped), while `Some(vec![])` means "the kernel says no process holds it"
//! (a TIME-WAIT socket, say). Blurring the two would make the tool lie.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use crate::ports::PortClass;

/// Transport protocol of a socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Proto {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
}

impl Proto {
    /// The lowercase name used in tables and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Proto::Tcp => "tcp",
            Proto::Udp => "udp",
        }
    }
}

/// Address family of a socket, after IPv4-mapped IPv6 addresses were folded into IPv4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    /// IPv4 (including IPv4-mapped IPv6 addresses).
    Ipv4,
    /// IPv6.
    Ipv6,
}

/// The state of a socket. TCP sockets have the TCP states; UDP sockets are either
/// `Unconnected` (bound, receiving from anyone) or `Connected` (`connect()` was called).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum SocketState {
    /// TCP: waiting for connections.
    #[serde(rename = "listen")]
    Listen,
    /// TCP: a connection request was sent, no answer yet.
    #[serde(rename = "syn-sent")]
    SynSent,
    /// TCP: a connection request was received and answered, waiting for the final ACK.
    #[serde(rename = "syn-recv")]
    SynRecv,
    /// TCP: the connection is open.
    #[serde(rename = "established")]
    Established,
    /// TCP: this side closed, waiting for the peer's ACK or FIN.
    #[serde(rename = "fin-wait-1")]
    FinWait1,
    /// TCP: this side closed and the peer acknowledged, waiting for the peer's FIN.
    #[serde(rename = "fin-wait-2")]
    FinWait2,
    /// TCP: the peer closed; the local application has not closed yet.
    #[serde(rename = "close-wait")]
    CloseWait,
    /// TCP: both sides closed at the same time.
    #[serde(rename = "closing")]
    Closing,
    /// TCP: the peer closed, then this side did; waiting for the last ACK.
    #[serde(rename = "last-ack")]
    LastAck,
    /// TCP: the connection is closed; the kernel keeps it a while to catch stray packets.
    #[serde(rename = "time-wait")]
    TimeWait,
    /// TCP: closed, or bound but neither listening nor connected.
    #[serde(rename = "close")]
    Close,
    /// UDP: bound, not connected to one peer.
    #[serde(rename = "unconnected")]
    Unconnected,
    /// UDP: connected to one peer.
    #[serde(rename = "connected")]
    Connected,
}

impl SocketState {
    /// Every state, in the order used for documentation and parsing.
    pub const ALL: [SocketState; 13] = [
        SocketState::Listen,
        SocketState::SynSent,
        SocketState::SynRecv,
        SocketState::Established,
        SocketState::FinWait1,
        SocketState::FinWait2,
        SocketState::CloseWait,
        SocketState::Closing,
        SocketState::LastAck,
        SocketState::TimeWait,
        SocketState::Close,
        SocketState::Unconnected,
        SocketState::Connected,
    ];

    /// The JSON name (`listen`, `time-wait`, `unconnected`, …).
    pub fn name(self) -> &'static str {
        match self {
            SocketState::Listen => "listen",
            SocketState::SynSent => "syn-sent",
            SocketState::SynRecv => "syn-recv",
            SocketState::Established => "established",
            SocketState::FinWait1 => "fin-wait-1",
            SocketState::FinWait2 => "fin-wait-2",
            SocketState::CloseWait => "close-wait",
            SocketState::Closing => "closing",
            SocketState::LastAck => "last-ack",
            SocketState::TimeWait => "time-wait",
            SocketState::Close => "close",
            SocketState::Unconnected => "unconnected",
            SocketState::Connected => "connected",
        }
    }

    /// The name shown in tables: upper case, as netstat and ss print it.
    pub fn label(self) -> &'static str {
        match self {
            SocketState::Listen => "LISTEN",
            SocketState::SynSent => "SYN-SENT",
            SocketState::SynRecv => "SYN-RECV",
            SocketState::Established => "ESTABLISHED",
            SocketState::FinWait1 => "FIN-WAIT-1",
            SocketState::FinWait2 => "FIN-WAIT-2",
            SocketState::CloseWait => "CLOSE-WAIT",
            SocketState::Closing => "CLOSING",
            SocketState::LastAck => "LAST-ACK",
            SocketState::TimeWait => "TIME-WAIT",
            SocketState::Close => "CLOSE",
            SocketState::Unconnected => "UNCONN",
            SocketState::Connected => "CONNECTED",
        }
    }

    /// Whether this is a "listening" state in the `-l` sense: a TCP listener or an
    /// unconnected UDP socket.
    pub fn is_listening(self) -> bool {
        matches!(self, SocketState::Listen | SocketState::Unconnected)
    }

    /// The protocol this state belongs to.
    pub fn proto(self) -> Proto {
        match self {
            SocketState::Unconnected | SocketState::Connected => Proto::Udp,
            _ => Proto::Tcp,
        }
    }
}

impl fmt::Display for SocketState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One end of a socket: an address and a port, with what is known about the port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoint {
    /// Numeric address. IPv4-mapped IPv6 addresses are stored as IPv4.
    pub addr: IpAddr,
    /// Port number (0 for "any").
    pub port: u16,
    /// IANA class of the port.
    pub class: PortClass,
    /// Whether the port lies in this machine's ephemeral (client) port range.
    pub ephemeral: bool,
    /// Service name for this port and protocol, if one is known.
    pub service: Option<Cow<'static, str>>,
}

/// A process that holds a socket open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Process {
    /// Process ID.
    pub pid: u32,
    /// Short name (`comm` on Linux). Untrusted: chosen by whoever started the process.
    pub name: String,
    /// Command line, one element per argument. Empty for kernel threads or when unreadable.
    /// Untrusted.
    pub cmdline: Vec<String>,
    /// Effective user ID, when known.
    pub uid: Option<u32>,
    /// User name for `uid`, when the system can name it. Untrusted.
    pub user: Option<String>,
}

/// TCP internals the kernel reports for a connection (`tcp_info`), as `ss -i` shows them.
/// Every field is optional: an older kernel sends a shorter `tcp_info`, and other operating
/// systems report less.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TcpInfo {
    /// Smoothed round-trip time, microseconds.
    pub rtt_us: Option<u32>,
    /// Round-trip time variation, microseconds.
    pub rttvar_us: Option<u32>,
    /// Congestion window, in segments.
    pub cwnd: Option<u32>,
    /// Retransmissions of the current segment (timeouts in a row).
    pub retransmits: Option<u32>,
    /// Retransmitted segments over the connection's life.
    pub total_retransmits: Option<u32>,
    /// Bytes sent, retransmissions included.
    pub bytes_sent: Option<u64>,
    /// Bytes the peer acknowledged.
    pub bytes_acked: Option<u64>,
    /// Bytes received.
    pub bytes_received: Option<u64>,
    /// Bytes in the send queue (not yet acknowledged); for a listener, the accept backlog limit.
    pub send_queue: Option<u32>,
    /// Bytes in the receive queue (not yet read); for a listener, connections waiting for accept.
    pub recv_queue: Option<u32>,
    /// Congestion control algorithm ("cubic", "bbr", …). Borrowed for the well-known names, so
    /// 100,000 sockets do not allocate 100,000 copies of "cubic".
    pub congestion: Option<Cow<'static, str>>,
}

/// One TCP or UDP socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Socket {
    /// Protocol.
    pub proto: Proto,
    /// Address family (IPv4-mapped addresses count as IPv4).
    pub family: Family,
    /// Local end.
    pub local: Endpoint,
    /// Remote end; `None` for listeners and unconnected UDP sockets.
    pub remote: Option<Endpoint>,
    /// State.
    pub state: SocketState,
    /// Kernel inode of the socket (0 when no file refers to it, e.g. TIME-WAIT), when the OS has one.
    pub inode: Option<u64>,
    /// User ID the kernel records as the socket's owner, when the OS tells.
    pub uid: Option<u32>,
    /// PIDs of the processes holding the socket: `None` when unknown, `Some(vec![])` when none.
    pub owners: Option<Vec<u32>>,
    /// TCP internals, when asked for (`--info`) and the socket is TCP; `None` otherwise.
    pub tcp: Option<TcpInfo>,
}

/// Something the snapshot could not see or had to work around. Shown once, never hidden.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Warning {
    /// Some processes' file descriptors could not be read, so their sockets' owners are unknown.
    OwnersHidden {
        /// How many processes could not be inspected.
        processes: usize,
        /// How many listed sockets have unknown owners because of it.
        sockets: usize,
        /// What would grant access on this OS.
        hint: &'static str,
    },
    /// Sockets that some file refers to, but that no process visible here holds.
    OwnersUnseen {
        /// How many listed sockets it concerns.
        sockets: usize,
    },
    /// The fast socket source was unavailable and a slower fallback was used.
    Fallback {
        /// What failed.
        reason: String,
    },
    /// Anything else worth telling the user.
    Other(String),
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::OwnersHidden {
                processes,
                sockets,
                hint,
            } => write!(
                f,
                "owners of {sockets} socket(s) are hidden: {processes} process(es) belonging to \
                 other users could not be inspected (permission denied); {hint}"
            ),
            Warning::OwnersUnseen { sockets } => write!(
                f,
                "owners of {sockets} socket(s) are unknown: no process visible here holds them \
                 (they belong to a process in another PID namespace, such as a container, to the \
                 kernel, or to a process that opened them during the scan)"
            ),
            Warning::Fallback { reason } => write!(f, "{reason}"),
            Warning::Other(text) => f.write_str(text),
        }
    }
}

/// Everything one collection pass saw.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// When the snapshot was taken.
    pub taken_at: SystemTime,
    /// This machine's host name.
    pub host: String,
    /// The sockets, sorted by protocol, family, local port, local address, remote.
    pub sockets: Vec<Socket>,
    /// Details of every process that owns a listed socket, by PID.
    pub processes: BTreeMap<u32, Process>,
    /// What could not be seen, once each.
    pub warnings: Vec<Warning>,
}

impl Snapshot {
    /// Sorts the sockets into the canonical display order. The keys are computed once and
    /// sorted with indices, so 100,000 sockets are moved once rather than at every comparison.
    pub fn sort(&mut self) {
        self.sockets.sort_by_cached_key(|s| {
            (
                s.proto,
                s.family,
                s.local.port,
                s.local.addr,
                s.state,
                s.remote.as_ref().map(|r| (r.addr, r.port)),
                s.inode,
            )
        });
    }
}
