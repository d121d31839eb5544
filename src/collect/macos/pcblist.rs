//! A parser for `net.inet.tcp.pcblist_n` and `net.inet.udp.pcblist_n`: the socket lists macOS's
//! own `netstat` reads, TIME-WAIT sockets included.
//!
//! The dump is an `xinpgen` header, one item per socket, and usually a closing `xinpgen` (the
//! kernel leaves it out when there is no socket). An item is a run of records, each starting
//! with `{u32 len, u32 kind}` and each starting on an 8-byte boundary (`ROUNDUP64(len)`):
//! `xinpcb_n` (`XSO_INPCB`), `xsocket_n` (`XSO_SOCKET`), two `xsockbuf_n` (`XSO_RCVBUF`,
//! `XSO_SNDBUF`), `xsockstat_n` (`XSO_STATS`) and, for TCP, `xtcpcb_n` (`XSO_TCPCB`). Records are
//! gathered by kind until an item has every kind, as `netstat`'s `protopr()` does, so the order
//! inside an item does not matter. A record shorter than 25 bytes is the closing `xinpgen`.
//!
//! Every field is read at an explicit offset from the record's start, after checking the record
//! is long enough; nothing is cast. The offsets follow XNU's headers, where the structures are
//! declared under `#pragma pack(4)` (8-byte fields on 4-byte boundaries):
//!
//! ```text
//! struct xinpgen (netinet/in_pcb.h)          struct xsocket_n (sys/socketvar.h)
//!   0 u32 xig_len                              0 u32 xso_len       4 u32 xso_kind
//!   4 u32 xig_count                            8 u64 xso_so       16 i16 so_type
//!   8 u64 xig_gen                             20 u32 so_options   24 i16 so_linger
//!  16 u64 xig_sogen            (24 bytes)     26 i16 so_state     28 u64 so_pcb
//!                                             36 i32 xso_protocol 40 i32 xso_family
//! struct xinpcb_n (netinet/in_pcb.h)          44 i16 so_qlen … 52 u16 so_error
//!   0 u32 xi_len        4 u32 xi_kind         56 i32 so_pgid      60 u32 so_oobmark
//!   8 u64 xi_inpp                             64 u32 so_uid       68 i32 so_last_pid
//!  16 u16 inp_fport    18 u16 inp_lport       72 i32 so_e_pid     76 u64 so_gencnt
//!  20 u64 inp_ppcb     28 u64 inp_gencnt      84 … xso_filter_flags    (104 bytes)
//!  36 i32 inp_flags    40 u32 inp_flow
//!  44 u8 inp_vflag     45 u8 inp_ip_ttl       struct xtcpcb_n (netinet/tcp_var.h)
//!  46 u8 inp_ip_p                              0 u32 xt_len        4 u32 xt_kind
//!  48 [16] inp_dependfaddr (in_addr_4in6 /     8 u64 t_segq       16 i32 t_dupacks
//!         in6_addr: IPv4 in the last 4)       20 i32 t_timer[4]   36 i32 t_state
//!  64 [16] inp_dependladdr                    40 u32 t_flags …             (204 bytes)
//!  80 … inp_flowhash, inp_flags2 (104 bytes)
//! ```
//!
//! Ports are `u_short`s in network byte order. Pure: [`parse`] takes bytes and returns records
//! or an error, never panics, so it can be fuzzed and is tested on every OS.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::model::Proto;

/// Record kinds (`sys/socketvar.h`).
pub const XSO_SOCKET: u32 = 0x001;
/// Receive buffer record.
pub const XSO_RCVBUF: u32 = 0x002;
/// Send buffer record.
pub const XSO_SNDBUF: u32 = 0x004;
/// Per-traffic-class statistics record.
pub const XSO_STATS: u32 = 0x008;
/// `xinpcb_n`: addresses and ports.
pub const XSO_INPCB: u32 = 0x010;
/// `xtcpcb_n`: TCP state.
pub const XSO_TCPCB: u32 = 0x020;

