//! Which sockets to show: one implementation for the listing, JSON, `who`, `kill` and the
//! dashboard.
//!
//! All conditions combine with AND; the values of one condition combine with OR. A
//! [`Filter`] answers [`Filter::matches`] for a finished socket and exposes the parts a kernel
//! can apply itself (protocols, families, states, ports) so backends can push them into their
//! request instead of copying and discarding sockets. The value parsers here are what the
//! command line uses, so a bad value is reported with the value named.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::str::FromStr;

use crate::model::{Family, Process, Proto, Socket, SocketState};
use crate::ports::PortClass;

/// A set of [`SocketState`]s as a bitmask.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateSet(u16);

impl StateSet {
    /// No state.
    pub const EMPTY: StateSet = StateSet(0);
    /// Every state.
    pub const ALL: StateSet = StateSet((1 << SocketState::ALL.len()) - 1);

    fn bit(state: SocketState) -> u16 {
        // `ALL` lists every variant once, so the position is a stable bit index below 16.
        let index = SocketState::ALL
            .iter()
            .position(|s| *s == state)
            .unwrap_or(0);
        1 << index
    }

    /// A set of the given states.
    pub fn of(states: &[SocketState]) -> StateSet {
        states.iter().fold(StateSet::EMPTY, |set, s| set.with(*s))
    }

    /// This set plus `state`.
    pub fn with(self, state: SocketState) -> StateSet {
        StateSet(self.0 | Self::bit(state))
    }

    /// Whether `state` is in the set.
    pub fn contains(self, state: SocketState) -> bool {
        self.0 & Self::bit(state) != 0
    }

    /// Whether any state of `proto` is in the set.
    pub fn any_of(self, proto: Proto) -> bool {
        SocketState::ALL
            .iter()
            .any(|s| s.proto() == proto && self.contains(*s))
    }

    /// The intersection of two sets.
    pub fn and(self, other: StateSet) -> StateSet {
        StateSet(self.0 & other.0)
    }

    /// The union of two sets.
    pub fn or(self, other: StateSet) -> StateSet {
        StateSet(self.0 | other.0)
    }

    /// The states a `--state` name stands for: a state's JSON name, or a group.
    pub fn parse_name(name: &str) -> Option<StateSet> {
        use SocketState::*;
        let lower = name.to_ascii_lowercase().replace('_', "-");
        let set = match lower.as_str() {
            "all" => StateSet::ALL,
            "listening" => StateSet::of(&[Listen, Unconnected]),
            // ss's groups: every synchronized TCP state, and the kernel's mini-socket buckets.
            "synchronized" => StateSet::of(&[
                Established,
                FinWait1,
                FinWait2,
                CloseWait,
                Closing,
                LastAck,
                TimeWait,
            ]),
            "bucket" => StateSet::of(&[SynRecv, TimeWait]),
            // ss's and netstat's spellings of single states.
            "estab" => StateSet::of(&[Established]),
            "unconn" => StateSet::of(&[Unconnected]),
            "fin-wait1" => StateSet::of(&[FinWait1]),
            "fin-wait2" => StateSet::of(&[FinWait2]),
            "closed" => StateSet::of(&[Close]),
            _ => StateSet::of(&[*SocketState::ALL.iter().find(|s| s.name() == lower)?]),
        };
        Some(set)
    }
}

/// The words `--state` accepts, for help texts and errors.
pub const STATE_WORDS: &str = "listen, syn-sent, syn-recv, established, fin-wait-1, fin-wait-2, \
     close-wait, closing, last-ack, time-wait, close, unconnected, connected, and the groups \
     listening, synchronized, bucket, all";

/// An inclusive port range; a single port is a range of one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortRange {
    /// First port.
    pub first: u16,
    /// Last port.
    pub last: u16,
}

impl PortRange {
    /// Whether `port` is in the range.
    pub fn contains(self, port: u16) -> bool {
        self.first <= port && port <= self.last
    }
}

fn parse_port(text: &str) -> Result<u16, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("a port number is missing".to_owned());
    }
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("'{text}' is not a port number"));
    }
    text.parse::<u16>()
        .map_err(|_| format!("port {text} is out of range (0-65535)"))
}

