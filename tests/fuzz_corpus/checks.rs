//! The invariants of the fuzz targets, written once: `fuzz/fuzz_targets/*.rs` include this file
//! with `#[path]`, and `tests/fuzz_corpus.rs` runs every corpus file and crash reproducer
//! through the same functions in plain `cargo test`.
//!
//! Each check takes the raw input bytes, feeds them to a parser and panics when the parser
//! panics or breaks a property of its output. The properties are stated from the formats
//! (offsets, lengths, the meaning of a filter), not by calling the parser a second way.

#![allow(dead_code)] // Each fuzz target uses one or two of these.

use sockscope::collect::EndpointMaker;
use sockscope::collect::macos::fdinfo::{SOCKET_FDINFO_SIZE, parse_socket_fdinfo};
use sockscope::collect::macos::pcblist::{self, INP_IPV4, INP_IPV6, PcbList};
use sockscope::collect::macos::to_socket;
use sockscope::collect::windows::table::{self, TableKind};
use sockscope::model::Proto;
use sockscope::ports::EphemeralRange;
use sockscope::sanitize::{cmdline_for_terminal, for_terminal};

/// A native-endian `u32` at `at`, if the bytes are there.
fn ne32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(
        b.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

fn ne64(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_ne_bytes(
        b.get(at..at.checked_add(8)?)?.try_into().ok()?,
    ))
}

// ---------------------------------------------------------------------------------------------
// Linux: /proc/net/{tcp,tcp6,udp,udp6}

/// The table line the kernel would print for `s` (addresses as its in-memory 32-bit words).
#[cfg(target_os = "linux")]
fn procnet_line(s: &sockscope::collect::linux::KernelSocket) -> String {
    use std::net::IpAddr;
    fn endpoint((addr, port): (IpAddr, u16)) -> String {
        let words: Vec<String> = match addr {
            IpAddr::V4(a) => vec![format!("{:08X}", u32::from_ne_bytes(a.octets()))],
            IpAddr::V6(a) => a
                .octets()
                .chunks_exact(4)
                .map(|w| format!("{:08X}", u32::from_ne_bytes([w[0], w[1], w[2], w[3]])))
                .collect(),
        };
        format!("{}:{port:04X}", words.concat())
    }
    format!(
        concat!(
            "   0: {} {} {:02X} {:08X}:{:08X} 00:00000000 00000000 {:5} 0 {} ",
            "1 0000000000000000 100 0 0 10 0"
        ),
        endpoint(s.local),
        endpoint(s.remote),
        s.state,
        s.send_queue,
        s.recv_queue,
        s.uid,
        s.inode
    )
}

