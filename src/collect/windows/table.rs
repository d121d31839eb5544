//! The iphlpapi socket tables as bytes: one `DWORD` row count, then packed rows. Decoded at
//! explicit offsets rather than by casting the buffer, so this is plain safe code, tested on
//! every OS (and under Wine).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::model::{Proto, SocketState};

/// One of the four iphlpapi tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableKind {
    /// `MIB_TCPTABLE_OWNER_PID`.
    Tcp4,
    /// `MIB_TCP6TABLE_OWNER_PID`.
    Tcp6,
    /// `MIB_UDPTABLE_OWNER_PID`.
    Udp4,
    /// `MIB_UDP6TABLE_OWNER_PID`.
    Udp6,
}

impl TableKind {
    /// Every table, in the order they are read.
    pub const ALL: [TableKind; 4] = [
        TableKind::Tcp4,
        TableKind::Tcp6,
        TableKind::Udp4,
        TableKind::Udp6,
    ];

    /// The protocol of the table.
    pub fn proto(self) -> Proto {
        match self {
            TableKind::Tcp4 | TableKind::Tcp6 => Proto::Tcp,
            TableKind::Udp4 | TableKind::Udp6 => Proto::Udp,
        }
    }

    /// Whether the table holds IPv6 rows.
    pub fn is_ipv6(self) -> bool {
        matches!(self, TableKind::Tcp6 | TableKind::Udp6)
    }

    /// The size of one row (every field is a `DWORD` or a byte array, so rows are packed).
    ///
    /// - `MIB_TCPROW_OWNER_PID`: state, local addr, local port, remote addr, remote port, pid.
    /// - `MIB_TCP6ROW_OWNER_PID`: local addr[16], scope, port, remote addr[16], scope, port,
    ///   state, pid.
    /// - `MIB_UDPROW_OWNER_PID`: local addr, local port, pid.
    /// - `MIB_UDP6ROW_OWNER_PID`: local addr[16], scope, port, pid.
    pub fn row_len(self) -> usize {
        match self {
            TableKind::Tcp4 => 24,
            TableKind::Tcp6 => 56,
            TableKind::Udp4 => 12,
            TableKind::Udp6 => 28,
        }
    }
}

/// One row of an iphlpapi table, decoded but not yet interpreted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableRow {
    /// The protocol of the table it came from.
    pub proto: Proto,
    /// Local address (possibly IPv4-mapped) and port.
    pub local: (IpAddr, u16),
    /// Remote address and port; `None` in the UDP tables, which do not record a peer.
    pub remote: Option<(IpAddr, u16)>,
    /// `MIB_TCP_STATE` for TCP rows, `None` for UDP.
    pub state: Option<u32>,
    /// The owning process; 0 when no process owns the socket (TIME-WAIT).
    pub pid: u32,
}

/// A table that does not fit its buffer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind:?} table: {entries} row(s) of {row} bytes do not fit in {len} bytes")]
pub struct TableError {
    /// Which table.
    pub kind: TableKind,
    /// The row count the table claims.
    pub entries: usize,
    /// The row size.
    pub row: usize,
    /// The buffer size.
    pub len: usize,
}

/// A native-endian (little-endian: every Windows target) `DWORD` at `at`. The caller has checked
/// the bounds.
fn dword(row: &[u8], at: usize) -> u32 {
    let mut b = [0u8; 4];
    b.copy_from_slice(&row[at..at + 4]);
    u32::from_le_bytes(b)
}

/// A port from its `DWORD` field: the low 16 bits hold the port in network byte order (the
/// first two bytes in memory, most significant first); the upper bytes may be garbage.
pub fn port_from_dword(field: [u8; 4]) -> u16 {
    u16::from_be_bytes([field[0], field[1]])
}

fn port_at(row: &[u8], at: usize) -> u16 {
    port_from_dword([row[at], row[at + 1], row[at + 2], row[at + 3]])
}

/// An IPv4 address field: network byte order, so the bytes are the dotted quad in order.
fn ipv4_at(row: &[u8], at: usize) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(
        row[at],
        row[at + 1],
        row[at + 2],
        row[at + 3],
    ))
}

fn ipv6_at(row: &[u8], at: usize) -> IpAddr {
    let mut b = [0u8; 16];
    b.copy_from_slice(&row[at..at + 16]);
    IpAddr::V6(Ipv6Addr::from(b))
}

