//! Collection: one call, [`snapshot`], that asks the operating system for its sockets.
//!
//! Each OS has its own backend module exposing the same function; everything after this module
//! is platform-free and reads only the [`Snapshot`] model. The part of the filter a kernel can
//! apply is pushed into the backend's request; the rest is applied here, after owners are known.

use std::io;
use std::net::IpAddr;

use crate::filter::Filter;
use crate::model::{Endpoint, Family, Proto, Snapshot};
use crate::ports::{EphemeralRange, PortClass, ServiceTable};

#[cfg(target_os = "linux")]
pub mod linux;
// The macOS and Windows modules compile on every OS: their parsers are pure functions over the
// bytes the kernel hands out, tested everywhere; only the calls that fetch those bytes are gated.
pub mod macos;
pub mod windows;

/// What to collect.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// Which sockets are wanted; backends push down what their kernel can filter.
    pub filter: Filter,
    /// Whether to find the processes owning each socket (the expensive part).
    pub owners: bool,
    /// Whether to report TCP internals (`Socket::tcp`).
    pub info: bool,
}

/// Why a snapshot could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    /// The OS refused access to something that every user normally can read.
    #[error("{what}: permission denied ({hint})")]
    PermissionDenied {
        /// What was refused.
        what: String,
        /// How to get access.
        hint: &'static str,
    },
    /// This OS has no backend.
    #[error("{0} is not supported on this operating system")]
    Unsupported(String),
    /// An I/O error while reading a kernel interface.
    #[error("{what}: {source}")]
    Io {
        /// What was being read.
        what: String,
        /// The error.
        #[source]
        source: io::Error,
    },
    /// The kernel sent something that does not parse.
    #[error("{what}: {detail}")]
    Parse {
        /// What was being parsed.
        what: String,
        /// What was wrong with it.
        detail: String,
    },
}

/// Takes a snapshot of the sockets `query` asks for, with their owners when asked.
pub fn snapshot(query: &Query) -> Result<Snapshot, CollectError> {
    #[cfg(any(target_os = "linux", target_os = "macos", windows))]
    {
        #[cfg(target_os = "linux")]
        let mut snap = linux::snapshot(query)?;
        #[cfg(target_os = "macos")]
        let mut snap = macos::snapshot(query)?;
        #[cfg(windows)]
        let mut snap = windows::snapshot(query)?;
        finish(&mut snap, &query.filter);
        Ok(snap)
    }
    #[cfg(not(any(target_os = "linux", target_os = "macos", windows)))]
    {
        let _ = query;
        Err(CollectError::Unsupported("listing sockets".to_owned()))
    }
}

/// Repeated snapshots for a long-running view (the dashboard). It keeps what it can between
/// calls — on Linux the owner map and process details, rescanned only when new sockets appear or
/// the map grows old — so a steady state costs little. Until a rescan, a new socket's owners are
/// unknown (`None`).
#[derive(Default)]
pub struct Collector {
    #[cfg(target_os = "linux")]
    cache: linux::OwnerCache,
}

impl Collector {
    /// A collector with nothing cached yet.
    pub fn new() -> Collector {
        Collector::default()
    }

    /// Takes a snapshot, reusing what was cached.
    pub fn snapshot(&mut self, query: &Query) -> Result<Snapshot, CollectError> {
        #[cfg(target_os = "linux")]
        {
            let mut snap = self.cache.snapshot(query)?;
            finish(&mut snap, &query.filter);
            Ok(snap)
        }
        #[cfg(not(target_os = "linux"))]
        {
            snapshot(query)
        }
    }
}

/// A model process from sysinfo's view of it, with the user the backend found (macOS and
/// Windows read process details through sysinfo).
#[cfg(any(target_os = "macos", windows))]
pub(crate) fn sysinfo_process(
    p: &sysinfo::Process,
    uid: Option<u32>,
    user: Option<String>,
) -> crate::model::Process {
    crate::model::Process {
        pid: p.pid().as_u32(),
        name: p.name().to_string_lossy().into_owned(),
        cmdline: p
            .cmd()
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect(),
        uid,
        user,
    }
}

/// Whether this OS can resolve user names to UIDs (so an unknown name is an error).
pub const CAN_RESOLVE_USERS: bool = cfg!(unix);

