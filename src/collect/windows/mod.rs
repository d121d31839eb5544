//! The Windows backend: sockets with their owning PIDs from iphlpapi's `GetExtendedTcpTable`
//! (`TCP_TABLE_OWNER_PID_ALL`) and `GetExtendedUdpTable` (`UDP_TABLE_OWNER_PID`), for IPv4 and
//! IPv6 — the tables `netstat -ano` prints — and process details from `sysinfo`.
//!
//! The tables are decoded from bytes ([`table`]) and interpreted here; both are pure and compiled
//! on every OS, so their tests run everywhere. Only the calls that fill the buffers are
//! Windows-only. Windows tells every user the owning PID of every socket, so owners are never
//! hidden here; what an unprivileged user may miss is the user and command line of other users'
//! and elevated processes, and a warning says so.

pub mod table;

use self::table::{TableRow, tcp_state};
use super::EndpointMaker;
use crate::model::{Socket, SocketState};
use crate::ports::EphemeralRange;

/// What an unprivileged user needs to see every owner's details.
pub const PERMISSION_HINT: &str =
    "run as Administrator to see the details of other users' and elevated processes";

/// Overrides the ephemeral range (`FIRST-LAST`): Windows has no documented call that reports a
/// dynamic range changed with `netsh int ipv4 set dynamicport`.
pub const EPHEMERAL_RANGE_ENV: &str = "SOCKSCOPE_EPHEMERAL_RANGE";

/// Interprets a row: the state, endpoints with IPv4-mapped addresses folded, and the owner when
/// `owners` is asked for (PID 0 is "no process", as for TIME-WAIT). `None` for an unknown state.
/// A UDP row is always unconnected: the table does not record a peer.
pub fn to_socket(row: &TableRow, maker: &EndpointMaker, owners: bool) -> Option<Socket> {
    let state = match row.state {
        Some(n) => tcp_state(n)?,
        None => SocketState::Unconnected,
    };
    let (laddr, family) = EndpointMaker::normalise(row.local.0);
    let remote = row.remote.and_then(|(addr, port)| {
        let (addr, _) = EndpointMaker::normalise(addr);
        let none = state.is_listening() || (addr.is_unspecified() && port == 0);
        (!none).then(|| maker.endpoint(row.proto, addr, port))
    });
    Some(Socket {
        proto: row.proto,
        family,
        local: maker.endpoint(row.proto, laddr, row.local.1),
        remote,
        state,
        inode: None,
        uid: None,
        owners: owners.then(|| if row.pid == 0 { vec![] } else { vec![row.pid] }),
        tcp: None,
    })
}

/// The ephemeral range: `SOCKSCOPE_EPHEMERAL_RANGE` (`49152-65535`) when set and valid, else
/// Windows' default dynamic range, the IANA one.
pub fn ephemeral_range(configured: Option<&str>) -> EphemeralRange {
    configured
        .and_then(|text| EphemeralRange::parse(&text.replace('-', " ")))
        .unwrap_or(EphemeralRange::IANA)
}

#[cfg(windows)]
mod os;

#[cfg(windows)]
pub use self::os::{alive, snapshot};

#[cfg(test)]
mod tests {
    use super::table::fixture::*;
    use super::table::{TableKind, parse_table};
    use super::*;
    use crate::model::Proto;
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

    fn maker() -> EndpointMaker {
        EndpointMaker::new(EphemeralRange::IANA)
    }

