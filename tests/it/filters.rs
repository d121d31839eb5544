use std::net::{TcpListener, TcpStream};

use crate::common::{by_local_port, json, run};

/// A listener and one established connection to it, held by this test process.
struct Pair {
    _listener: TcpListener,
    _client: TcpStream,
    _server: TcpStream,
    port: u16,
    client_port: u16,
}

fn pair() -> Pair {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let client = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let (server, _) = listener.accept().unwrap();
    let client_port = client.local_addr().unwrap().port();
    Pair {
        _listener: listener,
        _client: client,
        _server: server,
        port,
        client_port,
    }
}

/// (local port, state) of every socket of `p` that `args` select. Sockets are recognised by
/// their whole (local port, remote port) pair: another test's TIME-WAIT socket may carry the
/// same port number, since listeners set SO_REUSEADDR.
fn selected(p: &Pair, args: &[&str]) -> Vec<(u16, String)> {
    let doc = json(args);
    let ours = [
        (p.port, None),
        (p.port, Some(p.client_port)),
        (p.client_port, Some(p.port)),
    ];
    let mut v: Vec<(u16, String)> = doc
        .sockets
        .iter()
        .filter(|s| ours.contains(&(s.local.port, s.remote.as_ref().map(|r| r.port))))
        .map(|s| (s.local.port, s.state.clone()))
        .collect();
    v.sort();
    v
}

#[test]
fn port_sport_dport_and_positional() {
    let p = pair();
    let (sp, cp) = (p.port.to_string(), p.client_port.to_string());
    let listen = (p.port, "listen".to_owned());
    let server = (p.port, "established".to_owned());
    let client = (p.client_port, "established".to_owned());
    let sorted = |mut v: Vec<(u16, String)>| {
        v.sort();
        v
    };
    let all3 = sorted(vec![listen.clone(), server.clone(), client.clone()]);
    let local = sorted(vec![listen, server.clone()]);
    let both = sorted(vec![server, client.clone()]);
    assert_eq!(selected(&p, &["--port", &sp]), all3);
    assert_eq!(selected(&p, &[&format!(":{sp}")]), all3);
    assert_eq!(selected(&p, &["--sport", &sp]), local);
    assert_eq!(selected(&p, &["--dport", &sp]), vec![client.clone()]);
    assert_eq!(selected(&p, &["--sport", &cp]), vec![client]);
    // A range, and a comma list (values of one flag OR).
    let range = format!("{}-{}", p.port, p.port);
    assert_eq!(selected(&p, &["--sport", &range]), local);
    let list = format!("{sp},{cp}");
    assert_eq!(
        selected(&p, &["--sport", &list, "--state", "established"]),
        both
    );
    // Non-matching: a port nothing uses here (port 1 needs root and is not used by the tests).
    assert!(selected(&p, &["--port", "1"]).is_empty());
    assert!(selected(&p, &["--dport", &cp, "--sport", &cp]).is_empty());
}

#[test]
fn state_filter() {
    let p = pair();
    let sp = p.port.to_string();
    assert_eq!(
        selected(&p, &["--sport", &sp, "--state", "listen"]),
        vec![(p.port, "listen".into())]
    );
    assert_eq!(
        selected(&p, &["--sport", &sp, "--state", "synchronized"]).len(),
        1
    );
    assert!(selected(&p, &["--sport", &sp, "--state", "time-wait"]).is_empty());
    assert!(selected(&p, &["--sport", &sp, "--state", "unconnected"]).is_empty());
}

#[test]
fn pid_process_and_user_filters() {
    let p = pair();
    let sp = p.port.to_string();
    let me = std::process::id().to_string();
    assert_eq!(selected(&p, &["--sport", &sp, "--pid", &me]).len(), 2);
    assert!(selected(&p, &["--sport", &sp, "--pid", "1"]).is_empty());
    let comm = std::fs::read_to_string("/proc/self/comm").unwrap();
    let upper = comm.trim()[..3].to_uppercase();
    assert_eq!(
        selected(&p, &["--sport", &sp, "--process", &upper]).len(),
        2
    );
    assert!(selected(&p, &["--sport", &sp, "--process", "definitely-not-this"]).is_empty());
    // SAFETY: geteuid has no preconditions.
    let uid = unsafe { libc::geteuid() }.to_string();
    assert_eq!(selected(&p, &["--sport", &sp, "--user", &uid]).len(), 2);
    assert!(selected(&p, &["--sport", &sp, "--user", "4242"]).is_empty());
    if uid == "0" {
        assert_eq!(selected(&p, &["--sport", &sp, "--user", "root"]).len(), 2);
        assert!(selected(&p, &["--sport", &sp, "--user", "nobody"]).is_empty());
    }
}