/// The UID of the user called `name`, through the system's user database (NSS on Linux,
/// Directory Services on macOS). Windows has no UIDs: users are matched by name there.
pub fn uid_of_user(name: &str) -> Option<u32> {
    #[cfg(unix)]
    {
        uzers::get_user_by_name(name).map(|u| u.uid())
    }
    #[cfg(not(unix))]
    {
        let _ = name;
        None
    }
}

/// Whether process `pid` is still running; a zombie (exited, not yet reaped) counts as exited.
pub fn process_alive(pid: u32) -> bool {
    #[cfg(target_os = "linux")]
    {
        linux::process::alive(pid)
    }
    #[cfg(target_os = "macos")]
    {
        macos::alive(pid)
    }
    #[cfg(windows)]
    {
        windows::alive(pid)
    }
    #[cfg(not(any(target_os = "linux", target_os = "macos", windows)))]
    {
        let _ = pid;
        false
    }
}

/// The platform-free last step: apply the whole filter, drop processes no shown socket needs,
/// and sort.
#[cfg_attr(
    not(any(target_os = "linux", target_os = "macos", windows)),
    allow(dead_code)
)]
fn finish(snap: &mut Snapshot, filter: &Filter) {
    let processes = &snap.processes;
    snap.sockets.retain(|s| filter.matches(s, processes));
    let mut needed: Vec<u32> = snap
        .sockets
        .iter()
        .filter_map(|s| s.owners.as_deref())
        .flatten()
        .copied()
        .collect();
    needed.sort_unstable();
    needed.dedup();
    snap.processes
        .retain(|pid, _| needed.binary_search(pid).is_ok());
    snap.sort();
    // A dump that raced with sockets opening and closing can carry one socket twice; a listing
    // never shows a socket twice. Sorted, the copies are neighbours.
    snap.sockets.dedup_by(|a, b| {
        a.proto == b.proto
            && a.state == b.state
            && a.inode == b.inode
            && (a.local.addr, a.local.port) == (b.local.addr, b.local.port)
            && a.remote.as_ref().map(|r| (r.addr, r.port))
                == b.remote.as_ref().map(|r| (r.addr, r.port))
    });
}

/// Builds [`Endpoint`]s: folds IPv4-mapped addresses, classifies ports, names services.
#[derive(Debug, Clone, Copy)]
pub struct EndpointMaker {
    range: EphemeralRange,
    services: &'static ServiceTable,
}

impl EndpointMaker {
    /// A maker for this machine's ephemeral range and the system service table.
    pub fn new(range: EphemeralRange) -> EndpointMaker {
        EndpointMaker {
            range,
            services: ServiceTable::system(),
        }
    }

    /// The address with IPv4-mapped IPv6 (`::ffff:a.b.c.d`) folded into IPv4, and its family.
    pub fn normalise(addr: IpAddr) -> (IpAddr, Family) {
        match addr {
            IpAddr::V4(_) => (addr, Family::Ipv4),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => (IpAddr::V4(v4), Family::Ipv4),
                None => (addr, Family::Ipv6),
            },
        }
    }

    /// An endpoint for an (already normalised) address and port.
    pub fn endpoint(&self, proto: Proto, addr: IpAddr, port: u16) -> Endpoint {
        Endpoint {
            addr,
            port,
            class: PortClass::of(port),
            ephemeral: self.range.contains(port),
            service: self.services.name_for(proto, port),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    #[test]
    fn mapped_addresses_fold_into_ipv4() {
        let mapped: IpAddr = "::ffff:127.0.0.1".parse().unwrap();
        assert_eq!(
            EndpointMaker::normalise(mapped),
            (IpAddr::V4(Ipv4Addr::LOCALHOST), Family::Ipv4)
        );
        assert_eq!(
            EndpointMaker::normalise(IpAddr::V6(Ipv6Addr::LOCALHOST)),
            (IpAddr::V6(Ipv6Addr::LOCALHOST), Family::Ipv6)
        );
        // The unspecified address is not a mapped one.
        assert_eq!(
            EndpointMaker::normalise(IpAddr::V6(Ipv6Addr::UNSPECIFIED)).1,
            Family::Ipv6
        );
    }
}