impl FromStr for PortRange {
    type Err = String;

    /// Parses `N`, `:N` or `N-M`.
    fn from_str(text: &str) -> Result<PortRange, String> {
        let text = text.strip_prefix(':').unwrap_or(text);
        let (first, last) = match text.split_once('-') {
            Some((a, b)) => (parse_port(a)?, parse_port(b)?),
            None => {
                let p = parse_port(text)?;
                (p, p)
            }
        };
        if first > last {
            return Err(format!(
                "range {first}-{last} is empty (the first port is larger)"
            ));
        }
        Ok(PortRange { first, last })
    }
}

/// Parses a `--state` value.
pub fn parse_state(text: &str) -> Result<StateSet, String> {
    StateSet::parse_name(text.trim())
        .ok_or_else(|| format!("unknown state '{text}' (known: {STATE_WORDS})"))
}

/// Parses a `--class` value.
pub fn parse_class(text: &str) -> Result<PortClass, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "well-known" | "wellknown" | "system" => Ok(PortClass::WellKnown),
        "registered" | "user" => Ok(PortClass::Registered),
        "dynamic" | "private" | "ephemeral" => Ok(PortClass::Dynamic),
        _ => Err(format!(
            "unknown port class '{text}' (known: well-known, registered, dynamic)"
        )),
    }
}

/// Parses an `--addr` value: an IPv4 or IPv6 address, IPv6 optionally bracketed.
pub fn parse_addr(text: &str) -> Result<IpAddr, String> {
    let inner = text
        .trim()
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .unwrap_or(text.trim());
    inner
        .parse::<IpAddr>()
        .map(|a| match a {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(a, IpAddr::V4),
            v4 => v4,
        })
        .map_err(|_| format!("'{text}' is not an IP address"))
}

/// Parses a `--pid` value.
pub fn parse_pid(text: &str) -> Result<u32, String> {
    let t = text.trim();
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("'{text}' is not a process ID"));
    }
    t.parse::<u32>()
        .map_err(|_| format!("process ID {text} is out of range"))
}

/// A `--user` value: a UID, or a name the backend resolved to one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserSpec {
    /// A numeric UID.
    Uid(u32),
    /// A user name, compared with the owners' user names.
    Name(String),
}

impl UserSpec {
    /// Parses a `--user` value: all digits is a UID, anything else a name.
    pub fn parse(text: &str) -> Result<UserSpec, String> {
        let t = text.trim();
        if t.is_empty() {
            return Err("a user name or UID is missing".to_owned());
        }
        if t.bytes().all(|b| b.is_ascii_digit()) {
            return t
                .parse()
                .map(UserSpec::Uid)
                .map_err(|_| format!("UID {t} is out of range"));
        }
        Ok(UserSpec::Name(t.to_owned()))
    }
}

/// What to show. The default shows everything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    /// Show TCP sockets.
    pub tcp: bool,
    /// Show UDP sockets.
    pub udp: bool,
    /// Show IPv4 sockets (IPv4-mapped IPv6 addresses count as IPv4).
    pub ipv4: bool,
    /// Show IPv6 sockets.
    pub ipv6: bool,
    /// Show sockets in these states.
    pub states: StateSet,
    /// Local or remote port in one of these ranges.
    pub ports: Vec<PortRange>,
    /// Local port in one of these ranges.
    pub sports: Vec<PortRange>,
    /// Remote port in one of these ranges.
    pub dports: Vec<PortRange>,
    /// Local or remote address is one of these.
    pub addrs: Vec<IpAddr>,
    /// Local address is one of these, or the unspecified address of a family that accepts it
    /// (`who 127.0.0.1:8080` also finds a listener on `0.0.0.0:8080` or `[::]:8080`).
    pub local_addrs: Vec<IpAddr>,
    /// Local port in one of these classes.
    pub classes: Vec<PortClass>,
    /// Owned by one of these PIDs.
    pub pids: Vec<u32>,
    /// Owned by a process whose name contains one of these (lower-case) texts.
    pub processes: Vec<String>,
    /// Owned by (or, owners unknown, recorded by the kernel for) one of these users.
    pub users: Vec<UserSpec>,
}

