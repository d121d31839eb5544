//! The macOS backend: sockets from the `net.inet.tcp.pcblist_n` and `net.inet.udp.pcblist_n`
//! sysctls (what macOS's own `netstat` reads; they include sockets no process holds, such as
//! TIME-WAIT), owners from libproc (`proc_listpids`, `proc_pidinfo(PROC_PIDLISTFDS)`,
//! `proc_pidfdinfo(PROC_PIDFDSOCKETINFO)`), process details from `sysinfo`.
//!
//! The kernel's records are parsed as bytes at explicit offsets ([`pcblist`], [`fdinfo`]); those
//! parsers and the interpretation here are pure and compiled on every OS, so their tests run
//! everywhere. Only the calls that fetch the bytes are macOS-only.
//!
//! libproc lets a user list the file descriptors of their own processes only; for other users'
//! processes it answers `EPERM` unless run as root, and then those owners are unknown (`None`),
//! with a warning.

pub mod fdinfo;
#[cfg(test)]
pub(crate) mod fixture;
pub mod pcblist;

use std::collections::HashMap;

use self::fdinfo::OwnerKey;
use self::pcblist::PcbRecord;
use super::EndpointMaker;
use crate::model::{Proto, Socket, SocketState};

/// What an unprivileged user needs to see every owner.
pub const PERMISSION_HINT: &str = "run with sudo to see every owner";

/// Maps a `TCPS_*` number (`netinet/tcp_fsm.h`) to the model's state; `None` for a number this
/// version does not know.
pub fn tcp_state(state: i32) -> Option<SocketState> {
    Some(match state {
        0 => SocketState::Close,
        1 => SocketState::Listen,
        2 => SocketState::SynSent,
        3 => SocketState::SynRecv,
        4 => SocketState::Established,
        5 => SocketState::CloseWait,
        6 => SocketState::FinWait1,
        7 => SocketState::Closing,
        8 => SocketState::LastAck,
        9 => SocketState::FinWait2,
        10 => SocketState::TimeWait,
        _ => return None,
    })
}

/// Interprets a record of the dump of `proto`. `None` for an unknown TCP state. A UDP socket
/// is connected when it has a remote port.
pub fn to_socket(proto: Proto, r: &PcbRecord, maker: &EndpointMaker) -> Option<Socket> {
    let state = match (proto, r.tcp_state) {
        (Proto::Tcp, Some(n)) => tcp_state(n)?,
        (Proto::Tcp, None) => return None,
        (Proto::Udp, _) if r.remote.1 != 0 => SocketState::Connected,
        (Proto::Udp, _) => SocketState::Unconnected,
    };
    let (laddr, family) = EndpointMaker::normalise(r.local.0);
    let (raddr, _) = EndpointMaker::normalise(r.remote.0);
    let remote = if state.is_listening() || (raddr.is_unspecified() && r.remote.1 == 0) {
        None
    } else {
        Some(maker.endpoint(proto, raddr, r.remote.1))
    };
    Some(Socket {
        proto,
        family,
        local: maker.endpoint(proto, laddr, r.local.1),
        remote,
        state,
        inode: None,
        uid: Some(r.uid),
        owners: None,
        tcp: None,
    })
}

/// The processes holding each socket, as far as libproc would tell.
#[derive(Debug, Default)]
pub struct OwnerMap {
    by_key: HashMap<OwnerKey, Vec<u32>>,
    /// Processes whose file descriptors could not be listed (`EPERM`).
    pub denied: usize,
}

impl OwnerMap {
    /// Records that `pid` holds the socket `key`.
    pub fn insert(&mut self, key: OwnerKey, pid: u32) {
        let pids = self.by_key.entry(key).or_default();
        if !pids.contains(&pid) {
            pids.push(pid);
        }
    }

    /// The owners of the socket `key` in `state`: `Some` with the PIDs found, `Some(vec![])`
    /// when nothing holds it and every process could be inspected (or the socket is in
    /// TIME-WAIT, which no process can hold), `None` when a process that could not be
    /// inspected may hold it.
    pub fn owners(&self, key: &OwnerKey, state: SocketState) -> Option<Vec<u32>> {
        let mut pids = self.by_key.get(key).cloned().unwrap_or_default();
        pids.sort_unstable();
        if !pids.is_empty() || state == SocketState::TimeWait || self.denied == 0 {
            Some(pids)
        } else {
            None
        }
    }
}

#[cfg(target_os = "macos")]
mod os;

