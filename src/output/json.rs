//! The JSON document (schema 1, documented in README.md; keep it stable).
//!
//! Owners are expanded from the snapshot's process table into each socket. Strings keep their
//! exact text; besides JSON's own escapes, characters that could act on a terminal when the
//! document is printed raw (C1 controls, bidi overrides, invisible formatting) are written as
//! `\uXXXX` escapes, which every JSON parser turns back into the same text.

use std::io::{self, Write};

use serde::Serialize;
use serde::ser::{SerializeStruct, Serializer};

use crate::model::{Endpoint, Family, Proto, Snapshot, Socket, SocketState, TcpInfo};

/// The schema version written in every document.
pub const SCHEMA: u32 = 1;

#[derive(Serialize)]
struct OwnerView<'a> {
    pid: u32,
    name: Option<&'a str>,
    cmdline: Option<&'a [String]>,
    uid: Option<u32>,
    user: Option<&'a str>,
}

#[derive(Serialize)]
struct SocketView<'a> {
    proto: Proto,
    family: Family,
    local: &'a Endpoint,
    remote: Option<&'a Endpoint>,
    state: SocketState,
    inode: Option<u64>,
    uid: Option<u32>,
    owners: Option<Vec<OwnerView<'a>>>,
    tcp: Option<&'a TcpInfo>,
}

impl<'a> SocketView<'a> {
    fn new(s: &'a Socket, snap: &'a Snapshot) -> SocketView<'a> {
        SocketView {
            proto: s.proto,
            family: s.family,
            local: &s.local,
            remote: s.remote.as_ref(),
            state: s.state,
            inode: s.inode,
            uid: s.uid,
            owners: s.owners.as_ref().map(|pids| {
                pids.iter()
                    .map(|&pid| {
                        let p = snap.processes.get(&pid);
                        OwnerView {
                            pid,
                            name: p.map(|p| p.name.as_str()),
                            cmdline: p.map(|p| p.cmdline.as_slice()),
                            uid: p.and_then(|p| p.uid),
                            user: p.and_then(|p| p.user.as_deref()),
                        }
                    })
                    .collect()
            }),
            tcp: s.tcp.as_ref(),
        }
    }
}

struct Sockets<'a>(&'a Snapshot);

impl Serialize for Sockets<'_> {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        ser.collect_seq(self.0.sockets.iter().map(|s| SocketView::new(s, self.0)))
    }
}

struct Document<'a>(&'a Snapshot);

impl Serialize for Document<'_> {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let snap = self.0;
        let mut doc = ser.serialize_struct("Document", 5)?;
        doc.serialize_field("schema", &SCHEMA)?;
        doc.serialize_field("taken_at", &super::rfc3339(snap.taken_at))?;
        doc.serialize_field("host", &snap.host)?;
        doc.serialize_field("sockets", &Sockets(snap))?;
        let warnings: Vec<String> = snap.warnings.iter().map(ToString::to_string).collect();
        doc.serialize_field("warnings", &warnings)?;
        doc.end()
    }
}

/// Whether `c` is escaped beyond what JSON requires (see the module docs): every character the
/// terminal sanitiser escapes, except those JSON already escapes itself (C0 controls, `\\`).
fn escape_extra(c: char) -> bool {
    c > '\u{1f}' && c != '\\' && crate::sanitize::needs_escape(c)
}

/// serde_json's compact formatter, plus the extra `\uXXXX` escapes.
struct TerminalSafe;

impl serde_json::ser::Formatter for TerminalSafe {
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if !escape_extra(c) {
                continue;
            }
            writer.write_all(&fragment.as_bytes()[start..i])?;
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                write!(writer, "\\u{:04x}", unit)?;
            }
            start = i + c.len_utf8();
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }
}

/// Writes the document for `snap`, followed by a newline.
pub fn write<W: Write>(out: &mut W, snap: &Snapshot) -> io::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(&mut *out, TerminalSafe);
    Document(snap)
        .serialize(&mut ser)
        .map_err(io::Error::from)?;
    out.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Process;
    use crate::ports::PortClass;
    use std::collections::BTreeMap;
    use std::time::UNIX_EPOCH;

    fn endpoint(addr: &str, port: u16) -> Endpoint {
        Endpoint {
            addr: addr.parse().unwrap(),
            port,
            class: PortClass::of(port),
            ephemeral: false,
            service: None,
        }
    }

    fn snapshot(name: &str) -> Snapshot {
        let mut processes = BTreeMap::new();
        processes.insert(
            7,
            Process {
                pid: 7,
                name: name.to_owned(),
                cmdline: vec![name.to_owned(), "-x".to_owned()],
                uid: Some(0),
                user: Some("root".to_owned()),
            },
        );
        Snapshot {
            taken_at: UNIX_EPOCH,
            host: "h".to_owned(),
            sockets: vec![
                Socket {
                    proto: Proto::Tcp,
                    family: Family::Ipv4,
                    local: endpoint("127.0.0.1", 80),
                    remote: None,
                    state: SocketState::Listen,
                    inode: Some(9),
                    uid: Some(0),
                    owners: Some(vec![7, 8]),
                    tcp: None,
                },
                Socket {
                    proto: Proto::Udp,
                    family: Family::Ipv6,
                    local: endpoint("::1", 53),
                    remote: Some(endpoint("::1", 5353)),
                    state: SocketState::Connected,
                    inode: Some(10),
                    uid: Some(0),
                    owners: None,
                    tcp: None,
                },
            ],
            processes,
            warnings: vec![],
        }
    }

    #[test]
    fn document_shape() {
        let mut out = Vec::new();
        write(&mut out, &snapshot("srv")).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["schema"], 1);
        assert_eq!(v["taken_at"], "1970-01-01T00:00:00Z");
        let s0 = &v["sockets"][0];
        assert_eq!(s0["proto"], "tcp");
        assert_eq!(s0["state"], "listen");
        assert_eq!(s0["local"]["class"], "well-known");
        assert!(s0["remote"].is_null());
        assert_eq!(s0["owners"][0]["name"], "srv");
        assert_eq!(s0["owners"][0]["cmdline"][1], "-x");
        // A PID whose details are gone keeps its PID, with unknown details.
        assert_eq!(s0["owners"][1]["pid"], 8);
        assert!(s0["owners"][1]["name"].is_null());
        let s1 = &v["sockets"][1];
        assert_eq!(s1["family"], "ipv6");
        assert_eq!(s1["remote"]["addr"], "::1");
        assert!(s1["owners"].is_null());
        assert!(s1["tcp"].is_null());
        assert_eq!(v["warnings"], serde_json::json!([]));
    }

    #[test]
    fn hostile_text_round_trips_and_is_inert() {
        let nasty = "a\x1b[2J\u{9b}b\u{202e}c\u{200b}\n\u{e0041}\u{fe0e}\\";
        let mut out = Vec::new();
        write(&mut out, &snapshot(nasty)).unwrap();
        let text = std::str::from_utf8(&out).unwrap();
        assert!(!text.contains('\x1b') && !text.contains('\u{9b}') && !text.contains('\u{202e}'));
        assert!(text.contains("\\u202e") && text.contains("\\udb40\\udc41"));
        assert!(
            text.contains("\\ufe0e"),
            "what the terminal sanitiser escapes, JSON escapes"
        );
        let v: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(v["sockets"][0]["owners"][0]["name"], nasty);
    }
}