/// `inp_vflag` bits (`netinet/in_pcb.h`); `in_sockinfo.insi_vflag` uses the same values.
pub const INP_IPV4: u8 = 0x1;
/// The socket is IPv6 (with `INP_IPV4` too: a dual-stack socket).
pub const INP_IPV6: u8 = 0x2;

/// `sizeof(struct xinpgen)`.
pub const XINPGEN_LEN: usize = 24;

const ITEM_KINDS: u32 = XSO_SOCKET | XSO_RCVBUF | XSO_SNDBUF | XSO_STATS | XSO_INPCB;

// xinpgen
const XIG_COUNT: usize = 4;
const XIG_GEN: usize = 8;
// xinpcb_n
const XI_INPP: usize = 8;
const INP_FPORT: usize = 16;
const INP_LPORT: usize = 18;
const INP_GENCNT: usize = 28;
const INP_VFLAG: usize = 44;
const INP_FADDR: usize = 48;
const INP_LADDR: usize = 64;
const INPCB_MIN: usize = INP_LADDR + 16;
// xsocket_n
const XSO_SO: usize = 8;
const XSO_PROTOCOL: usize = 36;
const XSO_FAMILY: usize = 40;
const SO_UID: usize = 64;
const SOCKET_MIN: usize = SO_UID + 4;
// xtcpcb_n
const T_STATE: usize = 36;
const TCPCB_MIN: usize = T_STATE + 4;

/// One socket of the dump.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PcbRecord {
    /// `xi_inpp`: the kernel's (obfuscated) handle of the protocol control block.
    pub inpcb: u64,
    /// `inp_gencnt`: the control block's generation number, unique per protocol; libproc
    /// reports the same number for a process's socket, which is how owners are matched.
    pub gencnt: u64,
    /// `inp_vflag`: [`INP_IPV4`], [`INP_IPV6`] or both.
    pub vflag: u8,
    /// Local address and port.
    pub local: (IpAddr, u16),
    /// Remote address and port (unspecified and 0 when not connected).
    pub remote: (IpAddr, u16),
    /// `xso_so`: the kernel's (obfuscated) handle of the socket.
    pub socket: u64,
    /// `xso_protocol` (6 TCP, 17 UDP).
    pub protocol: i32,
    /// `xso_family` (2 `AF_INET`, 30 `AF_INET6`).
    pub family: i32,
    /// `so_uid`: the user that created the socket.
    pub uid: u32,
    /// `t_state` (`TCPS_*`) for TCP; `None` for UDP.
    pub tcp_state: Option<i32>,
}

/// A parsed dump.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PcbList {
    /// `xig_count` of the opening header: sockets at the start of the dump.
    pub count: u32,
    /// `xig_gen` of the opening header.
    pub generation: u64,
    /// `xig_gen` of the closing header, when there is one. When it differs from
    /// [`generation`](Self::generation), sockets opened or closed during the dump.
    pub end_generation: Option<u64>,
    /// Every complete item, in dump order.
    pub records: Vec<PcbRecord>,
}

impl PcbList {
    /// The records `netstat` shows for `proto`: of that protocol, IPv4 or IPv6, and not created
    /// after the dump began (those were freed and reused while it was copied out).
    pub fn current(&self, proto: Proto) -> impl Iterator<Item = &PcbRecord> {
        let number = ip_proto(proto);
        self.records.iter().filter(move |r| {
            r.protocol == number
                && r.gencnt <= self.generation
                && r.vflag & (INP_IPV4 | INP_IPV6) != 0
        })
    }
}

