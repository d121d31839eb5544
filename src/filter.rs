//! Which sockets to show: one implementation for the listing, JSON and every later command.
//!
//! A [`Filter`] answers [`Filter::matches`] for a finished socket, and exposes the parts a kernel
//! can apply itself (protocols, families, states) so backends can push them into their request
//! instead of copying and discarding sockets.

use crate::model::{Family, Proto, Socket, SocketState};

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
}

impl Default for Filter {
    fn default() -> Self {
        Filter {
            tcp: true,
            udp: true,
            ipv4: true,
            ipv6: true,
            states: StateSet::ALL,
        }
    }
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

    /// Whether a finished socket passes every condition.
    pub fn matches(&self, socket: &Socket) -> bool {
        self.wants_proto(socket.proto)
            && self.wants_family(socket.family)
            && self.states.contains(socket.state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_sets() {
        let listening = StateSet::of(&[SocketState::Listen, SocketState::Unconnected]);
        assert!(listening.contains(SocketState::Listen));
        assert!(!listening.contains(SocketState::Established));
        assert!(listening.any_of(Proto::Udp));
        assert!(StateSet::of(&[SocketState::TimeWait]).any_of(Proto::Tcp));
        assert!(!StateSet::of(&[SocketState::TimeWait]).any_of(Proto::Udp));
        for s in SocketState::ALL {
            assert!(StateSet::ALL.contains(s));
            assert!(!StateSet::EMPTY.contains(s));
        }
    }

    #[test]
    fn proto_needs_a_wanted_state() {
        let f = Filter {
            states: StateSet::of(&[SocketState::Listen]),
            ..Filter::default()
        };
        assert!(f.wants_proto(Proto::Tcp));
        assert!(!f.wants_proto(Proto::Udp));
    }
}
