use std::collections::HashSet;
use std::ffi::OsString;
use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::os::unix::ffi::OsStringExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sockscope::collect::{Collector, Query};
use sockscope::model::SocketState;

use crate::common::{Document, Helper, bin, conn, listener, run};

/// A child that opens and closes loopback connections as fast as it can, to its own listener on
/// 127.0.0.12, until COUNT connections or SECONDS pass. Both ends close with SO_LINGER 0 (a
/// reset), so the churn is sockets in flight rather than a pile of TIME-WAIT.
fn churner(count: u32, seconds: u32) -> Helper {
    Helper::start(&format!(
        "import threading, struct\n\
         RST = struct.pack('ii', 1, 0)\n\
         l = socket.socket(); l.bind(('127.0.0.12', 0)); l.listen(1024)\n\
         def serve():\n    while True:\n        a, _ = l.accept(); a.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, RST); a.close()\n\
         threading.Thread(target=serve, daemon=True).start()\n\
         print(json.dumps({{'port': l.getsockname()[1]}}), flush=True)\n\
         end = time.time() + {seconds}\n\
         n = 0\n\
         while n < {count} and time.time() < end:\n    c = socket.create_connection(('127.0.0.12', l.getsockname()[1])); c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, RST); c.close(); n += 1\n"
    ))
}

/// The machine's count of TCP connections opened so far (`ActiveOpens` in /proc/net/snmp).
fn active_opens() -> u64 {
    let snmp = std::fs::read_to_string("/proc/net/snmp").unwrap();
    let mut tcp = snmp.lines().filter(|l| l.starts_with("Tcp:"));
    let (names, values) = (tcp.next().unwrap(), tcp.next().unwrap());
    let at = names
        .split_whitespace()
        .position(|n| n == "ActiveOpens")
        .unwrap();
    values.split_whitespace().nth(at).unwrap().parse().unwrap()
}

/// Sockets must be unique: the same socket twice in one listing is a lie about the machine.
fn assert_no_duplicates(doc: &Document) {
    let mut seen = HashSet::new();
    for s in &doc.sockets {
        let key = format!(
            "{} {}:{} {:?} {} {:?}",
            s.proto,
            s.local.addr,
            s.local.port,
            s.remote.as_ref().map(|r| (r.addr, r.port)),
            s.state,
            s.inode
        );
        assert!(seen.insert(key.clone()), "duplicate row: {key}");
    }
}

#[test]
fn churn_does_not_break_listing_who_or_the_collector() {
    // Stable sockets on 127.0.0.13, held by this process throughout.
    let l = TcpListener::bind("127.0.0.13:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let client = TcpStream::connect(("127.0.0.13", port)).unwrap();
    let (_server, _) = l.accept().unwrap();
    let cport = client.local_addr().unwrap().port();
    let me = std::process::id();

    let opened_before = active_opens();
    let churners: Vec<Helper> = (0..4).map(|_| churner(20_000, 15)).collect();
    let start = Instant::now();
    let mut collector = Collector::new();
    let query = Query {
        owners: true,
        info: true,
        ..Query::default()
    };
    let (mut listings, mut whos, mut collections) = (0, 0, 0);
    while start.elapsed() < Duration::from_secs(12) && (collections < 500 || listings < 50) {
        // The library collector, as the dashboard uses it.
        for _ in 0..10 {
            let snap = collector
                .snapshot(&query)
                .expect("the collector never fails under churn");
            let stable = snap
                .sockets
                .iter()
                .find(|s| s.local.port == port && s.state == SocketState::Listen);
            let stable = stable.expect("the stable listener is always there");
            assert!(
                stable.owners.as_ref().is_some_and(|o| o.contains(&me)),
                "{stable:?}"
            );
            collections += 1;
        }
        // The binary: a full listing.
        let out = bin().arg("--json").output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let doc: Document = serde_json::from_slice(&out.stdout).unwrap();
        assert_no_duplicates(&doc);
        for s in listener(&doc, port).iter().chain(&conn(&doc, cport, port)) {
            assert!(
                s.owner_pids().contains(&me),
                "stable socket without its owner: {s:?}"
            );
        }
        listings += 1;
        // And who.
        let out = run(&["who", "-t", &format!("127.0.0.13:{port}")]);
        assert_eq!(out.status.code(), Some(0));
        let pids: Vec<u32> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| l.parse().unwrap())
            .collect();
        assert!(pids.contains(&me), "{pids:?}");
        whos += 1;
    }
    let rate = (active_opens() - opened_before) as f64 / start.elapsed().as_secs_f64();
    eprintln!(
        "under churn of {rate:.0} connections/s: {listings} listings, {whos} who, \
         {collections} collector snapshots"
    );
    assert!(
        rate > 1000.0,
        "the churn really happened: {rate:.0} connections/s"
    );
    assert!(listings >= 10 && collections >= 100, "enough rounds ran");
    drop(churners);
}