/// What is wrong with a dump.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PcbError {
    /// Too short for the opening `xinpgen`, or a header that does not say 24 bytes or more.
    #[error("the dump ({len} bytes) does not start with a socket list header")]
    BadHeader {
        /// Buffer length.
        len: usize,
    },
    /// A record runs past the end of the buffer.
    #[error("the record at byte {offset} needs {need} bytes, but only {left} remain")]
    Truncated {
        /// Where the record starts.
        offset: usize,
        /// How many bytes it needs.
        need: usize,
        /// How many are left.
        left: usize,
    },
    /// A record too short for the fields read from it.
    #[error(
        "the record of kind {kind:#x} at byte {offset} is {len} bytes; at least {need} expected"
    )]
    ShortRecord {
        /// Where the record starts.
        offset: usize,
        /// Its kind.
        kind: u32,
        /// Its length.
        len: usize,
        /// The minimum.
        need: usize,
    },
    /// The buffer ends inside an item: some of its records are missing.
    #[error("the dump ends at byte {len} in the middle of a socket's records")]
    Incomplete {
        /// Buffer length.
        len: usize,
    },
}

/// The IP protocol number of `proto`.
pub fn ip_proto(proto: Proto) -> i32 {
    match proto {
        Proto::Tcp => 6,
        Proto::Udp => 17,
    }
}

fn u16_be(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

fn u32_ne(b: &[u8], at: usize) -> u32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[at..at + 4]);
    // Both macOS architectures (x86_64, arm64) are little-endian.
    u32::from_le_bytes(a)
}

fn u64_ne(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(a)
}

/// The address in a 16-byte `in_addr_4in6` / `in6_addr` union, by `vflag`: IPv6 when the
/// socket is IPv6 (a dual-stack socket's wildcard is `::`), else the IPv4 address in the last
/// four bytes.
pub fn union_addr(vflag: u8, raw: &[u8]) -> IpAddr {
    let mut b = [0u8; 16];
    b.copy_from_slice(&raw[..16]);
    if vflag & INP_IPV6 != 0 {
        IpAddr::V6(Ipv6Addr::from(b))
    } else {
        IpAddr::V4(Ipv4Addr::new(b[12], b[13], b[14], b[15]))
    }
}

/// `ROUNDUP64` as `netstat` defines it.
fn roundup64(len: usize) -> usize {
    if len == 0 { 8 } else { (len - 1) | 7 }.saturating_add(1)
}

