//! What a port number means: its IANA class, whether it is in this machine's ephemeral range,
//! and which service usually lives there.
//!
//! The class says what a port *may* be used for; the ephemeral range says where this machine's
//! client ports really come from (Linux hands out 32768–60999 by default, which straddles the
//! IANA registered/dynamic boundary), so both are reported.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::model::Proto;

/// IANA port class (RFC 6335).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PortClass {
    /// 0–1023: system ports, assigned by IETF review.
    WellKnown,
    /// 1024–49151: user ports, registered with IANA.
    Registered,
    /// 49152–65535: dynamic or private ports, never assigned.
    Dynamic,
}

impl PortClass {
    /// The class of `port`.
    ///
    /// ```
    /// use sockscope::ports::PortClass;
    /// assert_eq!(PortClass::of(443), PortClass::WellKnown);
    /// assert_eq!(PortClass::of(5432), PortClass::Registered);
    /// assert_eq!(PortClass::of(51234), PortClass::Dynamic);
    /// ```
    pub fn of(port: u16) -> PortClass {
        match port {
            0..=1023 => PortClass::WellKnown,
            1024..=49151 => PortClass::Registered,
            _ => PortClass::Dynamic,
        }
    }

    /// The name used in tables and JSON.
    pub fn name(self) -> &'static str {
        match self {
            PortClass::WellKnown => "well-known",
            PortClass::Registered => "registered",
            PortClass::Dynamic => "dynamic",
        }
    }
}

/// The range the OS picks client (ephemeral) ports from, inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EphemeralRange {
    /// First port of the range.
    pub first: u16,
    /// Last port of the range.
    pub last: u16,
}

impl EphemeralRange {
    /// Linux's default (`net.ipv4.ip_local_port_range`).
    pub const LINUX_DEFAULT: EphemeralRange = EphemeralRange {
        first: 32768,
        last: 60999,
    };
    /// The IANA suggestion, used by Windows and macOS by default.
    pub const IANA: EphemeralRange = EphemeralRange {
        first: 49152,
        last: 65535,
    };

    /// Whether `port` lies in the range. Port 0 never does.
    pub fn contains(self, port: u16) -> bool {
        port != 0 && self.first <= port && port <= self.last
    }

    /// Parses the two numbers of `/proc/sys/net/ipv4/ip_local_port_range` ("32768\t60999\n").
    pub fn parse(text: &str) -> Option<EphemeralRange> {
        let mut it = text.split_whitespace().map(str::parse::<u16>);
        let first = it.next()?.ok()?;
        let last = it.next()?.ok()?;
        (first <= last && it.next().is_none()).then_some(EphemeralRange { first, last })
    }
}

/// Names that are always known, whatever `/etc/services` says; they win over it.
const BUILTIN: &[(u16, Option<Proto>, &str)] = &[
    (20, None, "ftp-data"),
    (21, None, "ftp"),
    (22, None, "ssh"),
    (23, None, "telnet"),
    (25, None, "smtp"),
    (53, None, "domain"),
    (67, Some(Proto::Udp), "dhcp"),
    (68, Some(Proto::Udp), "dhcp"),
    (69, Some(Proto::Udp), "tftp"),
    (80, Some(Proto::Tcp), "http"),
    (110, Some(Proto::Tcp), "pop3"),
    (143, Some(Proto::Tcp), "imap"),
    (161, Some(Proto::Udp), "snmp"),
    (443, None, "https"),
    (1521, Some(Proto::Tcp), "oracle"),
    (3306, Some(Proto::Tcp), "mysql"),
    (3389, None, "rdp"),
    (5432, Some(Proto::Tcp), "postgresql"),
    (6379, Some(Proto::Tcp), "redis"),
    (8080, Some(Proto::Tcp), "http-alt"),
];

/// Service names by (protocol, port): the built-in table merged with a services file.
#[derive(Debug, Default)]
pub struct ServiceTable {
    names: HashMap<(Proto, u16), Cow<'static, str>>,
}

impl ServiceTable {
    /// Only the built-in names.
    pub fn builtin() -> ServiceTable {
        let mut names = HashMap::with_capacity(BUILTIN.len() * 2);
        for &(port, proto, name) in BUILTIN {
            let protos: &[Proto] = match proto {
                Some(Proto::Tcp) => &[Proto::Tcp],
                Some(Proto::Udp) => &[Proto::Udp],
                None => &[Proto::Tcp, Proto::Udp],
            };
            for &p in protos {
                names.insert((p, port), Cow::Borrowed(name));
            }
        }
        ServiceTable { names }
    }