#[cfg(target_os = "macos")]
pub use self::os::{alive, snapshot};

#[cfg(test)]
mod tests {
    use super::pcblist::{INP_IPV4, INP_IPV6};
    use super::*;
    use crate::ports::EphemeralRange;
    use std::net::IpAddr;

    fn record(
        vflag: u8,
        local: (&str, u16),
        remote: (&str, u16),
        tcp_state: Option<i32>,
    ) -> PcbRecord {
        PcbRecord {
            inpcb: 1,
            gencnt: 9,
            vflag,
            local: (local.0.parse().unwrap(), local.1),
            remote: (remote.0.parse().unwrap(), remote.1),
            socket: 2,
            protocol: if tcp_state.is_some() { 6 } else { 17 },
            family: 2,
            uid: 501,
            tcp_state,
        }
    }

    #[test]
    fn every_tcp_state_maps() {
        use SocketState::*;
        let expected = [
            Close,
            Listen,
            SynSent,
            SynRecv,
            Established,
            CloseWait,
            FinWait1,
            Closing,
            LastAck,
            FinWait2,
            TimeWait,
        ];
        for (n, s) in expected.into_iter().enumerate() {
            assert_eq!(tcp_state(n as i32), Some(s));
        }
        assert_eq!(tcp_state(11), None);
        assert_eq!(tcp_state(-1), None);
    }

    #[test]
    fn records_become_sockets() {
        let m = EndpointMaker::new(EphemeralRange::IANA);
        let listen = record(INP_IPV4, ("127.0.0.1", 3000), ("0.0.0.0", 0), Some(1));
        let s = to_socket(Proto::Tcp, &listen, &m).unwrap();
        assert_eq!(s.state, SocketState::Listen);
        assert_eq!(s.remote, None);
        assert_eq!(s.uid, Some(501));
        assert_eq!(s.owners, None);
        let est = record(
            INP_IPV6,
            ("::ffff:127.0.0.1", 50000),
            ("::ffff:127.0.0.1", 3000),
            Some(4),
        );
        let s = to_socket(Proto::Tcp, &est, &m).unwrap();
        assert_eq!(s.family, crate::model::Family::Ipv4);
        assert_eq!(s.local.addr, "127.0.0.1".parse::<IpAddr>().unwrap());
        assert!(s.local.ephemeral);
        assert_eq!(s.remote.as_ref().map(|r| r.port), Some(3000));
        let udp = record(INP_IPV4, ("0.0.0.0", 5353), ("0.0.0.0", 0), None);
        assert_eq!(
            to_socket(Proto::Udp, &udp, &m).unwrap().state,
            SocketState::Unconnected
        );
        let udp = record(INP_IPV4, ("10.0.0.2", 5000), ("10.0.0.1", 53), None);
        let s = to_socket(Proto::Udp, &udp, &m).unwrap();
        assert_eq!(s.state, SocketState::Connected);
        assert_eq!(
            s.remote.as_ref().and_then(|r| r.service.as_deref()),
            Some("domain")
        );
        // An unknown TCP state, or a TCP record without its tcpcb, is left out.
        assert!(
            to_socket(
                Proto::Tcp,
                &record(INP_IPV4, ("0.0.0.0", 1), ("0.0.0.0", 0), Some(42)),
                &m
            )
            .is_none()
        );
        assert!(to_socket(Proto::Tcp, &udp, &m).is_none());
    }

    #[test]
    fn owners_keep_unknown_apart_from_none() {
        let key = OwnerKey {
            proto: Proto::Tcp,
            gencnt: 1,
            lport: 80,
            fport: 0,
        };
        let other = OwnerKey { gencnt: 2, ..key };
        let mut map = OwnerMap::default();
        map.insert(key, 20);
        map.insert(key, 10);
        map.insert(key, 20);
        assert_eq!(map.owners(&key, SocketState::Listen), Some(vec![10, 20]));
        // Everything inspected, nothing holds it.
        assert_eq!(map.owners(&other, SocketState::Established), Some(vec![]));
        map.denied = 3;
        // Someone we could not inspect may hold it.
        assert_eq!(map.owners(&other, SocketState::Established), None);
        // TIME-WAIT is held by no process, whoever we could not inspect.
        assert_eq!(map.owners(&other, SocketState::TimeWait), Some(vec![]));
        assert_eq!(map.owners(&key, SocketState::Listen), Some(vec![10, 20]));
    }
}