/// The records of one item, by kind, as slices of the buffer with their offsets.
#[derive(Default)]
struct Item<'a> {
    seen: u32,
    inpcb: Option<(usize, &'a [u8])>,
    socket: Option<(usize, &'a [u8])>,
    tcpcb: Option<(usize, &'a [u8])>,
}

fn need(rec: Option<(usize, &[u8])>, kind: u32, min: usize) -> Result<&[u8], PcbError> {
    match rec {
        Some((_, r)) if r.len() >= min => Ok(r),
        Some((offset, r)) => Err(PcbError::ShortRecord {
            offset,
            kind,
            len: r.len(),
            need: min,
        }),
        // Unreachable: an item is complete only when every kind was seen.
        None => Err(PcbError::ShortRecord {
            offset: 0,
            kind,
            len: 0,
            need: min,
        }),
    }
}

impl Item<'_> {
    fn record(&self) -> Result<PcbRecord, PcbError> {
        let inp = need(self.inpcb, XSO_INPCB, INPCB_MIN)?;
        let so = need(self.socket, XSO_SOCKET, SOCKET_MIN)?;
        let tcp_state = match self.tcpcb {
            None => None,
            Some(_) => {
                let t = need(self.tcpcb, XSO_TCPCB, TCPCB_MIN)?;
                Some(u32_ne(t, T_STATE) as i32)
            }
        };
        let vflag = inp[INP_VFLAG];
        Ok(PcbRecord {
            inpcb: u64_ne(inp, XI_INPP),
            gencnt: u64_ne(inp, INP_GENCNT),
            vflag,
            local: (union_addr(vflag, &inp[INP_LADDR..]), u16_be(inp, INP_LPORT)),
            remote: (union_addr(vflag, &inp[INP_FADDR..]), u16_be(inp, INP_FPORT)),
            socket: u64_ne(so, XSO_SO),
            protocol: u32_ne(so, XSO_PROTOCOL) as i32,
            family: u32_ne(so, XSO_FAMILY) as i32,
            uid: u32_ne(so, SO_UID),
            tcp_state,
        })
    }
}

/// Parses a `pcblist_n` dump of `proto` (TCP items carry an `xtcpcb_n`, UDP items do not).
pub fn parse(buf: &[u8], proto: Proto) -> Result<PcbList, PcbError> {
    if buf.len() < XINPGEN_LEN || (u32_ne(buf, 0) as usize) < XINPGEN_LEN {
        return Err(PcbError::BadHeader { len: buf.len() });
    }
    let count = u32_ne(buf, XIG_COUNT);
    let generation = u64_ne(buf, XIG_GEN);
    let wanted = match proto {
        Proto::Tcp => ITEM_KINDS | XSO_TCPCB,
        Proto::Udp => ITEM_KINDS,
    };
    let mut records = Vec::new();
    let mut end_generation = None;
    let mut item = Item::default();
    let mut at = roundup64(u32_ne(buf, 0) as usize);
    while at < buf.len() {
        let left = buf.len() - at;
        if left < 8 {
            return Err(PcbError::Truncated {
                offset: at,
                need: 8,
                left,
            });
        }
        let len = u32_ne(buf, at) as usize;
        let kind = u32_ne(buf, at + 4);
        if len <= XINPGEN_LEN {
            // The closing xinpgen (netstat stops at any record this short).
            if left < XINPGEN_LEN {
                return Err(PcbError::Truncated {
                    offset: at,
                    need: XINPGEN_LEN,
                    left,
                });
            }
            end_generation = Some(u64_ne(buf, at + XIG_GEN));
            break;
        }
        if len > left {
            return Err(PcbError::Truncated {
                offset: at,
                need: len,
                left,
            });
        }
        let rec = (at, &buf[at..at + len]);
        // Unknown kinds are skipped; a kind seen twice in one item keeps its first record.
        if wanted & kind != 0 && kind.is_power_of_two() && item.seen & kind == 0 {
            item.seen |= kind;
            match kind {
                XSO_INPCB => item.inpcb = Some(rec),
                XSO_SOCKET => item.socket = Some(rec),
                XSO_TCPCB => item.tcpcb = Some(rec),
                _ => {}
            }
        }
        if item.seen == wanted {
            records.push(item.record()?);
            item = Item::default();
        }
        at = at.saturating_add(roundup64(len));
    }
    if item.seen != 0 {
        return Err(PcbError::Incomplete { len: buf.len() });
    }
    Ok(PcbList {
        count,
        generation,
        end_generation,
        records,
    })
}

#[cfg(test)]
mod tests {
    use super::super::fixture::*;
    use super::*;

    fn v4(a: &str) -> IpAddr {
        a.parse().unwrap()
    }

    fn tcp_socks() -> Vec<Sock> {
        vec![
            Sock {
                vflag: INP_IPV4,
                local: (v4("127.0.0.1"), 8080),
                remote: (v4("0.0.0.0"), 0),
                gencnt: 10,
                protocol: 6,
                uid: 501,
                tcp_state: Some(1), // LISTEN
            },
            Sock {
                vflag: INP_IPV4,
                local: (v4("127.0.0.1"), 8080),
                remote: (v4("127.0.0.1"), 50123),
                gencnt: 11,
                protocol: 6,
                uid: 501,
                tcp_state: Some(4), // ESTABLISHED
            },
            Sock {
                vflag: INP_IPV6,
                local: (v4("::1"), 443),
                remote: (v4("::1"), 60000),
                gencnt: 12,
                protocol: 6,
                uid: 0,
                tcp_state: Some(10), // TIME_WAIT
            },
            Sock {
                vflag: INP_IPV4 | INP_IPV6,
                local: (v4("::"), 22),
                remote: (v4("::"), 0),
                gencnt: 13,
                protocol: 6,
                uid: 0,
                tcp_state: Some(1),
            },
        ]
    }

    #[test]
    fn the_fixture_builder_matches_the_header_sizes() {
        let s = &tcp_socks()[0];
        assert_eq!(xinpgen(0, 0).len(), XINPGEN_LEN);
        assert_eq!(xinpcb_n(s).len(), 104);
        assert_eq!(xsocket_n(s).len(), 104);
        assert_eq!(xsockbuf_n(2).len(), 32);
        assert_eq!(xsockstat_n().len(), 136);
        assert_eq!(xtcpcb_n(4).len(), 204);
    }

    #[test]
    fn tcp_dump_with_ipv4_ipv6_and_states() {
        let buf = dump(&tcp_socks(), 20);
        let list = parse(&buf, Proto::Tcp).unwrap();
        assert_eq!(list.count, 4);
        assert_eq!(list.generation, 20);
        assert_eq!(list.end_generation, Some(20));
        let r = &list.records;
        assert_eq!(r.len(), 4);
        assert_eq!(r[0].local, (v4("127.0.0.1"), 8080));
        assert_eq!(r[0].remote, (v4("0.0.0.0"), 0));
        assert_eq!(r[0].tcp_state, Some(1));
        assert_eq!(r[0].uid, 501);
        assert_eq!(r[0].protocol, 6);
        assert_eq!(r[0].family, 2);
        assert_eq!(r[0].gencnt, 10);
        assert_eq!(r[0].inpcb, 0xffff_8000_0000_1000 + 10);
        assert_eq!(r[0].socket, 0xffff_8000_0000_3000 + 10);
        assert_eq!(r[1].remote, (v4("127.0.0.1"), 50123));
        assert_eq!(r[1].tcp_state, Some(4));
        assert_eq!(r[2].local, (v4("::1"), 443));
        assert_eq!(r[2].family, 30);
        assert_eq!(r[2].tcp_state, Some(10));
        // A dual-stack wildcard listener reads as [::].
        assert_eq!(r[3].local, (v4("::"), 22));
        assert_eq!(list.current(Proto::Tcp).count(), 4);
    }

    #[test]
    fn udp_dump_has_no_tcpcb() {
        let socks = [
            Sock {
                vflag: INP_IPV4,
                local: (v4("0.0.0.0"), 5353),
                remote: (v4("0.0.0.0"), 0),
                gencnt: 3,
                protocol: 17,
                uid: 65,
                tcp_state: None,
            },
            Sock {
                vflag: INP_IPV6,
                local: (v4("fe80::1"), 123),
                remote: (v4("2001:db8::1"), 123),
                gencnt: 4,
                protocol: 17,
                uid: 0,
                tcp_state: None,
            },
        ];
        let list = parse(&dump(&socks, 5), Proto::Udp).unwrap();
        assert_eq!(list.records.len(), 2);
        assert_eq!(list.records[0].local, (v4("0.0.0.0"), 5353));
        assert_eq!(list.records[0].tcp_state, None);
        assert_eq!(list.records[1].remote, (v4("2001:db8::1"), 123));
        // Read as TCP, no item is ever complete: that is an error, not a silent empty list.
        assert!(matches!(
            parse(&dump(&socks, 5), Proto::Tcp),
            Err(PcbError::Incomplete { .. })
        ));
    }

    #[test]
    fn record_order_inside_an_item_does_not_matter() {
        let s = &tcp_socks()[1];
        let mut buf = Vec::new();
        push(&mut buf, &xinpgen(1, 20));
        push(&mut buf, &xtcpcb_n(4));
        push(&mut buf, &xsockstat_n());
        push(&mut buf, &xsocket_n(s));
        push(&mut buf, &xsockbuf_n(0x4));
        push(&mut buf, &xinpcb_n(s));
        push(&mut buf, &xsockbuf_n(0x2));
        let list = parse(&buf, Proto::Tcp).unwrap();
        assert_eq!(list.end_generation, None);
        assert_eq!(list.records.len(), 1);
        assert_eq!(list.records[0].remote.1, 50123);
    }

    #[test]
    fn empty_dumps() {
        // No socket: the kernel sends only the opening header.
        let list = parse(&xinpgen(0, 9), Proto::Tcp).unwrap();
        assert!(list.records.is_empty());
        assert_eq!(list.end_generation, None);
        let list = parse(&dump(&[], 9), Proto::Udp).unwrap();
        assert!(list.records.is_empty());
        assert_eq!(list.end_generation, Some(9));
    }

    #[test]
    fn current_skips_other_protocols_new_pcbs_and_unknown_families() {
        let mut socks = tcp_socks();
        socks[0].gencnt = 99; // created after the dump began
        socks[1].protocol = 17; // not TCP
        socks[2].vflag = 0; // neither IPv4 nor IPv6
        let list = parse(&dump(&socks, 20), Proto::Tcp).unwrap();
        assert_eq!(list.records.len(), 4);
        let current: Vec<u64> = list.current(Proto::Tcp).map(|r| r.gencnt).collect();
        assert_eq!(current, vec![13]);
    }

    #[test]
    fn unknown_and_repeated_kinds_are_skipped() {
        let s = &tcp_socks()[0];
        let mut buf = Vec::new();
        push(&mut buf, &xinpgen(1, 20));
        let mut unknown = xsockbuf_n(0x400);
        unknown[4..8].copy_from_slice(&0x400u32.to_le_bytes());
        push(&mut buf, &unknown);
        item(&mut buf, s);
        let list = parse(&buf, Proto::Tcp).unwrap();
        assert_eq!(list.records.len(), 1);
        assert_eq!(list.records[0].local.1, 8080);
    }

    #[test]
    fn short_records_are_errors() {
        let s = &tcp_socks()[0];
        let mut inp = xinpcb_n(s);
        inp.truncate(48);
        inp[..4].copy_from_slice(&48u32.to_le_bytes());
        let mut buf = Vec::new();
        push(&mut buf, &xinpgen(1, 20));
        push(&mut buf, &inp);
        push(&mut buf, &xsocket_n(s));
        push(&mut buf, &xsockbuf_n(0x2));
        push(&mut buf, &xsockbuf_n(0x4));
        push(&mut buf, &xsockstat_n());
        push(&mut buf, &xtcpcb_n(1));
        assert_eq!(
            parse(&buf, Proto::Tcp),
            Err(PcbError::ShortRecord {
                offset: 24,
                kind: XSO_INPCB,
                len: 48,
                need: 80
            })
        );
    }

    #[test]
    fn bad_headers() {
        assert!(matches!(
            parse(&[], Proto::Tcp),
            Err(PcbError::BadHeader { len: 0 })
        ));
        let mut h = xinpgen(0, 0);
        h[..4].copy_from_slice(&8u32.to_le_bytes());
        assert!(matches!(
            parse(&h, Proto::Tcp),
            Err(PcbError::BadHeader { .. })
        ));
    }

    #[test]
    fn truncated_at_every_length_never_panics() {
        for (buf, proto) in [
            (dump(&tcp_socks(), 20), Proto::Tcp),
            (
                dump(
                    &[Sock {
                        vflag: INP_IPV4,
                        local: (v4("127.0.0.1"), 53),
                        remote: (v4("0.0.0.0"), 0),
                        gencnt: 1,
                        protocol: 17,
                        uid: 0,
                        tcp_state: None,
                    }],
                    1,
                ),
                Proto::Udp,
            ),
        ] {
            let full = parse(&buf, proto).unwrap();
            for len in 0..buf.len() {
                // Cut between items: the items before the cut, without the closing header.
                if let Ok(part) = parse(&buf[..len], proto) {
                    assert_eq!(part.end_generation, None);
                    assert_eq!(part.records[..], full.records[..part.records.len()]);
                }
            }
        }
    }

    #[test]
    fn garbage_never_panics() {
        // A cheap stand-in for fuzzing: every single-byte corruption of a valid dump.
        let buf = dump(&tcp_socks(), 20);
        for at in 0..buf.len() {
            for v in [0x00, 0x07, 0x18, 0x19, 0xff] {
                let mut b = buf.clone();
                b[at] = v;
                let _ = parse(&b, Proto::Tcp);
            }
        }
    }
}
