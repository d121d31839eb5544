//! The fallback socket source: `/proc/net/{tcp,tcp6,udp,udp6}`, for when netlink is refused
//! (seccomp filters, restricted containers).
//!
//! Each line is `sl local rem st tx:rx tr:when retrnsmt uid timeout inode …`, addresses as the
//! hex of the kernel's in-memory 32-bit words (so byte order is the host's), ports as plain hex.
//! The parser is a pure function over bytes so it can be tested on captured files and fuzzed.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::KernelSocket;
use crate::model::Proto;

/// Result of parsing one table: the sockets, and how many lines did not parse.
#[derive(Debug, Default)]
pub struct Parsed {
    /// Lines that were not a socket entry (other than the header). Normally zero.
    pub bad_lines: usize,
}

fn hex_u32(s: &[u8]) -> Option<u32> {
    if s.is_empty() || s.len() > 8 {
        return None;
    }
    let mut v: u32 = 0;
    for &c in s {
        let d = (c as char).to_digit(16)?;
        v = (v << 4) | d;
    }
    Some(v)
}

fn dec_u64(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 20 {
        return None;
    }
    let mut v: u64 = 0;
    for &c in s {
        let d = (c as char).to_digit(10)?;
        v = v.checked_mul(10)?.checked_add(u64::from(d))?;
    }
    Some(v)
}

/// Parses "0100007F:1F90" or the 32-hex-digit IPv6 form.
fn endpoint(field: &[u8]) -> Option<(IpAddr, u16)> {
    let colon = field.iter().position(|&c| c == b':')?;
    let (addr, port) = (&field[..colon], &field[colon + 1..]);
    let port = u16::try_from(hex_u32(port)?).ok()?;
    let addr = match addr.len() {
        8 => IpAddr::V4(Ipv4Addr::from(hex_u32(addr)?.to_ne_bytes())),
        32 => {
            let mut octets = [0u8; 16];
            for (i, word) in addr.chunks_exact(8).enumerate() {
                octets[i * 4..i * 4 + 4].copy_from_slice(&hex_u32(word)?.to_ne_bytes());
            }
            IpAddr::V6(Ipv6Addr::from(octets))
        }
        _ => return None,
    };
    Some((addr, port))
}

fn parse_line(line: &[u8], proto: Proto) -> Option<KernelSocket> {
    let mut fields = line
        .split(|c| c.is_ascii_whitespace())
        .filter(|f| !f.is_empty());
    let _slot = fields.next()?.strip_suffix(b":")?;
    let local = endpoint(fields.next()?)?;
    let remote = endpoint(fields.next()?)?;
    let state = u8::try_from(hex_u32(fields.next()?)?).ok()?;
    let queues = fields.next()?;
    let colon = queues.iter().position(|&c| c == b':')?;
    let send_queue = hex_u32(&queues[..colon])?;
    let recv_queue = hex_u32(&queues[colon + 1..])?;
    let _timer = fields.next()?;
    let _retransmits = fields.next()?;
    let uid = u32::try_from(dec_u64(fields.next()?)?).ok()?;
    let _timeout = fields.next()?;
    let inode = dec_u64(fields.next()?)?;
    Some(KernelSocket {
        proto,
        local,
        remote,
        state,
        uid,
        inode,
        recv_queue,
        send_queue,
        info: None,
    })
}

/// Parses a whole `/proc/net/{tcp,tcp6,udp,udp6}` file. The first line is the header.
/// Never panics, whatever `text` holds; lines that do not parse are counted, not guessed at.
pub fn parse_table(text: &[u8], proto: Proto, out: &mut Vec<KernelSocket>) -> Parsed {
    let mut parsed = Parsed::default();
    for line in text.split(|&c| c == b'\n').skip(1) {
        if line.iter().all(|c| c.is_ascii_whitespace()) {
            continue;
        }
        match parse_line(line, proto) {
            Some(s) => out.push(s),
            None => parsed.bad_lines += 1,
        }
    }
    parsed
}

#[cfg(test)]
mod tests {
    use super::*;

    // Captured from this kind of machine (x86_64, little endian) with a listener on
    // 127.0.0.1:8080, an established pair and a time-wait socket.
    const TCP: &str = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 81234 1 0000000000000000 100 0 0 10 0
   1: 0100007F:1F90 0100007F:A0F2 01 00000010:00000200 00:00000000 00000000     0        0 81240 1 0000000000000000 20 4 30 10 -1
   2: 0100007F:A0F2 0100007F:1F90 06 00000000:00000000 03:00001770 00000000     0        0 0 3 0000000000000000
";
    const TCP6: &str = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:1F91 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 90001 1 0000000000000000 100 0 0 10 0
   1: 0000000000000000FFFF00000100007F:1F92 0000000000000000FFFF00000100007F:C350 01 00000000:00000000 00:00000000 00000000  1000        0 90002 1 0000000000000000 20 4 30 10 -1
";
    const UDP: &str = "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  100: 00000000:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 5000 2 0000000000000000 0
  101: 0100007F:D431 0100007F:0035 01 00000000:00000000 00:00000000 00000000  1000        0 5001 2 0000000000000000 0
";

    #[test]
    fn ipv4_tcp() {
        let mut out = Vec::new();
        let p = parse_table(TCP.as_bytes(), Proto::Tcp, &mut out);
        assert_eq!(p.bad_lines, 0);
        assert_eq!(out.len(), 3);
        let lo: IpAddr = "127.0.0.1".parse().unwrap();
        assert_eq!(out[0].local, (lo, 8080));
        assert_eq!(out[0].remote, ("0.0.0.0".parse().unwrap(), 0));
        assert_eq!((out[0].state, out[0].uid, out[0].inode), (10, 1000, 81234));
        assert_eq!((out[0].send_queue, out[0].recv_queue), (0, 0));
        assert_eq!(out[1].remote, (lo, 41202));
        assert_eq!((out[1].send_queue, out[1].recv_queue), (16, 512));
        assert_eq!((out[2].state, out[2].inode), (6, 0));
    }

    #[test]
    fn ipv6_and_mapped() {
        let mut out = Vec::new();
        let p = parse_table(TCP6.as_bytes(), Proto::Tcp, &mut out);
        assert_eq!(p.bad_lines, 0);
        assert_eq!(out[0].local, ("::1".parse().unwrap(), 8081));
        assert_eq!(out[1].local, ("::ffff:127.0.0.1".parse().unwrap(), 8082));
        assert_eq!(out[1].remote, ("::ffff:127.0.0.1".parse().unwrap(), 50000));
    }

    #[test]
    fn udp() {
        let mut out = Vec::new();
        parse_table(UDP.as_bytes(), Proto::Udp, &mut out);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].local, ("0.0.0.0".parse().unwrap(), 53));
        assert_eq!(out[0].state, 7);
        assert_eq!(out[1].remote, ("127.0.0.1".parse().unwrap(), 53));
    }

    #[test]
    fn bad_lines_are_counted() {
        let text = "header\n   0: zz:1F90 00000000:0000 0A\n   1: 0100007F:1FFFFF 00000000:0000 0A 0:0 0:0 0 0 0 1\n\n";
        let mut out = Vec::new();
        assert_eq!(
            parse_table(text.as_bytes(), Proto::Tcp, &mut out).bad_lines,
            2
        );
        assert!(out.is_empty());
        for cut in 0..TCP.len() {
            parse_table(&TCP.as_bytes()[..cut], Proto::Tcp, &mut Vec::new());
        }
    }
}