#[test]
fn bad_command_lines_exit_2_with_a_message_naming_the_problem() {
    let cases: &[(&[&str], &str)] = &[
        (&["--port", "70000"], "70000"),
        (&["--port=-1"], "-1"),
        (&["--port", ""], "missing"),
        (&["--sport", "10-5"], "10-5"),
        (&["--sport", "1,,2"], "missing"),
        (&["--dport", "http"], "http"),
        (&["--dport", "99999999999999999999"], "99999999999999999999"),
        (&["--state", "establishd"], "establishd"),
        (&["--state", ""], "state"),
        (&["--addr", "10.0.0"], "10.0.0"),
        (&["--addr", "999.1.1.1"], "999.1.1.1"),
        (&["--addr", "::1::2"], "::1::2"),
        (&["--pid=-4"], "-4"),
        (&["--pid", "4x"], "4x"),
        (&["--pid", "99999999999999999999"], "99999999999999999999"),
        (&["--class", "huge"], "huge"),
        (&["--user", ""], "missing"),
        (&["--user", "no-such-user-xyz"], "no-such-user-xyz"),
        (&[":99999"], "99999"),
        (&[":80-70"], "80-70"),
        (&["--color", "sometimes"], "sometimes"),
        (&["-p", "--no-owners"], "--no-owners"),
        (&["--no-owners", "--process", "x"], "--no-owners"),
        (&["--json", "who", "80"], "--json"),
        (&["who"], "PORT"),
        (&["who", "localhost:80"], "localhost"),
        (&["who", "::1:80"], "::1:80"),
        (&["who", "[::1]"], "[::1]"),
        (&["who", "18446744073709551616"], "18446744073709551616"),
        (&["who", "-t", "--json", "80"], "--json"),
        (&["kill", "--signal", "BOGUS", "80"], "BOGUS"),
        (&["kill", "--wait", "soon", "80"], "soon"),
        (&["kill", "--wait=-3", "80"], "-3"),
        (&["kill", "--wait", "999999", "80"], "999999"),
        (&["top", "--interval", "0"], "0"),
        (&["top", "--interval", "abc"], "abc"),
        (&["frobnicate"], "frobnicate"),
        (&["--bogus"], "--bogus"),
        (&["-z"], "-z"),
    ];
    assert!(cases.len() >= 30);
    for (args, needle) in cases {
        let out = run(args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains(needle),
            "{args:?} should name {needle:?}: {err}"
        );
        assert_eq!(
            err.trim_end().lines().count(),
            1,
            "{args:?}: one line: {err}"
        );
        assert!(
            !err.contains("panicked") && out.stdout.is_empty(),
            "{args:?}"
        );
    }
    // An argument that is not UTF-8.
    let bad = OsString::from_vec(b"--process=\xff\xfe".to_vec());
    let out = bin().arg(bad).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("UTF-8"), "{err}");
}

fn setpriv(extra: &[&str]) -> Option<Command> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 || Command::new("setpriv").arg("--version").output().is_err()
    {
        eprintln!("SKIPPED: needs root and setpriv to run sockscope as another user");
        return None;
    }
    let mut cmd = Command::new("setpriv");
    cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups"]);
    cmd.args(extra);
    cmd.arg("--").arg(env!("CARGO_BIN_EXE_sockscope"));
    Some(cmd)
}

#[test]
fn kill_of_a_foreign_process_is_refused_per_pid() {
    let h = Helper::start(
        "s = socket.socket(); s.bind(('127.0.0.14', 0)); s.listen()\n\
         print(json.dumps({'port': s.getsockname()[1]}))\n",
    );
    let target = format!("127.0.0.14:{}", h.u16("port"));
    // Plain nobody cannot even see the owner: it says so, and signals nothing.
    let Some(mut plain) = setpriv(&[]) else {
        return;
    };
    let out = plain.args(["kill", "--yes", &target]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot see"));
    // With the read capabilities the owner is visible, and the signal is still not allowed.
    let caps = "+sys_ptrace,+dac_read_search";
    let Some(mut capable) = setpriv(&[
        &format!("--inh-caps={caps}"),
        &format!("--ambient-caps={caps}"),
    ]) else {
        return;
    };
    let out = capable.args(["kill", "--yes", &target]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!("PID {}", h.pid())) && err.contains("permission denied"),
        "{err}"
    );
    assert!(
        std::path::Path::new(&format!("/proc/{}", h.pid())).exists(),
        "still running"
    );
}

#[test]
fn a_slow_reader_gets_whole_lines() {
    let _listeners: Vec<TcpListener> = (0..200)
        .map(|_| TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    for args in [&["-t"][..], &["--json"]] {
        let mut child = bin()
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let mut text = Vec::new();
        let mut buf = [0u8; 997];
        loop {
            let n = stdout.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            text.extend_from_slice(&buf[..n]);
            std::thread::sleep(Duration::from_millis(1));
        }
        assert!(child.wait().unwrap().success());
        let text = String::from_utf8(text).unwrap();
        assert!(
            text.ends_with('\n'),
            "{args:?}: the output ends with a whole line"
        );
        if args == ["--json"] {
            let _: Document = serde_json::from_str(&text).unwrap();
        } else {
            for line in text.lines() {
                assert!(
                    line.split_whitespace().count() >= 9,
                    "a broken row: {line:?}"
                );
            }
        }
    }
}
