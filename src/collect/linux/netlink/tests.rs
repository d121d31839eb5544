use super::*;

/// Builds one netlink message around `payload`.
fn message(kind: u16, flags: u16, seq: u32, payload: &[u8]) -> Vec<u8> {
    let len = NLMSG_HDRLEN + payload.len();
    let mut m = Vec::new();
    m.extend_from_slice(&(len as u32).to_ne_bytes());
    m.extend_from_slice(&kind.to_ne_bytes());
    m.extend_from_slice(&flags.to_ne_bytes());
    m.extend_from_slice(&seq.to_ne_bytes());
    m.extend_from_slice(&0u32.to_ne_bytes());
    m.extend_from_slice(payload);
    while !m.len().is_multiple_of(4) {
        m.push(0);
    }
    m
}

/// An `inet_diag_msg` for 127.0.0.1:8080 → 127.0.0.1:40000, plus one attribute.
fn diag_v4(state: u8, inode: u32) -> Vec<u8> {
    let mut p = vec![0u8; DIAG_MSG_LEN];
    p[0] = AF_INET;
    p[1] = state;
    p[4..6].copy_from_slice(&8080u16.to_be_bytes());
    p[6..8].copy_from_slice(&40000u16.to_be_bytes());
    p[8..12].copy_from_slice(&[127, 0, 0, 1]);
    p[24..28].copy_from_slice(&[127, 0, 0, 1]);
    p[64..68].copy_from_slice(&1000u32.to_ne_bytes());
    p[68..72].copy_from_slice(&inode.to_ne_bytes());
    // INET_DIAG_SHUTDOWN attribute (len 5, padded to 8).
    p.extend_from_slice(&[5, 0, 8, 0, 0, 0, 0, 0]);
    p
}

#[test]
fn request_layout() {
    let r = DumpRequest {
        family: AF_INET6,
        proto: Proto::Udp,
        states: 0xfff,
        bytecode: None,
        info: false,
    }
    .encode(7);
    assert_eq!(r.len(), 72);
    assert_eq!(u32_at(&r, 0), 72);
    assert_eq!(u16_at(&r, 4), SOCK_DIAG_BY_FAMILY);
    assert_eq!(u16_at(&r, 6), NLM_F_REQUEST | NLM_F_DUMP);
    assert_eq!(u32_at(&r, 8), 7);
    assert_eq!(&r[16..18], &[AF_INET6, IPPROTO_UDP]);
    assert_eq!(u32_at(&r, 20), 0xfff);
    assert_eq!(&r[64..72], &[0xff; 8]);
    let with_bc = DumpRequest {
        family: AF_INET,
        proto: Proto::Tcp,
        states: 1 << 10,
        bytecode: Some(vec![1, 4, 4, 0]),
        info: true,
    }
    .encode(1);
    assert_eq!(u32_at(&with_bc, 0), 80);
    assert_eq!(
        with_bc[18], 0b1010,
        "INET_DIAG_INFO and INET_DIAG_CONG requested"
    );
    assert_eq!(&with_bc[72..80], &[8, 0, 1, 0, 1, 4, 4, 0]);
}

#[test]
fn parses_sockets_then_done() {
    let mut buf = message(SOCK_DIAG_BY_FAMILY, 0x2, 9, &diag_v4(10, 4242));
    buf.extend(message(SOCK_DIAG_BY_FAMILY, 0x2, 9, &diag_v4(1, 4243)));
    buf.extend(message(NLMSG_DONE, 0x2, 9, &0i32.to_ne_bytes()));
    let mut got = Vec::new();
    let p = parse_messages(&buf, 9, Proto::Tcp, &mut |s| got.push(s)).unwrap();
    assert!(p.done && !p.interrupted);
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].local, ("127.0.0.1".parse().unwrap(), 8080));
    assert_eq!(got[0].remote.1, 40000);
    assert_eq!((got[0].state, got[0].inode, got[0].uid), (10, 4242, 1000));
}

fn tcp_info_bytes(len: usize) -> Vec<u8> {
    let mut b = vec![0u8; len];
    let mut put32 = |at: usize, v: u32| {
        if at + 4 <= len {
            b[at..at + 4].copy_from_slice(&v.to_ne_bytes());
        }
    };
    put32(68, 1500);
    put32(72, 250);
    put32(80, 10);
    put32(100, 3);
    let mut b2 = b.clone();
    for (at, v) in [(120usize, 1_000u64), (128, 2_000), (200, 3_000)] {
        if at + 8 <= len {
            b2[at..at + 8].copy_from_slice(&v.to_ne_bytes());
        }
    }
    if len > 2 {
        b2[2] = 1;
    }
    b2
}

#[test]
fn tcp_info_of_every_length_parses() {
    let full = parse_tcp_info(&tcp_info_bytes(232));
    assert_eq!(full.rtt_us, Some(1500));
    assert_eq!(full.rttvar_us, Some(250));
    assert_eq!(full.cwnd, Some(10));
    assert_eq!(full.retransmits, Some(1));
    assert_eq!(full.total_retransmits, Some(3));
    assert_eq!(
        (full.bytes_acked, full.bytes_received, full.bytes_sent),
        (Some(1000), Some(2000), Some(3000))
    );
    // A kernel from before bytes_sent existed (4.x) sends 160 bytes.
    let old = parse_tcp_info(&tcp_info_bytes(160));
    assert_eq!((old.bytes_acked, old.bytes_sent), (Some(1000), None));
    // The oldest layouts stop before the byte counters.
    let older = parse_tcp_info(&tcp_info_bytes(104));
    assert_eq!(
        (older.total_retransmits, older.bytes_acked),
        (Some(3), None)
    );
    for len in 0..300 {
        let _ = parse_tcp_info(&tcp_info_bytes(len));
    }
}

