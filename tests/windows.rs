//! The Windows backend against the real OS and the real binary: sockets bound here are found
//! with the right protocol, family, state, port and owner, and `kill`'s TerminateProcess ends a
//! process. On Linux CI this runs under Wine (see `.ci/run`), where a socket's owning PID reads
//! as 0; there, and only there, the owner check is relaxed. Sockets stay on loopback.
#![cfg(windows)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::Deserialize;
use sockscope::kill::{OsSignaller, SendError, Signal, Signaller};

#[derive(Debug, Deserialize)]
struct Document {
    schema: u32,
    sockets: Vec<JSocket>,
}

#[derive(Debug, Deserialize)]
struct JSocket {
    proto: String,
    family: String,
    local: JEndpoint,
    remote: Option<JEndpoint>,
    state: String,
    owners: Option<Vec<JOwner>>,
}

#[derive(Debug, Deserialize)]
struct JEndpoint {
    addr: String,
    port: u16,
}

#[derive(Debug, Deserialize)]
struct JOwner {
    pid: u32,
    name: Option<String>,
}

/// Whether this is Wine rather than Windows: Wine's ntdll exports `wine_get_version`.
fn under_wine() -> bool {
    use windows_sys::Win32::System::LibraryLoader::{GetModuleHandleA, GetProcAddress};
    // SAFETY: both names are NUL-terminated literals; ntdll is loaded in every process, and a
    // missing export is a null result, not an error.
    unsafe {
        let ntdll = GetModuleHandleA(c"ntdll.dll".as_ptr().cast());
        !ntdll.is_null() && GetProcAddress(ntdll, c"wine_get_version".as_ptr().cast()).is_some()
    }
}

fn json(args: &[&str]) -> Document {
    let out = Command::new(env!("CARGO_BIN_EXE_sockscope"))
        .arg("--json")
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "sockscope --json {args:?} failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Document = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc.schema, 1);
    doc
}

/// The socket with this local address and, when given, this remote port.
fn find<'a>(doc: &'a Document, proto: &str, local: SocketAddr, remote: Option<u16>) -> &'a JSocket {
    doc.sockets
        .iter()
        .find(|s| {
            s.proto == proto
                && s.local.port == local.port()
                && s.local.addr == local.ip().to_string()
                && s.remote.as_ref().map(|r| r.port) == remote
        })
        .unwrap_or_else(|| panic!("no {proto} socket {local} (remote {remote:?}) in {doc:#?}"))
}

/// The socket is ours: owned by this process, or, under Wine, which reports every owner as
/// PID 0, by nobody. Nothing else is relaxed.
fn assert_ours(s: &JSocket) {
    let owners = s.owners.as_ref().expect("owners are known on Windows");
    let pids: Vec<u32> = owners.iter().map(|o| o.pid).collect();
    if under_wine() && pids.is_empty() {
        return;
    }
    assert_eq!(pids, vec![std::process::id()], "{s:#?}");
    let name = owners[0]
        .name
        .as_deref()
        .unwrap_or_default()
        .to_ascii_lowercase();
    assert!(name.starts_with("windows-"), "owner name {name:?}");
}

#[test]
fn finds_a_tcp_listener_a_connection_and_a_udp_socket() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let laddr = listener.local_addr().unwrap();
    let client = TcpStream::connect(laddr).unwrap();
    let (server, _) = listener.accept().unwrap();
    let caddr = client.local_addr().unwrap();
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    let uaddr = udp.local_addr().unwrap();

    let doc = json(&[]);
    let l = find(&doc, "tcp", laddr, None);
    assert_eq!((l.family.as_str(), l.state.as_str()), ("ipv4", "listen"));
    assert_ours(l);
    let c = find(&doc, "tcp", caddr, Some(laddr.port()));
    assert_eq!(
        (c.family.as_str(), c.state.as_str()),
        ("ipv4", "established")
    );
    assert_eq!(c.remote.as_ref().unwrap().addr, "127.0.0.1");
    assert_ours(c);
    let s = find(&doc, "tcp", laddr, Some(caddr.port()));
    assert_eq!(s.state, "established");
    assert_ours(s);
    let u = find(&doc, "udp", uaddr, None);
    assert_eq!(
        (u.family.as_str(), u.state.as_str()),
        ("ipv4", "unconnected")
    );
    assert_ours(u);
    drop((client, server, udp));
}

#[test]
fn finds_ipv6_sockets() {
    let Ok(listener) = TcpListener::bind("[::1]:0") else {
        eprintln!("no IPv6 loopback here; skipped");
        return;
    };
    let laddr = listener.local_addr().unwrap();
    let udp = UdpSocket::bind("[::1]:0").unwrap();
    let uaddr = udp.local_addr().unwrap();
    let doc = json(&["-6"]);
    let l = find(&doc, "tcp", laddr, None);
    assert_eq!((l.family.as_str(), l.state.as_str()), ("ipv6", "listen"));
    assert_eq!(l.local.addr, "::1");
    assert_ours(l);
    let u = find(&doc, "udp", uaddr, None);
    assert_eq!(u.family, "ipv6");
    assert_ours(u);
}

#[test]
fn filters_are_applied() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let doc = json(&["-t", "-l", &format!(":{port}")]);
    assert_eq!(doc.sockets.len(), 1, "{doc:#?}");
    assert_eq!(doc.sockets[0].local.port, port);
    // Nothing on this UDP port: exit 1 and an empty list.
    let out = Command::new(env!("CARGO_BIN_EXE_sockscope"))
        .args(["--json", "-u", &format!(":{port}")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc: Document = serde_json::from_slice(&out.stdout).unwrap();
    assert!(doc.sockets.is_empty());
}

/// Not a test of its own: the process `terminate_ends_a_process` starts and ends.
#[test]
#[ignore = "helper process for terminate_ends_a_process"]
fn sleeper() {
    if std::env::var_os("SOCKSCOPE_SLEEPER").is_some() {
        std::thread::sleep(Duration::from_secs(60));
    }
}

#[test]
fn terminate_ends_a_process() {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--ignored", "--exact", "sleeper", "--nocapture"])
        .env("SOCKSCOPE_SLEEPER", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut os = OsSignaller;
    assert!(os.alive(pid));
    // Windows has no HUP or STOP; only TERM and KILL, both TerminateProcess.
    match os.send(pid, Signal::Hup) {
        Err(SendError::Unsupported(why)) => assert!(why.contains("terminate"), "{why}"),
        other => panic!("HUP: {other:?}"),
    }
    assert!(os.alive(pid));
    os.send(pid, Signal::Term).unwrap();
    let start = Instant::now();
    while os.alive(pid) && start.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!os.alive(pid), "still running after TerminateProcess");
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(1));
    // Reaped and its last handle closed: a second signal says it is gone. (Wine still opens
    // and "terminates" an exited process, so there it may also succeed; it must not fail.)
    drop(child);
    let again = os.send(pid, Signal::Kill);
    if under_wine() {
        assert!(matches!(again, Ok(()) | Err(SendError::Gone)), "{again:?}");
    } else {
        assert_eq!(again, Err(SendError::Gone));
    }
}

#[test]
fn liveness_of_this_and_no_process() {
    assert!(sockscope::collect::process_alive(std::process::id()));
    assert!(!sockscope::collect::process_alive(0));
    assert!(!sockscope::collect::process_alive(u32::MAX - 3));
}