impl Default for Filter {
    fn default() -> Self {
        Filter {
            tcp: true,
            udp: true,
            ipv4: true,
            ipv6: true,
            states: StateSet::ALL,
            ports: Vec::new(),
            sports: Vec::new(),
            dports: Vec::new(),
            addrs: Vec::new(),
            local_addrs: Vec::new(),
            classes: Vec::new(),
            pids: Vec::new(),
            processes: Vec::new(),
            users: Vec::new(),
        }
    }
}

fn any_or_empty<T>(values: &[T], pred: impl Fn(&T) -> bool) -> bool {
    values.is_empty() || values.iter().any(pred)
}

impl Filter {
    /// Whether `proto` can match at all (protocol selected and some of its states wanted).
    pub fn wants_proto(&self, proto: Proto) -> bool {
        let selected = match proto {
            Proto::Tcp => self.tcp,
            Proto::Udp => self.udp,
        };
        selected && self.states.any_of(proto)
    }

    /// Whether `family` can match.
    pub fn wants_family(&self, family: Family) -> bool {
        match family {
            Family::Ipv4 => self.ipv4,
            Family::Ipv6 => self.ipv6,
        }
    }

    /// Whether any condition depends on the owners (so owners must be looked up to filter).
    pub fn needs_owners(&self) -> bool {
        !self.pids.is_empty() || !self.processes.is_empty() || !self.users.is_empty()
    }

    /// The conditions that depend on the socket alone (what the kernel knows).
    pub fn matches_socket(&self, s: &Socket) -> bool {
        let remote_port = s.remote.as_ref().map(|r| r.port);
        let remote_addr = s.remote.as_ref().map(|r| r.addr);
        self.wants_proto(s.proto)
            && self.wants_family(s.family)
            && self.states.contains(s.state)
            && any_or_empty(&self.ports, |r| {
                r.contains(s.local.port) || remote_port.is_some_and(|p| r.contains(p))
            })
            && any_or_empty(&self.sports, |r| r.contains(s.local.port))
            && any_or_empty(&self.dports, |r| remote_port.is_some_and(|p| r.contains(p)))
            && any_or_empty(&self.addrs, |a| {
                *a == s.local.addr || remote_addr == Some(*a)
            })
            && any_or_empty(&self.local_addrs, |a| {
                *a == s.local.addr
                    || (s.local.addr.is_unspecified() && (s.local.addr.is_ipv6() || a.is_ipv4()))
            })
            && any_or_empty(&self.classes, |c| *c == s.local.class)
    }

    /// Whether the owner `pid` satisfies the owner conditions (PID, process name, user).
    /// Used to choose which owners of a matching socket a row or a signal is about.
    pub fn matches_owner(&self, pid: u32, processes: &BTreeMap<u32, Process>) -> bool {
        let p = processes.get(&pid);
        any_or_empty(&self.pids, |want| *want == pid)
            && any_or_empty(&self.processes, |needle| {
                p.is_some_and(|p| p.name.to_lowercase().contains(needle.as_str()))
            })
            && any_or_empty(&self.users, |u| match u {
                UserSpec::Uid(uid) => p.and_then(|p| p.uid) == Some(*uid),
                UserSpec::Name(name) => p.and_then(|p| p.user.as_deref()) == Some(name.as_str()),
            })
    }

    /// Whether a finished socket passes every condition. A socket passes the owner conditions
    /// when one of its owners does; when its owners are unknown, only a user condition can be
    /// checked, against the UID the kernel recorded for the socket.
    pub fn matches(&self, s: &Socket, processes: &BTreeMap<u32, Process>) -> bool {
        if !self.matches_socket(s) {
            return false;
        }
        if !self.needs_owners() {
            return true;
        }
        match &s.owners {
            Some(pids) => pids.iter().any(|&pid| self.matches_owner(pid, processes)),
            None => {
                self.pids.is_empty()
                    && self.processes.is_empty()
                    && self.users.iter().any(|u| match u {
                        UserSpec::Uid(uid) => s.uid == Some(*uid),
                        UserSpec::Name(_) => false,
                    })
            }
        }
    }
}

#[cfg(test)]
mod tests;