#[test]
fn attributes_carry_info_and_congestion_and_short_ones_do_not_drop_the_socket() {
    let mut p = diag_v4(1, 7);
    p.truncate(DIAG_MSG_LEN);
    let info = tcp_info_bytes(104);
    p.extend_from_slice(&((4 + info.len()) as u16).to_ne_bytes());
    p.extend_from_slice(&INET_DIAG_INFO.to_ne_bytes());
    p.extend_from_slice(&info);
    p.extend_from_slice(&10u16.to_ne_bytes());
    p.extend_from_slice(&INET_DIAG_CONG.to_ne_bytes());
    p.extend_from_slice(b"cubic\0\0\0");
    let s = parse_diag_msg(Proto::Tcp, &p).unwrap();
    let info = s.info.unwrap();
    assert_eq!(info.rtt_us, Some(1500));
    assert_eq!(info.congestion.as_deref(), Some("cubic"));
    // A truncated or lying attribute header: the socket survives, without internals.
    for cut in DIAG_MSG_LEN..p.len() {
        let s = parse_diag_msg(Proto::Tcp, &p[..cut]).unwrap();
        assert_eq!(s.inode, 7);
    }
    let mut bad = p.clone();
    bad[DIAG_MSG_LEN..DIAG_MSG_LEN + 2].copy_from_slice(&u16::MAX.to_ne_bytes());
    assert!(parse_diag_msg(Proto::Tcp, &bad).unwrap().info.is_none());
}

#[test]
fn ipv6_addresses() {
    let mut p = vec![0u8; DIAG_MSG_LEN];
    p[0] = AF_INET6;
    p[1] = 10;
    p[4..6].copy_from_slice(&443u16.to_be_bytes());
    p[8..24].copy_from_slice(&Ipv6Addr::LOCALHOST.octets());
    let s = parse_diag_msg(Proto::Tcp, &p).unwrap();
    assert_eq!(s.local, (IpAddr::V6(Ipv6Addr::LOCALHOST), 443));
    assert_eq!(s.remote, (IpAddr::V6(Ipv6Addr::UNSPECIFIED), 0));
}

#[test]
fn errors_are_reported_not_swallowed() {
    let err = message(NLMSG_ERROR, 0, 3, &(-2i32).to_ne_bytes());
    assert_eq!(
        parse_messages(&err, 3, Proto::Udp, &mut |_| {}),
        Err(NetlinkError::Kernel(2))
    );
    let done_err = message(NLMSG_DONE, 0, 3, &(-22i32).to_ne_bytes());
    assert_eq!(
        parse_messages(&done_err, 3, Proto::Udp, &mut |_| {}),
        Err(NetlinkError::Kernel(22))
    );
    let overrun = message(NLMSG_OVERRUN, 0, 3, &[]);
    assert_eq!(
        parse_messages(&overrun, 3, Proto::Udp, &mut |_| {}),
        Err(NetlinkError::Overrun)
    );
}

#[test]
fn interrupted_dump_is_flagged() {
    let buf = message(SOCK_DIAG_BY_FAMILY, NLM_F_DUMP_INTR, 1, &diag_v4(1, 1));
    let p = parse_messages(&buf, 1, Proto::Tcp, &mut |_| {}).unwrap();
    assert!(p.interrupted && !p.done);
}

#[test]
fn stale_sequence_numbers_are_skipped() {
    let mut buf = message(SOCK_DIAG_BY_FAMILY, 0, 1, &diag_v4(1, 1));
    buf.extend(message(NLMSG_DONE, 0, 1, &0i32.to_ne_bytes()));
    let mut n = 0;
    let p = parse_messages(&buf, 2, Proto::Tcp, &mut |_| n += 1).unwrap();
    assert_eq!((n, p.done), (0, false));
}

#[test]
fn malformed_input_is_an_error_not_a_panic() {
    let good = message(SOCK_DIAG_BY_FAMILY, 0, 1, &diag_v4(1, 1));
    for cut in 0..good.len() {
        let _ = parse_messages(&good[..cut], 1, Proto::Tcp, &mut |_| {});
    }
    let short = message(SOCK_DIAG_BY_FAMILY, 0, 1, &[AF_INET; 40]);
    assert!(parse_messages(&short, 1, Proto::Tcp, &mut |_| {}).is_err());
    let mut huge_len = good.clone();
    huge_len[0..4].copy_from_slice(&u32::MAX.to_ne_bytes());
    assert!(parse_messages(&huge_len, 1, Proto::Tcp, &mut |_| {}).is_err());
    let mut bad_family = diag_v4(1, 1);
    bad_family[0] = 99;
    let m = message(SOCK_DIAG_BY_FAMILY, 0, 1, &bad_family);
    assert!(parse_messages(&m, 1, Proto::Tcp, &mut |_| {}).is_err());
}
