use std::collections::BTreeSet;
use std::net::{IpAddr, TcpListener, TcpStream, UdpSocket};
use std::process::Command;

use crate::common::json;

type Tuple = (String, (IpAddr, u16), Option<(IpAddr, u16)>, String);

/// Parses one `ss` address ("127.0.0.1:80", "[::1]:80", "*:80", "[::ffff:127.0.0.1]:80").
fn ss_addr(text: &str) -> Option<(IpAddr, u16)> {
    let (addr, port) = text.rsplit_once(':')?;
    let addr = addr.trim_start_matches('[').trim_end_matches(']');
    let addr = addr.split('%').next()?;
    let ip: IpAddr = if addr == "*" {
        "::".parse().ok()?
    } else {
        addr.parse().ok()?
    };
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    };
    let port = if port == "*" { 0 } else { port.parse().ok()? };
    Some((ip, port))
}

fn ss_state(proto: &str, state: &str) -> String {
    match (proto, state) {
        ("udp", "UNCONN") => "unconnected",
        ("udp", "ESTAB") => "connected",
        (_, "ESTAB") => "established",
        (_, "LISTEN") => "listen",
        (_, "TIME-WAIT") => "time-wait",
        (_, "CLOSE-WAIT") => "close-wait",
        (_, "SYN-SENT") => "syn-sent",
        (_, "SYN-RECV") => "syn-recv",
        (_, "FIN-WAIT-1") => "fin-wait-1",
        (_, "FIN-WAIT-2") => "fin-wait-2",
        (_, "LAST-ACK") => "last-ack",
        (_, "CLOSING") => "closing",
        (_, other) => other,
    }
    .to_owned()
}

/// Our sockets, by (proto, local address, local port): port numbers alone are shared between
/// protocols and with other tests' leftovers.
type Ours = BTreeSet<(String, (IpAddr, u16))>;

fn ss_tuples(ours: &Ours) -> BTreeSet<Tuple> {
    let out = Command::new("ss").arg("-tuanH").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let mut set = BTreeSet::new();
    for line in text.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 6 {
            continue;
        }
        let (proto, state) = (f[0], f[1]);
        let local = ss_addr(f[4]).unwrap_or_else(|| panic!("ss local {line}"));
        let peer = ss_addr(f[5]).unwrap_or_else(|| panic!("ss peer {line}"));
        // A TIME-WAIT socket left by another test may reuse one of our port numbers.
        let remote_ours = peer.1 == 0 || ours.contains(&(proto.to_owned(), peer));
        if !ours.contains(&(proto.to_owned(), local)) || !remote_ours || state == "TIME-WAIT" {
            continue;
        }
        let state = ss_state(proto, state);
        let remote = (peer.1 != 0).then_some(peer);
        set.insert((proto.to_owned(), local, remote, state));
    }
    set
}

#[test]
fn sockscope_and_ss_agree() {
    if Command::new("ss").arg("-V").output().is_err() {
        eprintln!("SKIPPED: ss (iproute2) is not installed");
        return;
    }
    let l4 = TcpListener::bind("127.0.0.1:0").unwrap();
    let l6 = TcpListener::bind("[::1]:0").unwrap();
    let c4 = TcpStream::connect(l4.local_addr().unwrap()).unwrap();
    let (a4, _) = l4.accept().unwrap();
    let c6 = TcpStream::connect(l6.local_addr().unwrap()).unwrap();
    let (a6, _) = l6.accept().unwrap();
    let u = UdpSocket::bind("127.0.0.1:0").unwrap();
    let uc = UdpSocket::bind("[::1]:0").unwrap();
    let u6 = UdpSocket::bind("[::1]:0").unwrap();
    uc.connect(u6.local_addr().unwrap()).unwrap();
    let tcp = [&l4, &l6].map(|l| l.local_addr().unwrap()).into_iter();
    let tcp = tcp.chain([&c4, &c6, &a4, &a6].map(|c| c.local_addr().unwrap()));
    let udp = [&u, &uc, &u6].map(|s| s.local_addr().unwrap()).into_iter();
    let key = |proto: &str, a: std::net::SocketAddr| (proto.to_owned(), (a.ip(), a.port()));
    let controlled: Ours = tcp
        .map(|a| key("tcp", a))
        .chain(udp.map(|a| key("udp", a)))
        .collect();
    let ss = ss_tuples(&controlled);
    let doc = json(&[]);
    let ours: BTreeSet<Tuple> = doc
        .sockets
        .iter()
        .filter(|s| {
            // Both ends ours: another socket may share a local port number with one of ours.
            controlled.contains(&(s.proto.clone(), (s.local.addr, s.local.port)))
                && s.remote
                    .as_ref()
                    .is_none_or(|r| controlled.contains(&(s.proto.clone(), (r.addr, r.port))))
                && s.state != "time-wait"
        })
        .map(|s| {
            (
                s.proto.clone(),
                (s.local.addr, s.local.port),
                s.remote.as_ref().map(|r| (r.addr, r.port)),
                s.state.clone(),
            )
        })
        .collect();
    // 2 listeners, 4 established ends, 3 UDP sockets.
    assert_eq!(ours.len(), 9, "{ours:#?}");
    let only_ours: Vec<_> = ours.difference(&ss).collect();
    let only_ss: Vec<_> = ss.difference(&ours).collect();
    assert!(
        only_ours.is_empty() && only_ss.is_empty(),
        "only sockscope: {only_ours:?}\nonly ss: {only_ss:?}"
    );
}
