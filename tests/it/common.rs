use std::io::{BufRead, BufReader, Write};
use std::net::IpAddr;
use std::process::{Child, ChildStdin, Command, Output, Stdio};

use serde::Deserialize;

/// The JSON document, schema 1. Unknown fields fail the test: the schema is a contract.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Document {
    pub schema: u32,
    pub taken_at: String,
    pub host: String,
    pub sockets: Vec<JSocket>,
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct JSocket {
    pub proto: String,
    pub family: String,
    pub local: JEndpoint,
    pub remote: Option<JEndpoint>,
    pub state: String,
    pub inode: Option<u64>,
    pub uid: Option<u32>,
    pub owners: Option<Vec<JOwner>>,
    pub tcp: Option<JTcp>,
}

/// TCP internals (`--info`).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct JTcp {
    pub rtt_us: Option<u32>,
    pub rttvar_us: Option<u32>,
    pub cwnd: Option<u32>,
    pub retransmits: Option<u32>,
    pub total_retransmits: Option<u32>,
    pub bytes_sent: Option<u64>,
    pub bytes_acked: Option<u64>,
    pub bytes_received: Option<u64>,
    pub send_queue: Option<u32>,
    pub recv_queue: Option<u32>,
    pub congestion: Option<String>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct JEndpoint {
    pub addr: IpAddr,
    pub port: u16,
    pub class: String,
    pub ephemeral: bool,
    pub service: Option<String>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct JOwner {
    pub pid: u32,
    pub name: Option<String>,
    pub cmdline: Option<Vec<String>>,
    pub uid: Option<u32>,
    pub user: Option<String>,
}

impl JSocket {
    pub fn owner_pids(&self) -> Vec<u32> {
        let mut pids: Vec<u32> = self
            .owners
            .as_ref()
            .map(|o| o.iter().map(|o| o.pid).collect())
            .unwrap_or_default();
        pids.sort_unstable();
        pids
    }
}

pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sockscope"))
}

pub fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("run sockscope")
}

/// Runs `sockscope --json ARGS` and parses the document.
pub fn json(args: &[&str]) -> Document {
    let out = bin()
        .arg("--json")
        .args(args)
        .output()
        .expect("run sockscope");
    assert!(
        out.status.code() == Some(0) || out.status.code() == Some(1),
        "sockscope failed: {:?}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Document = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("bad JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)));
    assert_eq!(doc.schema, 1);
    doc
}

/// Sockets of `doc` with local port `port`.
pub fn by_local_port(doc: &Document, port: u16) -> Vec<&JSocket> {
    doc.sockets
        .iter()
        .filter(|s| s.local.port == port)
        .collect()
}

/// A Python helper process that opens sockets, prints one JSON line about them, and lives until
/// its stdin closes (or 120 s pass). Killed by PID on drop.
pub struct Helper {
    child: Child,
    stdin: Option<ChildStdin>,
    pub info: serde_json::Value,
}

impl Helper {
    pub fn start(script: &str) -> Helper {
        let prelude = "import socket, os, sys, json, signal, time\nsignal.alarm(120)\n";
        let epilogue = "\nsys.stdout.flush()\nsys.stdin.read()\n";
        let mut child = Command::new("python3")
            .arg("-c")
            .arg(format!("{prelude}{script}{epilogue}"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 is needed for these tests");
        let stdin = child.stdin.take();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let info =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("helper printed {line:?}: {e}"));
        Helper { child, stdin, info }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn u16(&self, key: &str) -> u16 {
        self.info[key].as_u64().unwrap() as u16
    }

    pub fn u32(&self, key: &str) -> u32 {
        self.info[key].as_u64().unwrap() as u32
    }
}

impl Drop for Helper {
    fn drop(&mut self) {
        if let Some(mut stdin) = self.stdin.take() {
            let _ = stdin.write_all(b"");
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The parent PID of `pid`, if it still runs.
pub fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, rest) = stat.rsplit_once(')')?;
    rest.split_whitespace().nth(1)?.parse().ok()
}

/// Asserts that `expected` all own `s`, and that any other owner is a child this test process
/// forked for another test that has not reached `exec` yet: between `fork` and `exec` a child
/// holds every descriptor of its parent, and sockscope rightly reports it.
pub fn assert_owned_by(s: &JSocket, expected: &[u32]) {
    let owners = s.owner_pids();
    for pid in expected {
        assert!(owners.contains(pid), "{pid} missing from owners of {s:?}");
    }
    let me = std::process::id();
    for pid in owners.iter().filter(|p| !expected.contains(p)) {
        let parent = parent_of(*pid);
        assert!(
            parent.is_none() || parent == Some(me),
            "unexpected owner {pid} (parent {parent:?}) of {s:?}"
        );
    }
}

/// A listener or unconnected UDP socket of `doc` on local port `port` (no remote end).
/// A connected socket elsewhere on the machine may share the local port number (only the whole
/// 4-tuple is unique), so tests find their connected sockets with [`conn`].
pub fn listener(doc: &Document, port: u16) -> Vec<&JSocket> {
    doc.sockets
        .iter()
        .filter(|s| s.local.port == port && s.remote.is_none())
        .collect()
}

/// The live connected socket(s) of `doc` from local port `local` to remote port `remote`.
pub fn conn(doc: &Document, local: u16, remote: u16) -> Vec<&JSocket> {
    doc.sockets
        .iter()
        .filter(|s| {
            s.local.port == local
                && s.remote.as_ref().map(|r| r.port) == Some(remote)
                && s.state != "time-wait"
        })
        .collect()
}