    #[test]
    fn ipv4_tcp_rows() {
        let buf = table(&[
            tcp4_row(2, [127, 0, 0, 1], 8080, [0, 0, 0, 0], 0, 4242),
            tcp4_row(5, [10, 0, 0, 2], 50123, [93, 184, 216, 34], 443, 77),
            tcp4_row(11, [127, 0, 0, 1], 8080, [127, 0, 0, 1], 50000, 0),
        ]);
        let rows = parse_table(TableKind::Tcp4, &buf).unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].local, (IpAddr::V4(Ipv4Addr::LOCALHOST), 8080));
        assert_eq!(
            rows[1].remote,
            Some(("93.184.216.34".parse().unwrap(), 443))
        );
        assert_eq!(rows[1].pid, 77);

        let m = maker();
        let listen = to_socket(&rows[0], &m, true).unwrap();
        assert_eq!(listen.state, SocketState::Listen);
        assert_eq!(listen.remote, None);
        assert_eq!(listen.owners, Some(vec![4242]));
        assert_eq!(listen.local.service.as_deref(), Some("http-alt"));
        let est = to_socket(&rows[1], &m, true).unwrap();
        assert_eq!(est.state, SocketState::Established);
        assert!(est.local.ephemeral);
        assert_eq!(est.remote.as_ref().map(|r| r.port), Some(443));
        // TIME-WAIT: PID 0, nothing owns it; which is not "unknown".
        let tw = to_socket(&rows[2], &m, true).unwrap();
        assert_eq!(tw.state, SocketState::TimeWait);
        assert_eq!(tw.owners, Some(vec![]));
        // Without the owner lookup, owners are unknown.
        assert_eq!(to_socket(&rows[0], &m, false).unwrap().owners, None);
    }

    #[test]
    fn ipv6_rows_and_mapped_addresses() {
        let mapped: Ipv6Addr = "::ffff:127.0.0.1".parse().unwrap();
        let buf = table(&[
            tcp6_row(Ipv6Addr::UNSPECIFIED, 445, Ipv6Addr::UNSPECIFIED, 0, 2, 4),
            tcp6_row(mapped, 8080, mapped, 50001, 5, 99),
        ]);
        let rows = parse_table(TableKind::Tcp6, &buf).unwrap();
        let m = maker();
        let any = to_socket(&rows[0], &m, true).unwrap();
        assert_eq!(any.family, crate::model::Family::Ipv6);
        assert_eq!(any.local.port, 445);
        let conn = to_socket(&rows[1], &m, true).unwrap();
        assert_eq!(conn.family, crate::model::Family::Ipv4);
        assert_eq!(conn.local.addr, IpAddr::V4(Ipv4Addr::LOCALHOST));
        assert_eq!(conn.remote.as_ref().map(|r| r.port), Some(50001));

        let mut udp6 = Vec::new();
        udp6.extend_from_slice(&Ipv6Addr::LOCALHOST.octets());
        udp6.extend_from_slice(&7u32.to_le_bytes());
        udp6.extend_from_slice(&port_field(5353));
        udp6.extend_from_slice(&321u32.to_le_bytes());
        let rows = parse_table(TableKind::Udp6, &table(&[udp6])).unwrap();
        assert_eq!(rows[0].local, (IpAddr::V6(Ipv6Addr::LOCALHOST), 5353));
        assert_eq!(rows[0].pid, 321);
        let s = to_socket(&rows[0], &m, true).unwrap();
        assert_eq!(s.state, SocketState::Unconnected);
        assert_eq!(s.remote, None);
    }

    #[test]
    fn udp4_rows() {
        let mut r = vec![127, 0, 0, 1];
        r.extend_from_slice(&port_field(53));
        r.extend_from_slice(&1234u32.to_le_bytes());
        let rows = parse_table(TableKind::Udp4, &table(&[r])).unwrap();
        let s = to_socket(&rows[0], &maker(), true).unwrap();
        assert_eq!(s.proto, Proto::Udp);
        assert_eq!(s.local.port, 53);
        assert_eq!(s.local.service.as_deref(), Some("domain"));
        assert_eq!(s.owners, Some(vec![1234]));
    }

    #[test]
    fn unknown_states_are_left_out() {
        let rows = parse_table(
            TableKind::Tcp4,
            &table(&[tcp4_row(99, [0; 4], 1, [0; 4], 0, 1)]),
        )
        .unwrap();
        assert!(to_socket(&rows[0], &maker(), true).is_none());
    }

    #[test]
    fn ephemeral_range_default_and_override() {
        assert_eq!(ephemeral_range(None), EphemeralRange::IANA);
        assert_eq!(
            ephemeral_range(Some("10000-20000")),
            EphemeralRange {
                first: 10000,
                last: 20000
            }
        );
        assert_eq!(ephemeral_range(Some("bogus")), EphemeralRange::IANA);
    }
}