#[test]
fn class_and_addr_filters() {
    let p = pair();
    let sp = p.port.to_string();
    let class = match p.port {
        0..=1023 => "well-known",
        1024..=49151 => "registered",
        _ => "dynamic",
    };
    assert_eq!(selected(&p, &["--sport", &sp, "--class", class]).len(), 2);
    assert!(selected(&p, &["--sport", &sp, "--class", "well-known"]).is_empty());
    assert_eq!(
        selected(&p, &["--sport", &sp, "--addr", "127.0.0.1"]).len(),
        2
    );
    assert!(selected(&p, &["--sport", &sp, "--addr", "127.0.0.9"]).is_empty());
}

#[test]
fn nothing_matched_prints_nothing_and_exits_1() {
    let p = pair();
    let sp = p.port.to_string();
    // 127.0.0.9 is used by no test, so nothing can match by accident.
    let out = run(&["--sport", &sp, "--addr", "127.0.0.9"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty() && out.stderr.is_empty());
    let out = run(&["--json", "--sport", &sp, "--addr", "127.0.0.9"]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["sockets"], serde_json::json!([]));
    drop(p);
}

#[test]
fn pushed_down_port_filter_agrees_with_the_full_listing() {
    // The kernel applies --sport/--dport/--port (bytecode); the result must equal filtering the
    // full listing in user space.
    let p = pair();
    let all = json(&["-t"]);
    for args in [
        vec!["--sport".to_owned(), p.port.to_string()],
        vec!["--dport".to_owned(), p.port.to_string()],
        vec!["--port".to_owned(), format!("{}-{}", p.port, p.port + 1)],
        vec!["--sport".to_owned(), format!("1-{}", p.port)],
    ] {
        let argv: Vec<&str> = std::iter::once("-t")
            .chain(args.iter().map(String::as_str))
            .collect();
        let filtered = json(&argv);
        for port in [p.port, p.client_port] {
            let want: Vec<_> = by_local_port(&all, port)
                .into_iter()
                .filter(|s| {
                    let r = s.remote.as_ref().map(|r| r.port);
                    match args[0].as_str() {
                        "--sport" => in_range(&args[1], s.local.port),
                        "--dport" => r.is_some_and(|r| in_range(&args[1], r)),
                        _ => {
                            in_range(&args[1], s.local.port)
                                || r.is_some_and(|r| in_range(&args[1], r))
                        }
                    }
                })
                .map(|s| (s.state.clone(), s.remote.as_ref().map(|r| r.port)))
                .collect();
            let got: Vec<_> = by_local_port(&filtered, port)
                .into_iter()
                .map(|s| (s.state.clone(), s.remote.as_ref().map(|r| r.port)))
                .collect();
            assert_eq!(got, want, "{args:?} port {port}");
        }
    }
}

fn in_range(spec: &str, port: u16) -> bool {
    let (a, b) = spec.split_once('-').unwrap_or((spec, spec));
    (a.parse::<u16>().unwrap()..=b.parse::<u16>().unwrap()).contains(&port)
}

#[test]
fn bad_values_are_named_with_exit_2() {
    for (args, needle) in [
        (&["--port", "70000"][..], "70000"),
        (&["--sport", "10-5"], "10-5"),
        (&["--dport", "http"], "http"),
        (&["--state", "establishd"], "establishd"),
        (&["--addr", "10.0.0"], "10.0.0"),
        (&["--addr", "::1::2"], "::1::2"),
        (&["--pid=-4"], "-4"),
        (&["--pid", "4x"], "4x"),
        (&["--class", "huge"], "huge"),
        (&["--user", "no-such-user-xyz"], "no-such-user-xyz"),
        (&[":99999"], "99999"),
        (&["who"], "PORT"),
        (&["who", "localhost:80"], "localhost"),
        (&["who", "::1:80"], "::1:80"),
        (&["kill", "--signal", "BOGUS", "80"], "BOGUS"),
        (&["kill", "--wait", "soon", "80"], "soon"),
        (&["frobnicate"], "frobnicate"),
    ] {
        let out = run(args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
        assert!(out.stdout.is_empty());
    }
}
