//! A parser for the `struct socket_fdinfo` that libproc's
//! `proc_pidfdinfo(pid, fd, PROC_PIDFDSOCKETINFO, …)` fills: which TCP or UDP socket a
//! process's file descriptor is.
//!
//! Read at explicit offsets from XNU's `sys/proc_info.h` (natural alignment, 64-bit):
//!
//! ```text
//! struct socket_fdinfo {  0 struct proc_fileinfo pfi (24 bytes)
//!                        24 struct socket_info psi }                  (792 bytes in all)
//! struct socket_info {   +0 struct vinfo_stat soi_stat (136 bytes)
//!                      +136 u64 soi_so     +144 u64 soi_pcb
//!                      +152 int soi_type   +156 int soi_protocol   +160 int soi_family
//!                      +164 short soi_options … u_short soi_error   +180 u32 soi_oobmark
//!                      +184 struct sockbuf_info soi_rcv, soi_snd (24 bytes each)
//!                      +232 int soi_kind   +236 u32 rfu_1
//!                      +240 union soi_proto (8-aligned) }
//! struct in_sockinfo {   +0 int insi_fport  +4 int insi_lport     (in_port_t, network order)
//!  (soi_proto for        +8 u64 insi_gencnt
//!   SOCKINFO_IN, and    +16 u32 insi_flags  +20 u32 insi_flow
//!   the start of        +24 u8 insi_vflag   +25 u8 insi_ip_ttl   +28 u32 rfu_1
//!   tcp_sockinfo)       +32 union insi_faddr (16)   +48 union insi_laddr (16)
//!                       +64 insi_v4, insi_v6 }                    (80 bytes)
//! ```
//!
//! The kernel's socket handles (`soi_so`, `soi_pcb`) are obfuscated differently from the ones in
//! the `pcblist_n` dump on recent XNU (`VM_KERNEL_ADDRHASH` here, `VM_KERNEL_ADDRPERM` there), so
//! owners are matched on what both report unchanged: the control block's generation number
//! (`insi_gencnt` = `inp_gencnt`, unique per protocol) and the two ports.

use std::net::IpAddr;

use super::pcblist::{PcbRecord, ip_proto, union_addr};
use crate::model::Proto;

/// `sizeof(struct socket_fdinfo)`: the buffer `proc_pidfdinfo` wants.
pub const SOCKET_FDINFO_SIZE: usize = 792;
/// `PROC_PIDFDSOCKETINFO` (`sys/proc_info.h`).
pub const PROC_PIDFDSOCKETINFO: i32 = 3;
/// `SOCKINFO_IN`: `soi_proto` is an `in_sockinfo`.
pub const SOCKINFO_IN: i32 = 1;
/// `SOCKINFO_TCP`: `soi_proto` is a `tcp_sockinfo`, which starts with an `in_sockinfo`.
pub const SOCKINFO_TCP: i32 = 2;

const PSI: usize = 24;
const SOI_PROTOCOL: usize = PSI + 156;
const SOI_KIND: usize = PSI + 232;
const SOI_PROTO: usize = PSI + 240;
const INSI_FPORT: usize = SOI_PROTO;
const INSI_LPORT: usize = SOI_PROTO + 4;
const INSI_GENCNT: usize = SOI_PROTO + 8;
const INSI_VFLAG: usize = SOI_PROTO + 24;
const INSI_FADDR: usize = SOI_PROTO + 32;
const INSI_LADDR: usize = SOI_PROTO + 48;
const IN_SOCKINFO_END: usize = SOI_PROTO + 80;

/// What identifies one TCP or UDP socket in both the `pcblist_n` dump and libproc.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OwnerKey {
    /// Protocol.
    pub proto: Proto,
    /// `inp_gencnt` / `insi_gencnt`.
    pub gencnt: u64,
    /// Local port.
    pub lport: u16,
    /// Remote port.
    pub fport: u16,
}

impl OwnerKey {
    /// The key of a socket in the dump.
    pub fn of_record(proto: Proto, r: &PcbRecord) -> OwnerKey {
        OwnerKey {
            proto,
            gencnt: r.gencnt,
            lport: r.local.1,
            fport: r.remote.1,
        }
    }
}

/// A process's TCP or UDP socket, as libproc describes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FdSocket {
    /// The key to match it with the dump.
    pub key: OwnerKey,
    /// Local address and port.
    pub local: (IpAddr, u16),
    /// Remote address and port.
    pub remote: (IpAddr, u16),
}

