use std::net::TcpListener;
use std::time::{Duration, Instant};

use crate::common::{Helper, parent_of, run};

/// The loopback address these tests listen on. No other test and no ordinary client uses it, so
/// `who`/`kill` aimed at `ADDR:PORT` can only reach the test's own processes, even on a busy
/// machine where a stranger's connection may have the same local port number.
const ADDR: &str = "127.0.0.7";

fn at(port: u16) -> String {
    format!("{ADDR}:{port}")
}

/// A Python listener plus a forked child sharing it; SIGTERM ends both.
fn shared_listener() -> (Helper, u16, u32) {
    let h = Helper::start(
        "s = socket.socket(); s.bind(('127.0.0.7', 0)); s.listen()\n\
         child = os.fork()\n\
         if child == 0:\n    sys.stdin.read(); os._exit(0)\n\
         print(json.dumps({'port': s.getsockname()[1], 'child': child}))\n",
    );
    let (port, child) = (h.u16("port"), h.u32("child"));
    (h, port, child)
}

fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            let state = stat
                .rsplit_once(')')
                .map(|(_, r)| r.trim_start().chars().next());
            !matches!(state, Some(Some('Z' | 'X')) | None)
        }
        Err(_) => false,
    }
}

fn wait_gone(pid: u32) -> bool {
    let start = Instant::now();
    while alive(pid) {
        if start.elapsed() > Duration::from_secs(5) {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    true
}

/// `who -t` output: sorted distinct PIDs, one per line, holding `expected`; any other PID is a
/// child this test process forked for another test and that has not reached `exec` yet.
fn assert_pids(out: &str, expected: &[u32]) {
    let pids: Vec<u32> = out.lines().map(|l| l.parse().unwrap()).collect();
    let mut sorted = pids.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(pids, sorted, "sorted and distinct: {out}");
    for pid in expected {
        assert!(pids.contains(pid), "{pid} missing: {out}");
    }
    for pid in pids.iter().filter(|p| !expected.contains(p)) {
        let parent = parent_of(*pid);
        assert!(
            parent.is_none() || parent == Some(std::process::id()),
            "unexpected {pid}"
        );
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn who_finds_every_owner_and_terse_prints_only_pids() {
    let (h, port, child) = shared_listener();
    let out = run(&["who", &at(port)]);
    assert_eq!(out.status.code(), Some(0));
    let table = text(&out.stdout);
    let lines: Vec<&str> = table.lines().collect();
    assert!(
        lines[0].starts_with("PID") && lines[0].contains("COMMAND"),
        "{table}"
    );
    assert_eq!(lines.len(), 3, "{table}");
    for pid in [h.pid(), child] {
        let row = lines
            .iter()
            .find(|l| l.starts_with(&format!("{pid} ")))
            .unwrap();
        assert!(row.contains("python3") && row.contains("LISTEN"));
        assert!(row.contains(&at(port)));
        assert!(
            row.contains("sys.stdin.read()"),
            "the command line is shown: {row}"
        );
    }
    let mut expected = [h.pid(), child];
    expected.sort_unstable();
    let want: String = expected.iter().map(|p| format!("{p}\n")).collect();
    // The forms of PORT. Without an address, --state listen keeps out a stranger's connection
    // that may have the same local port number on a busy machine.
    for form in [
        vec![at(port)],
        vec!["--tcp".to_owned(), at(port)],
        vec!["--state".to_owned(), "listen".to_owned(), port.to_string()],
        vec![
            "--state".to_owned(),
            "listen".to_owned(),
            format!(":{port}"),
        ],
    ] {
        let mut argv = vec!["who", "-t"];
        argv.extend(form.iter().map(String::as_str));
        let out = run(&argv);
        assert_eq!(out.status.code(), Some(0));
        assert_eq!(text(&out.stdout), want, "{form:?}");
    }
    // Another address, the other protocol, the other family: nothing.
    for args in [
        vec![
            "who".to_owned(),
            "-t".to_owned(),
            format!("127.0.0.2:{port}"),
        ],
        vec!["who".to_owned(), "--udp".to_owned(), at(port)],
        vec!["who".to_owned(), "-t".to_owned(), format!("[::1]:{port}")],
    ] {
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run(&argv);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    // JSON: the listing's document, filtered.
    let out = run(&["who", "--json", &at(port)]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["sockets"].as_array().unwrap().len(), 1);
    assert_eq!(v["sockets"][0]["owners"].as_array().unwrap().len(), 2);
}

#[test]
fn who_remote_adds_the_clients() {
    let l = TcpListener::bind((ADDR, 0)).unwrap();
    let port = l.local_addr().unwrap().port();
    let h = Helper::start(&format!(
        "c = socket.create_connection(('{ADDR}', {port}))\nprint(json.dumps({{}}))\n"
    ));
    let (_conn, _) = l.accept().unwrap();
    let me = std::process::id();
    let plain = text(&run(&["who", "-t", &at(port)]).stdout);
    assert_pids(&plain, &[me]);
    let remote = text(&run(&["who", "-t", "--remote", &at(port)]).stdout);
    assert_pids(&remote, &[me, h.pid()]);
}

#[test]
fn who_on_a_free_port_exits_1() {
    let port = TcpListener::bind((ADDR, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = run(&["who", &at(port)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert_eq!(run(&["who", "-t", &at(port)]).status.code(), Some(1));
}

#[test]
fn kill_dry_run_leaves_them_and_yes_ends_them() {
    let (h, port, child) = shared_listener();
    let out = run(&["kill", "--dry-run", &at(port)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let said = text(&out.stdout);
    assert!(said.contains("would send SIGTERM") && said.contains(&child.to_string()));
    std::thread::sleep(Duration::from_millis(100));
    assert!(alive(h.pid()) && alive(child));

    // No terminal and no --yes: refuse rather than guess.
    let out = run(&["kill", &at(port)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--yes"));
    assert!(alive(h.pid()) && alive(child));

    let out = run(&["kill", "--yes", "--wait", "5", &at(port)]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(text(&out.stdout).contains(&format!("sent SIGTERM to {child}")));
    assert!(wait_gone(h.pid()) && wait_gone(child));
    // The port is free again.
    TcpListener::bind((ADDR, port)).expect("the port is free after kill");
    assert_eq!(run(&["kill", "--yes", &at(port)]).status.code(), Some(1));
}

#[test]
fn kill_waits_then_forces_a_process_that_ignores_term() {
    let h = Helper::start(
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n\
         s = socket.socket(); s.bind(('127.0.0.7', 0)); s.listen()\n\
         print(json.dumps({'port': s.getsockname()[1]}))\n",
    );
    let port = at(h.u16("port"));
    let out = run(&["kill", "-y", "--wait", "0.3", &port]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("still running"),
        "{}",
        text(&out.stderr)
    );
    assert!(alive(h.pid()));
    let out = run(&["kill", "-y", "--wait", "0.3", "--force", &port]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("sent SIGKILL"));
    assert!(wait_gone(h.pid()));
}

#[test]
fn kill_never_signals_its_parent() {
    // This test process is sockscope's parent and owns the listener.
    let l = TcpListener::bind((ADDR, 0)).unwrap();
    let port = at(l.local_addr().unwrap().port());
    let out = run(&["kill", "-y", &port]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("parent"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn kill_asks_on_a_terminal() {
    // Run kill inside a pseudo-terminal and answer its question.
    for (answer, expect_alive, expect_code) in [("n", true, 2), ("y", false, 0)] {
        let h = Helper::start(
            "s = socket.socket(); s.bind(('127.0.0.7', 0)); s.listen()\n\
             print(json.dumps({'port': s.getsockname()[1]}))\n",
        );
        let port = at(h.u16("port"));
        let script = format!(
            "import os, pty, sys, time\n\
             pid, fd = pty.fork()\n\
             if pid == 0:\n    os.execv(sys.argv[1], [sys.argv[1], 'kill', sys.argv[2]])\n\
             buf = b''\n\
             deadline = time.time() + 20\n\
             while b'[y/N]' not in buf and time.time() < deadline:\n    buf += os.read(fd, 1024)\n\
             os.write(fd, b'{answer}\\n')\n\
             while True:\n    try:\n        chunk = os.read(fd, 1024)\n    except OSError:\n        break\n    if not chunk:\n        break\n    buf += chunk\n\
             _, status = os.waitpid(pid, 0)\n\
             sys.stdout.write(buf.decode(errors='replace'))\n\
             sys.exit(os.waitstatus_to_exitcode(status))\n"
        );
        let out = std::process::Command::new("python3")
            .args(["-c", &script, env!("CARGO_BIN_EXE_sockscope"), &port])
            .output()
            .unwrap();
        let screen = text(&out.stdout);
        assert!(
            screen.contains("Send SIGTERM to 1 process(es)? [y/N]"),
            "{screen}"
        );
        assert_eq!(out.status.code(), Some(expect_code), "{screen}");
        if expect_alive {
            assert!(alive(h.pid()), "answered no, still alive");
        } else {
            assert!(wait_gone(h.pid()), "answered yes, gone");
        }
    }
}