    /// The built-in names, then every entry of a services(5) file that they do not already name.
    /// Lines that do not parse are ignored, as libc's `getservent` ignores them.
    pub fn with_services_file(text: &str) -> ServiceTable {
        let mut table = ServiceTable::builtin();
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or("");
            let mut fields = line.split_whitespace();
            let (Some(name), Some(port_proto)) = (fields.next(), fields.next()) else {
                continue;
            };
            let Some((port, proto)) = port_proto.split_once('/') else {
                continue;
            };
            let Ok(port) = port.parse::<u16>() else {
                continue;
            };
            let proto = match proto {
                "tcp" => Proto::Tcp,
                "udp" => Proto::Udp,
                _ => continue,
            };
            table
                .names
                .entry((proto, port))
                .or_insert_with(|| Cow::Owned(name.to_owned()));
        }
        table
    }

    /// The process-wide table: built-in names merged with `/etc/services` when it exists.
    pub fn system() -> &'static ServiceTable {
        static TABLE: OnceLock<ServiceTable> = OnceLock::new();
        TABLE.get_or_init(|| match std::fs::read_to_string("/etc/services") {
            Ok(text) => ServiceTable::with_services_file(&text),
            Err(_) => ServiceTable::builtin(),
        })
    }

    /// The service name for `port` over `proto`.
    pub fn lookup(&self, proto: Proto, port: u16) -> Option<&str> {
        self.names.get(&(proto, port)).map(|n| n.as_ref())
    }

    /// Like [`lookup`](Self::lookup), as a value that can live in an [`Endpoint`](crate::model::Endpoint).
    pub fn name_for(&'static self, proto: Proto, port: u16) -> Option<Cow<'static, str>> {
        self.lookup(proto, port).map(Cow::Borrowed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_at_every_boundary() {
        assert_eq!(PortClass::of(0), PortClass::WellKnown);
        assert_eq!(PortClass::of(1023), PortClass::WellKnown);
        assert_eq!(PortClass::of(1024), PortClass::Registered);
        assert_eq!(PortClass::of(49151), PortClass::Registered);
        assert_eq!(PortClass::of(49152), PortClass::Dynamic);
        assert_eq!(PortClass::of(65535), PortClass::Dynamic);
    }

    #[test]
    fn ephemeral_range_parses_and_contains() {
        let r = EphemeralRange::parse("32768\t60999\n").unwrap();
        assert_eq!(r, EphemeralRange::LINUX_DEFAULT);
        assert!(!r.contains(32767));
        assert!(r.contains(32768));
        assert!(r.contains(60999));
        assert!(!r.contains(61000));
        assert!(!EphemeralRange { first: 0, last: 10 }.contains(0));
        assert_eq!(EphemeralRange::parse("100 50"), None);
        assert_eq!(EphemeralRange::parse("1 2 3"), None);
        assert_eq!(EphemeralRange::parse("x 2"), None);
        assert_eq!(EphemeralRange::parse(""), None);
    }

    #[test]
    fn builtin_services_depend_on_protocol() {
        let t = ServiceTable::builtin();
        assert_eq!(t.lookup(Proto::Tcp, 80), Some("http"));
        assert_eq!(t.lookup(Proto::Udp, 80), None);
        assert_eq!(t.lookup(Proto::Udp, 53), Some("domain"));
        assert_eq!(t.lookup(Proto::Tcp, 53), Some("domain"));
        assert_eq!(t.lookup(Proto::Udp, 67), Some("dhcp"));
        assert_eq!(t.lookup(Proto::Tcp, 67), None);
        assert_eq!(t.lookup(Proto::Tcp, 5432), Some("postgresql"));
        assert_eq!(t.lookup(Proto::Tcp, 8080), Some("http-alt"));
        assert_eq!(t.lookup(Proto::Tcp, 4), None);
    }

    #[test]
    fn services_file_merges_below_builtin() {
        let text = "# comment\n\
                    http 80/tcp www # WorldWideWeb\n\
                    bootps 67/udp\n\
                    gopher 70/tcp\n\
                    kerberos 88/udp kerberos5\n\
                    broken line\n\
                    bad 99999/tcp\n\
                    weird 12/sctp\n";
        let t = ServiceTable::with_services_file(text);
        assert_eq!(t.lookup(Proto::Tcp, 70), Some("gopher"));
        assert_eq!(t.lookup(Proto::Udp, 70), None);
        assert_eq!(t.lookup(Proto::Udp, 88), Some("kerberos"));
        // Built-in names win.
        assert_eq!(t.lookup(Proto::Udp, 67), Some("dhcp"));
        assert_eq!(t.lookup(Proto::Tcp, 80), Some("http"));
        assert_eq!(t.lookup(Proto::Tcp, 12), None);
    }
}
