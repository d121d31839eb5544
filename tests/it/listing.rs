use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, TcpListener, TcpStream, UdpSocket};

use crate::common::{Helper, assert_owned_by, conn, json, listener};

fn me() -> u32 {
    std::process::id()
}

#[test]
fn tcp_listener_on_ipv4_loopback() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let doc = json(&[]);
    let found = listener(&doc, port);
    assert_eq!(found.len(), 1, "{found:?}");
    let s = found[0];
    assert_eq!((s.proto.as_str(), s.family.as_str()), ("tcp", "ipv4"));
    assert_eq!(s.state, "listen");
    assert_eq!(s.local.addr, IpAddr::V4(Ipv4Addr::LOCALHOST));
    assert!(s.remote.is_none());
    assert_owned_by(s, &[me()]);
    let owner = &s.owners.as_ref().unwrap()[0];
    assert!(owner.name.as_deref().is_some_and(|n| !n.is_empty()));
    assert!(owner.cmdline.as_ref().is_some_and(|c| !c.is_empty()));
    assert!(s.inode.is_some_and(|i| i > 0));
}

#[test]
fn tcp_listener_on_ipv6_loopback() {
    let l = TcpListener::bind("[::1]:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let doc = json(&[]);
    let found = listener(&doc, port);
    assert_eq!(found.len(), 1, "{found:?}");
    let s = found[0];
    assert_eq!((s.proto.as_str(), s.family.as_str()), ("tcp", "ipv6"));
    assert_eq!(s.state, "listen");
    assert_eq!(s.local.addr, IpAddr::V6(Ipv6Addr::LOCALHOST));
    assert_owned_by(s, &[me()]);
}

#[test]
fn established_tcp_pair() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let client = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let (_server, _) = l.accept().unwrap();
    let cport = client.local_addr().unwrap().port();
    let doc = json(&["-t"]);
    let server_side = conn(&doc, port, cport);
    assert_eq!(server_side.len(), 1);
    assert_eq!(server_side[0].state, "established");
    let remote = server_side[0].remote.as_ref().unwrap();
    assert_eq!(remote.port, cport);
    assert_owned_by(server_side[0], &[me()]);
    let client_side = conn(&doc, cport, port);
    assert_eq!(client_side.len(), 1);
    assert_eq!(client_side[0].state, "established");
    assert_eq!(client_side[0].remote.as_ref().unwrap().port, port);
    assert_owned_by(client_side[0], &[me()]);
    // The client's port came from the ephemeral range, and is marked so.
    let range = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range").unwrap();
    let bounds: Vec<u16> = range
        .split_whitespace()
        .map(|n| n.parse().unwrap())
        .collect();
    assert_eq!(
        client_side[0].local.ephemeral,
        (bounds[0]..=bounds[1]).contains(&cport)
    );
}

#[test]
fn udp_bound_and_connected() {
    let bound = UdpSocket::bind("127.0.0.1:0").unwrap();
    let bport = bound.local_addr().unwrap().port();
    let connected = UdpSocket::bind("127.0.0.1:0").unwrap();
    connected.connect(("127.0.0.1", bport)).unwrap();
    let cport = connected.local_addr().unwrap().port();
    let doc = json(&["-u"]);
    assert!(doc.sockets.iter().all(|s| s.proto == "udp"));
    let b = listener(&doc, bport);
    assert_eq!(b.len(), 1);
    assert_eq!(b[0].state, "unconnected");
    assert!(b[0].remote.is_none());
    assert_owned_by(b[0], &[me()]);
    let c = conn(&doc, cport, bport);
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].state, "connected");
    assert_eq!(c[0].remote.as_ref().unwrap().port, bport);
    assert_owned_by(c[0], &[me()]);
}

#[test]
fn listener_shared_with_a_forked_child_shows_both_owners() {
    let h = Helper::start(
        "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen()\n\
         child = os.fork()\n\
         if child == 0:\n    sys.stdin.read(); os._exit(0)\n\
         print(json.dumps({'port': s.getsockname()[1], 'child': child}))\n",
    );
    let (port, child) = (h.u16("port"), h.u32("child"));
    let doc = json(&["-tl"]);
    let found = listener(&doc, port);
    assert_eq!(found.len(), 1, "{found:?}");
    let mut expected = [h.pid(), child];
    expected.sort_unstable();
    assert_eq!(found[0].owner_pids(), expected.to_vec());
    for o in found[0].owners.as_ref().unwrap() {
        assert_eq!(o.name.as_deref(), Some("python3"));
    }
}