/// Decodes one row of `kind`; `row` is exactly [`TableKind::row_len`] bytes.
fn decode_row(kind: TableKind, row: &[u8]) -> TableRow {
    match kind {
        TableKind::Tcp4 => TableRow {
            proto: Proto::Tcp,
            state: Some(dword(row, 0)),
            local: (ipv4_at(row, 4), port_at(row, 8)),
            remote: Some((ipv4_at(row, 12), port_at(row, 16))),
            pid: dword(row, 20),
        },
        TableKind::Tcp6 => TableRow {
            proto: Proto::Tcp,
            local: (ipv6_at(row, 0), port_at(row, 20)),
            remote: Some((ipv6_at(row, 24), port_at(row, 44))),
            state: Some(dword(row, 48)),
            pid: dword(row, 52),
        },
        TableKind::Udp4 => TableRow {
            proto: Proto::Udp,
            local: (ipv4_at(row, 0), port_at(row, 4)),
            remote: None,
            state: None,
            pid: dword(row, 8),
        },
        TableKind::Udp6 => TableRow {
            proto: Proto::Udp,
            local: (ipv6_at(row, 0), port_at(row, 20)),
            remote: None,
            state: None,
            pid: dword(row, 24),
        },
    }
}

/// Parses a table as iphlpapi writes it: a `DWORD` row count, then the rows. A buffer too short
/// for the rows it claims is an error, never a panic.
pub fn parse_table(kind: TableKind, buf: &[u8]) -> Result<Vec<TableRow>, TableError> {
    let row = kind.row_len();
    let err = |entries| TableError {
        kind,
        entries,
        row,
        len: buf.len(),
    };
    if buf.len() < 4 {
        return Err(err(0));
    }
    let entries = dword(buf, 0) as usize;
    let body = &buf[4..];
    let needed = entries.checked_mul(row).ok_or_else(|| err(entries))?;
    if body.len() < needed {
        return Err(err(entries));
    }
    Ok(body[..needed]
        .chunks_exact(row)
        .map(|r| decode_row(kind, r))
        .collect())
}

/// Maps a `MIB_TCP_STATE` to the model's state; `None` for a number this version does not know.
pub fn tcp_state(state: u32) -> Option<SocketState> {
    Some(match state {
        1 => SocketState::Close, // MIB_TCP_STATE_CLOSED
        2 => SocketState::Listen,
        3 => SocketState::SynSent,
        4 => SocketState::SynRecv,
        5 => SocketState::Established,
        6 => SocketState::FinWait1,
        7 => SocketState::FinWait2,
        8 => SocketState::CloseWait,
        9 => SocketState::Closing,
        10 => SocketState::LastAck,
        11 => SocketState::TimeWait,
        12 => SocketState::Close, // MIB_TCP_STATE_DELETE_TCB: being torn down
        _ => return None,
    })
}

#[cfg(test)]
pub(crate) mod fixture {
    //! Tables as iphlpapi writes them, for tests.

    use super::TableKind;
    use std::net::Ipv6Addr;

    /// A table: the row count, then the rows.
    pub fn table(rows: &[Vec<u8>]) -> Vec<u8> {
        let mut out = (rows.len() as u32).to_le_bytes().to_vec();
        for r in rows {
            out.extend_from_slice(r);
        }
        out
    }

    /// A port field as iphlpapi fills it: network order in the low 16 bits, junk above.
    pub fn port_field(port: u16) -> [u8; 4] {
        let [hi, lo] = port.to_be_bytes();
        [hi, lo, 0xAB, 0xCD]
    }

    pub fn tcp4_row(
        state: u32,
        local: [u8; 4],
        lport: u16,
        remote: [u8; 4],
        rport: u16,
        pid: u32,
    ) -> Vec<u8> {
        let mut r = Vec::new();
        r.extend_from_slice(&state.to_le_bytes());
        r.extend_from_slice(&local);
        r.extend_from_slice(&port_field(lport));
        r.extend_from_slice(&remote);
        r.extend_from_slice(&port_field(rport));
        r.extend_from_slice(&pid.to_le_bytes());
        assert_eq!(r.len(), TableKind::Tcp4.row_len());
        r
    }