/// `procnet::parse_table`: never panics; every non-blank line after the header is either a
/// socket or a counted bad line; every socket printed back the kernel's way parses to itself.
#[cfg(target_os = "linux")]
pub fn procnet(data: &[u8]) {
    use sockscope::collect::linux::procnet::parse_table;
    let mut out = Vec::new();
    let parsed = parse_table(data, Proto::Tcp, &mut out);
    let lines = data
        .split(|&c| c == b'\n')
        .skip(1)
        .filter(|l| !l.iter().all(|c| c.is_ascii_whitespace()))
        .count();
    assert_eq!(
        out.len() + parsed.bad_lines,
        lines,
        "every line is a socket or a bad line"
    );
    for s in &out {
        assert_eq!(s.proto, Proto::Tcp);
        assert!(s.info.is_none(), "/proc/net has no TCP internals");
        let text = format!("header\n{}\n", procnet_line(s));
        let mut again = Vec::new();
        let p = parse_table(text.as_bytes(), Proto::Tcp, &mut again);
        assert_eq!(p.bad_lines, 0, "{text:?}");
        assert_eq!(again.as_slice(), std::slice::from_ref(s), "{text:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Linux: NETLINK_SOCK_DIAG answers and tcp_info

/// What the attributes after an `inet_diag_msg` hold, walked independently of the parser: the
/// last `INET_DIAG_INFO` payload and the last `INET_DIAG_CONG` name, up to the first malformed
/// attribute.
#[cfg(target_os = "linux")]
fn attributes(mut attrs: &[u8]) -> (Option<&[u8]>, Option<&[u8]>) {
    let (mut info, mut cong) = (None, None);
    while attrs.len() >= 4 {
        let len = usize::from(u16::from_ne_bytes([attrs[0], attrs[1]]));
        let kind = u16::from_ne_bytes([attrs[2], attrs[3]]);
        let Some(payload) = attrs.get(4..len) else {
            break;
        };
        match kind {
            2 => info = Some(payload),
            4 => cong = Some(payload.split(|&c| c == 0).next().unwrap_or_default()),
            _ => {}
        }
        attrs = attrs.get(len.next_multiple_of(4)..).unwrap_or_default();
    }
    (info, cong)
}

/// `netlink::parse_diag_msg` on one payload: accepted exactly when it holds a whole
/// `inet_diag_msg` of family `AF_INET` or `AF_INET6`; every field read from its offset; the
/// internals exactly what the attributes carry.
#[cfg(target_os = "linux")]
fn diag_msg(payload: &[u8]) {
    use sockscope::collect::linux::netlink::{AF_INET, AF_INET6, parse_diag_msg, parse_tcp_info};
    use std::net::IpAddr;
    let got = parse_diag_msg(Proto::Udp, payload);
    let family = payload.first().copied();
    let valid = payload.len() >= 72 && matches!(family, Some(AF_INET | AF_INET6));
    assert_eq!(got.is_ok(), valid, "{got:?}");
    let Ok(s) = got else { return };
    let addr = |at: usize| -> IpAddr {
        if family == Some(AF_INET) {
            IpAddr::from([
                payload[at],
                payload[at + 1],
                payload[at + 2],
                payload[at + 3],
            ])
        } else {
            let mut o = [0u8; 16];
            o.copy_from_slice(&payload[at..at + 16]);
            IpAddr::from(o)
        }
    };
    let port = |at: usize| u16::from_be_bytes([payload[at], payload[at + 1]]);
    assert_eq!(s.proto, Proto::Udp);
    assert_eq!(s.state, payload[1]);
    assert_eq!(s.local, (addr(8), port(4)));
    assert_eq!(s.remote, (addr(24), port(6)));
    assert_eq!(Some(s.recv_queue), ne32(payload, 56));
    assert_eq!(Some(s.send_queue), ne32(payload, 60));
    assert_eq!(Some(s.uid), ne32(payload, 64));
    assert_eq!(ne32(payload, 68).map(u64::from), Some(s.inode));
    let (info, cong) = attributes(&payload[72..]);
    match &s.info {
        None => assert!(info.is_none() && cong.is_none()),
        Some(got) => {
            let mut want = info.map(parse_tcp_info).unwrap_or_default();
            want.congestion = cong.map(|c| String::from_utf8_lossy(c).into_owned().into());
            assert_eq!(**got, want);
        }
    }
}

/// `netlink::parse_messages` over one receive buffer (answers to the sequence number of its
/// first message), and `parse_diag_msg` over the same bytes as one payload.
#[cfg(target_os = "linux")]
pub fn netlink(data: &[u8]) {
    use sockscope::collect::linux::netlink::parse_messages;
    let seq = ne32(data, 8).unwrap_or(0);
    let mut sockets = Vec::new();
    let result = parse_messages(data, seq, Proto::Tcp, &mut |s| sockets.push(s));
    // Every socket came from a 16-byte header and a 72-byte inet_diag_msg of its own.
    assert!(sockets.len() * (16 + 72) <= data.len());
    if let Ok(p) = result {
        assert!(!p.done || data.len() >= 16);
    }
    for s in &sockets {
        assert_eq!(s.proto, Proto::Tcp);
        assert_eq!(s.local.0.is_ipv4(), s.remote.0.is_ipv4(), "{s:?}");
    }
    diag_msg(data);
}

/// `netlink::parse_tcp_info` of any length: each field is known exactly when the kernel sent
/// all of its bytes, and then has their value; the same bytes as an `INET_DIAG_INFO` attribute
/// give the same internals.
#[cfg(target_os = "linux")]
pub fn tcp_info(data: &[u8]) {
    use sockscope::collect::linux::netlink::{AF_INET6, parse_diag_msg, parse_tcp_info};
    let info = parse_tcp_info(data);
    // Offsets in struct tcp_info (include/uapi/linux/tcp.h).
    assert_eq!(info.retransmits, data.get(2).map(|&b| u32::from(b)));
    assert_eq!(info.rtt_us, ne32(data, 68), "tcpi_rtt");
    assert_eq!(info.rttvar_us, ne32(data, 72), "tcpi_rttvar");
    assert_eq!(info.cwnd, ne32(data, 80), "tcpi_snd_cwnd");
    assert_eq!(
        info.total_retransmits,
        ne32(data, 100),
        "tcpi_total_retrans"
    );
    assert_eq!(info.bytes_acked, ne64(data, 120), "tcpi_bytes_acked");
    assert_eq!(info.bytes_received, ne64(data, 128), "tcpi_bytes_received");
    assert_eq!(info.bytes_sent, ne64(data, 200), "tcpi_bytes_sent");
    assert_eq!(info.congestion, None);

    let Ok(attr_len) = u16::try_from(4 + data.len()) else {
        return;
    };
    let mut msg = vec![0u8; 72];
    msg[0] = AF_INET6;
    msg.extend_from_slice(&attr_len.to_ne_bytes());
    msg.extend_from_slice(&2u16.to_ne_bytes()); // INET_DIAG_INFO
    msg.extend_from_slice(data);
    match parse_diag_msg(Proto::Tcp, &msg) {
        Ok(s) => assert_eq!(s.info.as_deref(), Some(&info)),
        Err(e) => panic!("a well-formed message was refused: {e}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Linux: INET_DIAG_REQ_BYTECODE port filters

/// Reads a filter from the bytes: three counts (ports, sports, dports), then as many
/// `(first, last)` ranges as the bytes hold (`first > last` allowed: an empty range), then
/// `(sport, dport)` pairs to try.
#[cfg(target_os = "linux")]
fn filter_from(data: &[u8]) -> (sockscope::filter::Filter, Vec<(u16, u16)>) {
    use sockscope::filter::{Filter, PortRange};
    let counts = [
        data.first().copied().unwrap_or(0),
        data.get(1).copied().unwrap_or(0),
        data.get(2).copied().unwrap_or(0),
    ];
    let mut words = data
        .get(3..)
        .unwrap_or_default()
        .chunks_exact(2)
        .map(|w| u16::from_le_bytes([w[0], w[1]]));
    let mut ranges = |n: u8| -> Vec<PortRange> {
        (0..n)
            .map_while(|_| {
                Some(PortRange {
                    first: words.next()?,
                    last: words.next()?,
                })
            })
            .collect()
    };
    let filter = Filter {
        ports: ranges(counts[0]),
        sports: ranges(counts[1]),
        dports: ranges(counts[2]),
        ..Filter::default()
    };
    let mut probes = Vec::new();
    while let (Some(s), Some(d)) = (words.next(), words.next()) {
        probes.push((s, d));
    }
    (filter, probes)
}

/// What the filter means in user space: `ports` is the local or the remote port in one of its
/// ranges, `sports` the local port, `dports` the remote port; the groups are ANDed.
#[cfg(target_os = "linux")]
fn port_filter_accepts(f: &sockscope::filter::Filter, sport: u16, dport: u16) -> bool {
    (f.ports.is_empty()
        || f.ports
            .iter()
            .any(|p| p.contains(sport) || p.contains(dport)))
        && (f.sports.is_empty() || f.sports.iter().any(|p| p.contains(sport)))
        && (f.dports.is_empty() || f.dports.iter().any(|p| p.contains(dport)))
}

/// `bytecode::for_ports` against the filter's meaning: the program passes the kernel's audit,
/// fits its netlink attribute and, run the kernel's way, accepts exactly the port pairs the
/// filter accepts (tried at every range boundary and at the pairs in the input). Also `run`
/// and `audit` on the raw bytes as a program: an audited program always runs to a verdict.
#[cfg(target_os = "linux")]
pub fn bytecode(data: &[u8]) {
    use sockscope::collect::linux::bytecode::{audit, for_ports, run};
    let (filter, mut probes) = filter_from(data);
    let conditions = filter.ports.len() * 2 + filter.sports.len() + filter.dports.len();
    let prog = for_ports(&filter);
    match &prog {
        None => assert!(
            conditions == 0 || conditions > 256,
            "no program for {conditions} conditions"
        ),
        Some(prog) => {
            assert!((1..=256).contains(&conditions));
            assert!(audit(prog), "the kernel would refuse {prog:?}");
            assert!(prog.len().is_multiple_of(4) && prog.len() + 4 <= usize::from(u16::MAX));
            let mut edges = vec![0, u16::MAX];
            for r in filter
                .ports
                .iter()
                .chain(&filter.sports)
                .chain(&filter.dports)
            {
                edges.extend([
                    r.first.wrapping_sub(1),
                    r.first,
                    r.last,
                    r.last.wrapping_add(1),
                ]);
            }
            edges.sort_unstable();
            edges.dedup();
            // Each boundary as the local port and as the remote port, against another boundary.
            for (i, &e) in edges.iter().enumerate() {
                let o = edges[(i * 7 + 3) % edges.len()];
                probes.extend([(e, o), (o, e)]);
            }
            for (s, d) in probes.iter().copied().take(1024) {
                assert_eq!(
                    run(prog, s, d),
                    Some(port_filter_accepts(&filter, s, d)),
                    "sport {s} dport {d} {filter:?} {prog:?}"
                );
            }
        }
    }

    // The input itself as a program.
    let pairs = [(0, 0), (80, 443), (u16::MAX, 1)];
    let audited = audit(data);
    for (s, d) in pairs {
        let verdict = run(data, s, d);
        if audited {
            assert!(verdict.is_some(), "audited program {data:?} has no verdict");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// macOS: pcblist_n dumps and socket_fdinfo (pure, compiled everywhere)

fn check_pcblist(data: &[u8], proto: Proto, list: &PcbList) {
    // The smallest item: xinpcb_n (80+) and xsocket_n (68+) records, padded to 8 bytes, and
    // three records of at least the 8-byte header; the TCP item has a fourth (40+).
    assert!(list.records.len() * (80 + 72 + 3 * 8) <= data.len());
    let maker = EndpointMaker::new(EphemeralRange::IANA);
    for r in &list.records {
        let v6 = r.vflag & INP_IPV6 != 0;
        assert_eq!(r.local.0.is_ipv6(), v6, "{r:?}");
        assert_eq!(r.remote.0.is_ipv6(), v6, "{r:?}");
        assert_eq!(r.tcp_state.is_some(), proto == Proto::Tcp, "{r:?}");
    }
    for r in list.current(proto) {
        assert!(r.gencnt <= list.generation && r.vflag & (INP_IPV4 | INP_IPV6) != 0);
        assert_eq!(r.protocol, pcblist::ip_proto(proto));
        if let Some(s) = to_socket(proto, r, &maker) {
            assert_eq!((s.proto, s.local.port), (proto, r.local.1));
            assert_eq!(s.uid, Some(r.uid));
        }
    }
}

/// `pcblist::parse` (read as a TCP and as a UDP dump) and `fdinfo::parse_socket_fdinfo`: never
/// panic; records agree with their `vflag` and protocol; a prefix of a dump that parses holds
/// the first records of the whole dump; an fdinfo depends only on its first 344 bytes (where
/// `in_sockinfo` ends).
pub fn pcblist(data: &[u8]) {
    for proto in [Proto::Tcp, Proto::Udp] {
        let full = pcblist::parse(data, proto);
        if let Ok(list) = &full {
            check_pcblist(data, proto, list);
        }
        let n = data.len();
        for cut in [n / 2, n * 3 / 4, n.saturating_sub(1), n.saturating_sub(8)] {
            let Ok(part) = pcblist::parse(&data[..cut], proto) else {
                continue;
            };
            check_pcblist(&data[..cut], proto, &part);
            if let Ok(whole) = &full {
                let n = part.records.len();
                assert!(n <= whole.records.len(), "cut at {cut}");
                assert_eq!(part.records[..], whole.records[..n], "cut at {cut}");
            }
        }
    }

    const IN_SOCKINFO_END: usize = 24 + 240 + 80;
    let fd = parse_socket_fdinfo(data);
    if let Some(s) = &fd {
        assert!(data.len() >= IN_SOCKINFO_END && IN_SOCKINFO_END <= SOCKET_FDINFO_SIZE);
        assert_eq!((s.key.lport, s.key.fport), (s.local.1, s.remote.1));
        assert_eq!(s.local.0.is_ipv6(), s.remote.0.is_ipv6());
    }
    if data.len() >= IN_SOCKINFO_END {
        assert_eq!(parse_socket_fdinfo(&data[..IN_SOCKINFO_END]), fd);
    } else {
        assert_eq!(fd, None);
    }
}

// ---------------------------------------------------------------------------------------------
// Windows: iphlpapi tables (pure, compiled everywhere)

/// `table::parse_table` of each kind: accepted exactly when the buffer holds the row count and
/// that many rows; every row from its table's protocol.
pub fn iphlpapi(data: &[u8]) {
    for kind in TableKind::ALL {
        let got = table::parse_table(kind, data);
        let claimed = ne32(data, 0).map(|n| n as usize);
        let fits = claimed.is_some_and(|n| {
            n.checked_mul(kind.row_len())
                .and_then(|b| b.checked_add(4))
                .is_some_and(|b| b <= data.len())
        });
        assert_eq!(got.is_ok(), fits, "{kind:?} {got:?}");
        let Ok(rows) = got else { continue };
        assert_eq!(Some(rows.len()), claimed);
        for row in &rows {
            assert_eq!(row.proto, kind.proto());
            assert_eq!(row.local.0.is_ipv6(), kind.is_ipv6());
            assert_eq!(row.state.is_some(), kind.proto() == Proto::Tcp);
            assert_eq!(row.remote.is_some(), kind.proto() == Proto::Tcp);
            if let Some(state) = row.state {
                let _ = table::tcp_state(state);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Untrusted text on a terminal

/// Characters that must never reach a terminal raw: C0 and C1 controls (and so newlines), line
/// and paragraph separators, bidi controls, and every character Unicode says is invisible
/// (`Default_Ignorable_Code_Point`, DerivedCoreProperties.txt: zero-width characters, variation
/// selectors, fillers, tags, …).
pub fn unsafe_on_terminal(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{2028}' | '\u{2029}'
            | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
            | '\u{61c}' | '\u{200e}' | '\u{200f}'
            // Default_Ignorable_Code_Point
            | '\u{ad}' | '\u{34f}' | '\u{115f}' | '\u{1160}' | '\u{17b4}' | '\u{17b5}'
            | '\u{180b}'..='\u{180f}' | '\u{200b}'..='\u{200d}' | '\u{2060}'..='\u{206f}'
            | '\u{3164}' | '\u{fe00}'..='\u{fe0f}' | '\u{feff}' | '\u{ffa0}'
            | '\u{fff0}'..='\u{fff8}' | '\u{1bca0}'..='\u{1bca3}' | '\u{1d173}'..='\u{1d17a}'
            | '\u{e0000}'..='\u{e0fff}'
        )
}

/// Undoes `for_terminal`'s escapes; `None` when the text is not a valid escaping (which would
/// make the output ambiguous).
fn unescape(text: &str) -> Option<String> {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next()? {
            '\\' => out.push('\\'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'x' => {
                let hex: String = chars.by_ref().take(2).collect();
                let v = u8::from_str_radix(&hex, 16).ok().filter(|v| *v < 0x80)?;
                out.push(char::from(v));
            }
            'u' => {
                if chars.next()? != '{' {
                    return None;
                }
                let hex: String = chars.by_ref().take_while(|&c| c != '}').collect();
                out.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
            }
            _ => return None,
        }
    }
    Some(out)
}

/// `sanitize::for_terminal` (and `cmdline_for_terminal` over the text split at NULs): nothing in
/// the output can act on a terminal or hide; the output reads back to exactly the input; text
/// that needs nothing escaped is returned as it is.
pub fn sanitize(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let out = for_terminal(&text);
    if let Some(c) = out.chars().find(|&c| unsafe_on_terminal(c)) {
        panic!("{c:?} reached the terminal raw in {out:?}");
    }
    assert_eq!(unescape(&out).as_deref(), Some(&*text), "{out:?}");
    if matches!(out, std::borrow::Cow::Borrowed(_)) {
        assert!(!text.contains('\\') && !text.chars().any(unsafe_on_terminal));
    }
    let args: Vec<String> = text.split('\0').map(str::to_owned).collect();
    let line = cmdline_for_terminal(&args);
    if let Some(c) = line.chars().find(|&c| unsafe_on_terminal(c)) {
        panic!("{c:?} reached the terminal raw in {line:?}");
    }
}