fn i32_at(b: &[u8], at: usize) -> i32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[at..at + 4]);
    i32::from_le_bytes(a)
}

/// A port from an `int` holding an `in_port_t`: network byte order in its first two bytes.
fn port_at(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

/// Parses a `socket_fdinfo`. `None` for anything but an IPv4/IPv6 TCP or UDP socket, or a
/// buffer too short for the fields read.
pub fn parse_socket_fdinfo(buf: &[u8]) -> Option<FdSocket> {
    if buf.len() < IN_SOCKINFO_END {
        return None;
    }
    let kind = i32_at(buf, SOI_KIND);
    if kind != SOCKINFO_IN && kind != SOCKINFO_TCP {
        return None;
    }
    let proto = match i32_at(buf, SOI_PROTOCOL) {
        n if n == ip_proto(Proto::Tcp) => Proto::Tcp,
        n if n == ip_proto(Proto::Udp) => Proto::Udp,
        _ => return None,
    };
    let vflag = buf[INSI_VFLAG];
    let mut gencnt = [0u8; 8];
    gencnt.copy_from_slice(&buf[INSI_GENCNT..INSI_GENCNT + 8]);
    let local = (
        union_addr(vflag, &buf[INSI_LADDR..]),
        port_at(buf, INSI_LPORT),
    );
    let remote = (
        union_addr(vflag, &buf[INSI_FADDR..]),
        port_at(buf, INSI_FPORT),
    );
    Some(FdSocket {
        key: OwnerKey {
            proto,
            gencnt: u64::from_le_bytes(gencnt),
            lport: local.1,
            fport: remote.1,
        },
        local,
        remote,
    })
}

#[cfg(test)]
mod tests {
    use super::super::pcblist::{INP_IPV4, INP_IPV6};
    use super::*;

    /// A `socket_fdinfo` laid out field by field with natural alignment, from the header's
    /// field list rather than the parser's offsets.
    fn fdinfo(
        kind: i32,
        protocol: i32,
        vflag: u8,
        local: (IpAddr, u16),
        remote: (IpAddr, u16),
        gencnt: u64,
    ) -> Vec<u8> {
        fn align(b: &mut Vec<u8>, a: usize) {
            while !b.len().is_multiple_of(a) {
                b.push(0);
            }
        }
        fn put(b: &mut Vec<u8>, a: usize, bytes: &[u8]) {
            align(b, a);
            b.extend_from_slice(bytes);
        }
        let addr = |a: IpAddr| super::super::fixture::addr_union(a);
        let mut b = Vec::new();
        // proc_fileinfo: u32 openflags, u32 status, off_t offset, i32 type, u32 guardflags
        put(&mut b, 4, &1u32.to_le_bytes());
        put(&mut b, 4, &0u32.to_le_bytes());
        put(&mut b, 8, &0i64.to_le_bytes());
        put(&mut b, 4, &2i32.to_le_bytes()); // PROX_FDTYPE_SOCKET
        put(&mut b, 4, &0u32.to_le_bytes());
        assert_eq!(b.len(), 24);
        // vinfo_stat: u32 dev, u16 mode, u16 nlink, u64 ino, u32 uid, u32 gid, 8 × i64 times,
        // off_t size, i64 blocks, i32 blksize, u32 flags, u32 gen, u32 rdev, i64 qspare[2]
        put(&mut b, 4, &[0; 4]);
        put(&mut b, 2, &[0; 2]);
        put(&mut b, 2, &[0; 2]);
        put(&mut b, 8, &[0; 8]);
        put(&mut b, 4, &[0; 8]);
        for _ in 0..10 {
            put(&mut b, 8, &[0; 8]);
        }
        put(&mut b, 4, &[0; 16]);
        put(&mut b, 8, &[0; 16]);
        assert_eq!(b.len(), 24 + 136);
        put(&mut b, 8, &0xAAAAu64.to_le_bytes()); // soi_so
        put(&mut b, 8, &0xBBBBu64.to_le_bytes()); // soi_pcb
        put(&mut b, 4, &1i32.to_le_bytes()); // soi_type
        put(&mut b, 4, &protocol.to_le_bytes());
        let family: i32 = if vflag & INP_IPV6 != 0 { 30 } else { 2 };
        put(&mut b, 4, &family.to_le_bytes());
        for _ in 0..8 {
            put(&mut b, 2, &[0; 2]); // soi_options … soi_error
        }
        put(&mut b, 4, &[0; 4]); // soi_oobmark
        for _ in 0..2 {
            // sockbuf_info: 5 × u32, 2 × short
            put(&mut b, 4, &[0; 20]);
            put(&mut b, 2, &[0; 4]);
        }
        put(&mut b, 4, &kind.to_le_bytes());
        put(&mut b, 4, &[0; 4]); // rfu_1
        align(&mut b, 8);
        assert_eq!(b.len(), SOI_PROTO);
        // in_sockinfo
        let mut fport = [0u8; 4];
        fport[..2].copy_from_slice(&remote.1.to_be_bytes());
        let mut lport = [0u8; 4];
        lport[..2].copy_from_slice(&local.1.to_be_bytes());
        put(&mut b, 4, &fport);
        put(&mut b, 4, &lport);
        put(&mut b, 8, &gencnt.to_le_bytes());
        put(&mut b, 4, &[0; 8]); // insi_flags, insi_flow
        put(&mut b, 1, &[vflag, 64]);
        put(&mut b, 4, &[0; 4]); // rfu_1
        put(&mut b, 4, &addr(remote.0));
        put(&mut b, 4, &addr(local.0));
        b.resize(SOCKET_FDINFO_SIZE, 0);
        b
    }

    fn ip(a: &str) -> IpAddr {
        a.parse().unwrap()
    }

    #[test]
    fn tcp_and_udp_sockets() {
        let buf = fdinfo(
            SOCKINFO_TCP,
            6,
            INP_IPV4,
            (ip("127.0.0.1"), 8080),
            (ip("127.0.0.1"), 50123),
            77,
        );
        let s = parse_socket_fdinfo(&buf).unwrap();
        assert_eq!(
            s.key,
            OwnerKey {
                proto: Proto::Tcp,
                gencnt: 77,
                lport: 8080,
                fport: 50123
            }
        );
        assert_eq!(s.local, (ip("127.0.0.1"), 8080));
        assert_eq!(s.remote, (ip("127.0.0.1"), 50123));

        let buf = fdinfo(
            SOCKINFO_IN,
            17,
            INP_IPV6,
            (ip("::1"), 5353),
            (ip("::"), 0),
            5,
        );
        let s = parse_socket_fdinfo(&buf).unwrap();
        assert_eq!(s.key.proto, Proto::Udp);
        assert_eq!(s.local, (ip("::1"), 5353));
        assert_eq!(s.key.gencnt, 5);
        // Dual-stack wildcard.
        let buf = fdinfo(
            SOCKINFO_TCP,
            6,
            INP_IPV4 | INP_IPV6,
            (ip("::"), 22),
            (ip("::"), 0),
            6,
        );
        assert_eq!(parse_socket_fdinfo(&buf).unwrap().local, (ip("::"), 22));
    }

    #[test]
    fn other_sockets_and_short_buffers_are_none() {
        let any = (ip("127.0.0.1"), 1);
        // A Unix-domain socket (SOCKINFO_UN), a generic one, and a raw IP socket.
        assert_eq!(parse_socket_fdinfo(&fdinfo(3, 0, 0, any, any, 1)), None);
        assert_eq!(
            parse_socket_fdinfo(&fdinfo(0, 6, INP_IPV4, any, any, 1)),
            None
        );
        assert_eq!(
            parse_socket_fdinfo(&fdinfo(SOCKINFO_IN, 1, INP_IPV4, any, any, 1)),
            None
        );
        let buf = fdinfo(SOCKINFO_TCP, 6, INP_IPV4, any, any, 1);
        for len in 0..IN_SOCKINFO_END {
            assert_eq!(parse_socket_fdinfo(&buf[..len]), None, "length {len}");
        }
        assert!(parse_socket_fdinfo(&buf[..IN_SOCKINFO_END]).is_some());
    }

    #[test]
    fn keys_match_the_dump() {
        use super::super::fixture;
        use super::super::pcblist::parse;
        let sock = fixture::Sock {
            vflag: INP_IPV4,
            local: (ip("127.0.0.1"), 3000),
            remote: (ip("0.0.0.0"), 0),
            gencnt: 42,
            protocol: 6,
            uid: 501,
            tcp_state: Some(1),
        };
        let list = parse(&fixture::dump(&[sock], 50), Proto::Tcp).unwrap();
        let from_dump = OwnerKey::of_record(Proto::Tcp, &list.records[0]);
        let fd = fdinfo(
            SOCKINFO_TCP,
            6,
            INP_IPV4,
            (ip("127.0.0.1"), 3000),
            (ip("0.0.0.0"), 0),
            42,
        );
        assert_eq!(parse_socket_fdinfo(&fd).unwrap().key, from_dump);
    }
}