#[test]
fn time_wait_has_no_owner_rather_than_an_unknown_one() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let client = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let cport = client.local_addr().unwrap().port();
    let (server, _) = l.accept().unwrap();
    // The side that closes first ends in TIME-WAIT, once the FIN exchange is through: on a
    // loaded machine that can take a moment, so look again until a deadline.
    drop(client);
    drop(server);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let doc = json(&["-t", "--sport", &cport.to_string()]);
        // The whole tuple: an older TIME-WAIT socket may share the local port number.
        let tw: Vec<_> = doc
            .sockets
            .iter()
            .filter(|s| s.state == "time-wait" && s.remote.as_ref().map(|r| r.port) == Some(port))
            .collect();
        if tw.len() == 1 {
            assert_eq!(tw[0].owners, Some(vec![]));
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no TIME-WAIT socket: {:?}",
            doc.sockets
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn ipv4_mapped_addresses_are_reported_as_ipv4() {
    let h = Helper::start(
        "s = socket.socket(socket.AF_INET6); s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)\n\
         s.bind(('::', 0)); s.listen()\n\
         c = socket.create_connection(('127.0.0.1', s.getsockname()[1])); a, _ = s.accept()\n\
         print(json.dumps({'port': s.getsockname()[1], 'client': c.getsockname()[1]}))\n",
    );
    let (port, client) = (h.u16("port"), h.u16("client"));
    let doc = json(&["-t"]);
    let listening = listener(&doc, port);
    assert_eq!(listening.len(), 1);
    assert_eq!(listening[0].family, "ipv6");
    let accepted = conn(&doc, port, client);
    assert_eq!(accepted.len(), 1);
    assert_eq!(accepted[0].state, "established");
    assert_eq!(accepted[0].family, "ipv4");
    assert_eq!(accepted[0].local.addr, IpAddr::V4(Ipv4Addr::LOCALHOST));
    assert_owned_by(accepted[0], &[h.pid()]);
    // And -4 finds it (a dual-stack socket's mapped address counts as IPv4), -6 does not.
    assert_eq!(conn(&json(&["-t4"]), port, client).len(), 1);
    assert!(conn(&json(&["-t6"]), port, client).is_empty());
}

#[test]
fn listening_filter_and_protocol_families() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let c = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let cport = c.local_addr().unwrap().port();
    let u6 = UdpSocket::bind("[::1]:0").unwrap();
    let uport = u6.local_addr().unwrap().port();

    let listening = json(&["-l"]);
    assert!(
        listening
            .sockets
            .iter()
            .all(|s| s.state == "listen" || s.state == "unconnected")
    );
    assert_eq!(listener(&listening, port).len(), 1);
    assert!(conn(&listening, cport, port).is_empty());
    assert_eq!(listener(&listening, uport).len(), 1);

    let v6 = json(&["-6"]);
    assert!(v6.sockets.iter().all(|s| s.family == "ipv6"));
    assert_eq!(listener(&v6, uport).len(), 1);
    assert!(listener(&v6, port).is_empty());

    let v4 = json(&["-4", "-t"]);
    assert!(
        v4.sockets
            .iter()
            .all(|s| s.family == "ipv4" && s.proto == "tcp")
    );
    assert_eq!(listener(&v4, port).len(), 1);
    assert_eq!(conn(&v4, cport, port).len(), 1);
    assert!(listener(&v4, uport).is_empty());
}

#[test]
fn no_owners_reports_unknown_not_empty() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let doc = json(&["--no-owners"]);
    let found = listener(&doc, port);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].owners, None);
}

#[test]
fn services_and_classes_are_reported() {
    let doc = json(&[]);
    for s in &doc.sockets {
        let expected = match s.local.port {
            0..=1023 => "well-known",
            1024..=49151 => "registered",
            _ => "dynamic",
        };
        assert_eq!(s.local.class, expected, "{s:?}");
    }
    // Bind whichever of these well-known TCP service ports is free here.
    let candidates = [
        (8080, "http-alt"),
        (6379, "redis"),
        (5432, "postgresql"),
        (3306, "mysql"),
    ];
    let (held, port, name) = candidates
        .iter()
        .find_map(|&(p, n)| TcpListener::bind(("127.0.0.1", p)).ok().map(|l| (l, p, n)))
        .expect("one of the candidate ports is free");
    let doc = json(&["-tl"]);
    let found = listener(&doc, port);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].local.service.as_deref(), Some(name));
    assert_eq!(found[0].local.class, "registered");
    drop(held);
}

#[test]
fn document_header_fields() {
    let doc = json(&["-t"]);
    // RFC 3339, UTC, second precision: 2026-11-21T09:00:00Z
    let t = doc.taken_at.as_bytes();
    assert_eq!(t.len(), 20, "{}", doc.taken_at);
    assert_eq!(
        (t[4], t[7], t[10], t[13], t[16], t[19]),
        (b'-', b'-', b'T', b':', b':', b'Z')
    );
    let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    assert_eq!(doc.host, hostname.trim());
    if is_root() {
        // Root may read every process here; a socket held outside this PID namespace is
        // reported as unknown (another warning), never as hidden by permissions.
        assert!(
            doc.warnings
                .iter()
                .all(|w| !w.contains("permission denied")),
            "{:?}",
            doc.warnings
        );
    }
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

#[test]
fn info_reports_tcp_internals_of_a_real_transfer() {
    use std::io::{Read, Write};
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let mut client = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let cport = client.local_addr().unwrap().port();
    let (mut server, _) = l.accept().unwrap();
    let payload = vec![7u8; 200_000];
    let writer = std::thread::spawn(move || {
        client.write_all(&payload).unwrap();
        client
    });
    let mut got = vec![0u8; 200_000];
    server.read_exact(&mut got).unwrap();
    let _client = writer.join().unwrap();
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();

    let doc = json(&["-i"]);
    let sender = conn(&doc, cport, port)[0]
        .tcp
        .clone()
        .expect("tcp object with --info");
    assert!(sender.bytes_acked.unwrap() >= 200_000, "{sender:?}");
    assert!(sender.cwnd.unwrap() > 0);
    assert!(sender.rtt_us.is_some() && sender.congestion.is_some());
    let receiver = conn(&doc, port, cport)[0].tcp.clone().unwrap();
    assert!(receiver.bytes_received.unwrap() >= 200_000, "{receiver:?}");
    assert_eq!(receiver.recv_queue, Some(0), "everything was read");
    let u = listener(&doc, udp.local_addr().unwrap().port());
    assert_eq!(u[0].tcp, None, "no tcp object for UDP");
    // Without --info there is none either.
    assert_eq!(conn(&json(&[]), cport, port)[0].tcp, None);
}
