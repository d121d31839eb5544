//! Fixed snapshots for the dashboard's tests: a few sockets, owners and byte counters.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::time::{Duration, UNIX_EPOCH};

use crate::model::{Endpoint, Family, Process, Proto, Snapshot, Socket, SocketState, TcpInfo};
use crate::ports::PortClass;

pub fn endpoint(addr: &str, port: u16) -> Endpoint {
    Endpoint {
        addr: addr.parse().unwrap(),
        port,
        class: PortClass::of(port),
        ephemeral: false,
        service: Some(Cow::Borrowed("svc")).filter(|_| port == 80),
    }
}

/// A TCP socket from 10.0.0.1:`local` (to 10.0.0.2:`remote` if given), owned by `pid`.
pub fn tcp(local: u16, remote: Option<u16>, state: SocketState, pid: u32, acked: u64) -> Socket {
    Socket {
        proto: Proto::Tcp,
        family: Family::Ipv4,
        local: endpoint("10.0.0.1", local),
        remote: remote.map(|p| endpoint("10.0.0.2", p)),
        state,
        inode: Some(u64::from(local)),
        uid: Some(0),
        owners: Some(vec![pid]),
        tcp: Some(TcpInfo {
            bytes_acked: Some(acked),
            bytes_received: Some(acked / 2),
            ..TcpInfo::default()
        }),
    }
}

pub fn udp(local: u16, pid: u32) -> Socket {
    Socket {
        proto: Proto::Udp,
        family: Family::Ipv6,
        local: endpoint("::1", local),
        remote: None,
        state: SocketState::Unconnected,
        inode: Some(u64::from(local) + 100_000),
        uid: Some(0),
        owners: Some(vec![pid]),
        tcp: None,
    }
}

pub fn snap(at_secs: u64, sockets: Vec<Socket>) -> Snapshot {
    let mut processes = BTreeMap::new();
    for (pid, name, user) in [
        (1, "init", "root"),
        (100, "nginx", "www-data"),
        (200, "postgres", "postgres"),
        (300, "curl", "alice"),
    ] {
        processes.insert(
            pid,
            Process {
                pid,
                name: name.into(),
                cmdline: vec![name.into(), "--flag".into()],
                uid: Some(pid),
                user: Some(user.into()),
            },
        );
    }
    Snapshot {
        taken_at: UNIX_EPOCH + Duration::from_secs(at_secs),
        host: "test".into(),
        sockets,
        processes,
        warnings: vec![],
    }
}

pub fn base() -> Vec<Socket> {
    vec![
        tcp(80, None, SocketState::Listen, 100, 0),
        tcp(80, Some(50000), SocketState::Established, 100, 1000),
        tcp(5432, None, SocketState::Listen, 200, 0),
        tcp(40000, Some(443), SocketState::Established, 300, 5000),
        udp(53, 1),
    ]
}
