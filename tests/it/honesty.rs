use std::net::{TcpListener, TcpStream, UdpSocket};
use std::process::Command;

use crate::common::{Document, Helper, bin, by_local_port, json, listener};

/// (proto, local, remote, state) of the sockets with the given local ports.
fn tuples(doc: &Document, ports: &[u16]) -> Vec<String> {
    let mut v: Vec<String> = ports
        .iter()
        .flat_map(|p| by_local_port(doc, *p))
        // Only sockets between our own ports: another socket on the machine may share a local
        // port number with one of ours (only the 4-tuple is unique).
        .filter(|s| s.remote.as_ref().is_none_or(|r| ports.contains(&r.port)))
        .map(|s| {
            format!(
                "{} {} {}:{} {:?} {} {:?}",
                s.proto,
                s.family,
                s.local.addr,
                s.local.port,
                s.remote.as_ref().map(|r| (r.addr, r.port)),
                s.state,
                s.owner_pids()
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn proc_net_fallback_gives_the_same_answer() {
    let l4 = TcpListener::bind("127.0.0.1:0").unwrap();
    let l6 = TcpListener::bind("[::1]:0").unwrap();
    let c = TcpStream::connect(l4.local_addr().unwrap()).unwrap();
    let (_a, _) = l4.accept().unwrap();
    let u = UdpSocket::bind("[::1]:0").unwrap();
    let ports: Vec<u16> = [
        l4.local_addr(),
        l6.local_addr(),
        c.local_addr(),
        u.local_addr(),
    ]
    .into_iter()
    .map(|a| a.unwrap().port())
    .collect();
    let netlink = json(&[]);
    let out = bin()
        .arg("--json")
        .env("SOCKSCOPE_FORCE_PROCNET", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let procnet: Document = serde_json::from_slice(&out.stdout).unwrap();
    let want = tuples(&netlink, &ports);
    assert_eq!(want.len(), 5, "{want:#?}");
    assert_eq!(tuples(&procnet, &ports), want);
    // Filters work the same without the kernel's help.
    let sport = ports[0].to_string();
    let out = bin()
        .args(["--json", "--sport", &sport, "--state", "listen"])
        .env("SOCKSCOPE_FORCE_PROCNET", "1")
        .output()
        .unwrap();
    let filtered: Document = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(filtered.sockets.len(), 1);
    assert_eq!(filtered.sockets[0].state, "listen");
}

#[test]
fn a_hostile_process_name_is_escaped_in_the_table_and_exact_in_json() {
    // The kernel keeps 15 bytes of a name; these are all controls, escapes and overrides.
    let h = Helper::start(
        "import ctypes\n\
         name = b'\\x1b[2J\\x07\\n\\xe2\\x80\\xae\\x1b]8;;x'\n\
         ctypes.CDLL(None).prctl(15, ctypes.c_char_p(name), 0, 0, 0)\n\
         s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen()\n\
         print(json.dumps({'port': s.getsockname()[1]}))\n",
    );
    let port = h.u16("port").to_string();
    let comm = std::fs::read(format!("/proc/{}/comm", h.pid())).unwrap();
    assert!(comm.starts_with(b"\x1b[2J"), "prctl took effect: {comm:?}");

    let out = bin().args(["--sport", &port]).output().unwrap();
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(!table.contains('\x1b') && !table.contains('\x07') && !table.contains('\u{202e}'));
    assert_eq!(
        table.lines().count(),
        2,
        "a newline in a name never breaks a row:\n{table}"
    );
    assert!(
        table.contains("\\x1b[2J\\x07\\n\\u{202e}\\x1b]8;;x"),
        "{table}"
    );

    for args in [
        vec!["who", port.as_str()],
        vec!["kill", "--dry-run", port.as_str()],
    ] {
        let out = bin().args(&args).output().unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(
            !text.contains('\x1b') && !text.contains('\u{202e}'),
            "{args:?}: {text}"
        );
        assert!(text.contains("\\x1b[2J"), "{args:?}: {text}");
    }

    let doc = json(&["--sport", &port]);
    let name = doc.sockets[0].owners.as_ref().unwrap()[0]
        .name
        .clone()
        .unwrap();
    assert_eq!(name, "\x1b[2J\x07\n\u{202e}\x1b]8;;x");
}

fn setpriv() -> Option<Command> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("SKIPPED: needs root to run sockscope as another user");
        return None;
    }
    if Command::new("setpriv").arg("--version").output().is_err() {
        eprintln!("SKIPPED: setpriv (util-linux) is not installed");
        return None;
    }
    let mut cmd = Command::new("setpriv");
    cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"]);
    cmd.arg(env!("CARGO_BIN_EXE_sockscope"));
    Some(cmd)
}

#[test]
fn without_permission_owners_are_unknown_and_one_warning_says_why() {
    let Some(mut cmd) = setpriv() else { return };
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let out = cmd.arg("--json").output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Document = serde_json::from_slice(&out.stdout).unwrap();
    let found = listener(&doc, port);
    assert_eq!(found.len(), 1, "every socket is still listed");
    assert_eq!(
        found[0].owners, None,
        "root's socket: owner unknown, not 'none'"
    );
    assert_eq!(doc.warnings.len(), 1, "{:?}", doc.warnings);
    assert!(doc.warnings[0].contains("CAP_SYS_PTRACE") && doc.warnings[0].contains("root"));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.matches("warning").count(), 1, "{stderr}");

    // The table shows '-' for the hidden owner.
    let Some(mut cmd) = setpriv() else { return };
    let out = cmd
        .args(["--sport", &port.to_string(), "-H"])
        .output()
        .unwrap();
    let row = String::from_utf8(out.stdout).unwrap();
    let cells: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(&cells[cells.len() - 3..], &["-", "-", "-"], "{row}");
}