    pub fn tcp6_row(
        local: Ipv6Addr,
        lport: u16,
        remote: Ipv6Addr,
        rport: u16,
        state: u32,
        pid: u32,
    ) -> Vec<u8> {
        let mut r = Vec::new();
        r.extend_from_slice(&local.octets());
        r.extend_from_slice(&0u32.to_le_bytes()); // scope
        r.extend_from_slice(&port_field(lport));
        r.extend_from_slice(&remote.octets());
        r.extend_from_slice(&0u32.to_le_bytes());
        r.extend_from_slice(&port_field(rport));
        r.extend_from_slice(&state.to_le_bytes());
        r.extend_from_slice(&pid.to_le_bytes());
        assert_eq!(r.len(), TableKind::Tcp6.row_len());
        r
    }
}

#[cfg(test)]
mod tests {
    use super::fixture::*;
    use super::*;

    #[test]
    fn ports_are_in_network_order_in_the_low_bytes() {
        // 8080 = 0x1F90: 0x1F first in memory; the upper bytes are ignored.
        assert_eq!(port_from_dword([0x1F, 0x90, 0x00, 0x00]), 8080);
        assert_eq!(port_from_dword([0x1F, 0x90, 0xFF, 0xFF]), 8080);
        assert_eq!(port_from_dword([0x00, 0x50, 0x12, 0x34]), 80);
        // Read as a little-endian DWORD, the same bytes are 0x901F, which is not the port.
        assert_ne!(u32::from_le_bytes([0x1F, 0x90, 0, 0]), 8080);
        assert_eq!(port_from_dword(port_field(65535)), 65535);
    }

    #[test]
    fn every_tcp_state_maps() {
        let expected = [
            (1, SocketState::Close),
            (2, SocketState::Listen),
            (3, SocketState::SynSent),
            (4, SocketState::SynRecv),
            (5, SocketState::Established),
            (6, SocketState::FinWait1),
            (7, SocketState::FinWait2),
            (8, SocketState::CloseWait),
            (9, SocketState::Closing),
            (10, SocketState::LastAck),
            (11, SocketState::TimeWait),
            (12, SocketState::Close),
        ];
        for (n, s) in expected {
            assert_eq!(tcp_state(n), Some(s), "MIB_TCP_STATE {n}");
        }
        assert_eq!(tcp_state(0), None);
        assert_eq!(tcp_state(13), None);
    }

    #[test]
    fn short_buffers_are_errors_at_every_length() {
        let buf = table(&[
            tcp4_row(2, [127, 0, 0, 1], 1, [0; 4], 0, 1),
            tcp4_row(5, [127, 0, 0, 1], 2, [127, 0, 0, 1], 3, 2),
        ]);
        assert_eq!(parse_table(TableKind::Tcp4, &buf).unwrap().len(), 2);
        for len in 0..buf.len() {
            assert!(
                parse_table(TableKind::Tcp4, &buf[..len]).is_err(),
                "length {len}"
            );
        }
        // A row count that overflows is an error too, not a panic.
        assert!(parse_table(TableKind::Tcp6, &u32::MAX.to_le_bytes()).is_err());
        // An empty table is fine, and extra bytes after the rows are ignored.
        assert_eq!(
            parse_table(TableKind::Udp6, &[0, 0, 0, 0, 9, 9]).unwrap(),
            vec![]
        );
    }

    #[test]
    fn rows_decode_at_their_offsets() {
        let buf = table(&[
            tcp4_row(2, [127, 0, 0, 1], 8080, [0, 0, 0, 0], 0, 4242),
            tcp4_row(5, [10, 0, 0, 2], 50123, [93, 184, 216, 34], 443, 77),
        ]);
        let rows = parse_table(TableKind::Tcp4, &buf).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].local, (IpAddr::V4(Ipv4Addr::LOCALHOST), 8080));
        assert_eq!(rows[0].state, Some(2));
        assert_eq!(rows[0].pid, 4242);
        assert_eq!(
            rows[1].remote,
            Some(("93.184.216.34".parse().unwrap(), 443))
        );
        assert_eq!(rows[1].pid, 77);
        let buf = table(&[tcp6_row(
            Ipv6Addr::LOCALHOST,
            443,
            Ipv6Addr::UNSPECIFIED,
            0,
            2,
            9,
        )]);
        let rows = parse_table(TableKind::Tcp6, &buf).unwrap();
        assert_eq!(rows[0].local, (IpAddr::V6(Ipv6Addr::LOCALHOST), 443));
        assert_eq!(rows[0].remote, Some((IpAddr::V6(Ipv6Addr::UNSPECIFIED), 0)));
        assert_eq!((rows[0].state, rows[0].pid), (Some(2), 9));
    }
}
