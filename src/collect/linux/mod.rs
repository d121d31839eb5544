//! The Linux backend: sockets from a netlink `sock_diag` dump (or `/proc/net` when netlink is
//! refused), owners from one pass over `/proc/*/fd`, details for the owners that are shown.
//!
//! The dump is a plain function of the current network namespace, so it can later run on a
//! thread that has `setns`-ed into a container's namespace.

pub mod bytecode;
pub mod netlink;
pub mod owners;
pub mod process;
pub mod procnet;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io;
use std::net::IpAddr;
use std::time::{Duration, Instant, SystemTime};

use self::owners::OwnerMap;

use self::netlink::{AF_INET, AF_INET6, DiagSocket, DumpError, DumpRequest, NetlinkError};
use super::{CollectError, EndpointMaker, Query};
use crate::filter::Filter;
use crate::model::{Proto, Snapshot, Socket, SocketState, TcpInfo, Warning};
use crate::ports::EphemeralRange;

/// What root-less users need to see every owner.
pub const PERMISSION_HINT: &str =
    "run as root, or grant CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH, to see every owner";

/// Environment variable that forces the `/proc/net` source (for tests and for comparing).
pub const FORCE_PROCNET_ENV: &str = "SOCKSCOPE_FORCE_PROCNET";

/// A socket as the kernel describes it, before interpretation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KernelSocket {
    /// Protocol of the table or dump it came from.
    pub proto: Proto,
    /// Local address and port, as the kernel stores it (possibly IPv4-mapped).
    pub local: (IpAddr, u16),
    /// Remote address and port.
    pub remote: (IpAddr, u16),
    /// Kernel state number (`TCP_ESTABLISHED` = 1 … `TCP_LISTEN` = 10 …).
    pub state: u8,
    /// Owning UID as the kernel records it.
    pub uid: u32,
    /// Socket inode; 0 when no file refers to it.
    pub inode: u64,
    /// Bytes waiting to be read (for a listener: connections waiting for accept).
    pub recv_queue: u32,
    /// Bytes not yet acknowledged (for a listener: the backlog limit).
    pub send_queue: u32,
    /// TCP internals, when they were asked for and the kernel sent them.
    pub info: Option<Box<crate::model::TcpInfo>>,
}

// Kernel TCP state numbers (include/net/tcp_states.h).
const TCP_ESTABLISHED: u8 = 1;
const TCP_CLOSE: u8 = 7;

/// Bound but neither listening nor connected; only dumped when asked for (Linux 6.5+).
const TCP_BOUND_INACTIVE: u8 = 13;

/// Maps a kernel state number to the model's state. `None` for a number this version does not
/// know (a future kernel's new state).
pub fn kernel_state(proto: Proto, state: u8) -> Option<SocketState> {
    Some(match (proto, state) {
        (Proto::Udp, TCP_ESTABLISHED) => SocketState::Connected,
        (Proto::Udp, TCP_CLOSE) => SocketState::Unconnected,
        (Proto::Udp, _) => return None,
        (Proto::Tcp, 1) => SocketState::Established,
        (Proto::Tcp, 2) => SocketState::SynSent,
        (Proto::Tcp, 3) => SocketState::SynRecv,
        (Proto::Tcp, 4) => SocketState::FinWait1,
        (Proto::Tcp, 5) => SocketState::FinWait2,
        (Proto::Tcp, 6) => SocketState::TimeWait,
        (Proto::Tcp, 7) => SocketState::Close,
        (Proto::Tcp, 8) => SocketState::CloseWait,
        (Proto::Tcp, 9) => SocketState::LastAck,
        (Proto::Tcp, 10) => SocketState::Listen,
        (Proto::Tcp, 11) => SocketState::Closing,
        (Proto::Tcp, 12) => SocketState::SynRecv, // TCP_NEW_SYN_RECV: a request socket
        (Proto::Tcp, TCP_BOUND_INACTIVE) => SocketState::Close,
        (Proto::Tcp, _) => return None,
    })
}

/// The kernel state bitmask that covers `filter`'s states for `proto`.
fn kernel_states(filter: &Filter, proto: Proto) -> u32 {
    (0u8..32)
        .filter(|&n| kernel_state(proto, n).is_some_and(|s| filter.states.contains(s)))
        .fold(0u32, |mask, n| mask | (1 << n))
}

/// This machine's ephemeral port range, or Linux's default when it cannot be read.
fn ephemeral_range() -> EphemeralRange {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|t| EphemeralRange::parse(&t))
        .unwrap_or(EphemeralRange::LINUX_DEFAULT)
}

/// The (family, protocol) dumps `filter` needs. IPv4-only still dumps IPv6 sockets, because a
/// dual-stack socket can carry an IPv4-mapped address that counts as IPv4.
fn dumps(filter: &Filter, info: bool) -> Vec<DumpRequest> {
    let mut out = Vec::with_capacity(4);
    let bytecode = bytecode::for_ports(filter);
    for proto in [Proto::Tcp, Proto::Udp] {
        if !filter.wants_proto(proto) {
            continue;
        }
        let states = kernel_states(filter, proto);
        let families: &[u8] = if filter.ipv4 {
            &[AF_INET, AF_INET6]
        } else {
            &[AF_INET6]
        };
        for &family in families {
            out.push(DumpRequest {
                family,
                proto,
                states,
                bytecode: bytecode.clone(),
                info: info && proto == Proto::Tcp,
            });
        }
    }
    out
}

/// Reads one `/proc/net` table for `req`.
fn read_procnet(req: &DumpRequest, out: &mut Vec<KernelSocket>) -> Result<usize, CollectError> {
    let name = match (req.proto, req.family) {
        (Proto::Tcp, AF_INET) => "tcp",
        (Proto::Tcp, _) => "tcp6",
        (Proto::Udp, AF_INET) => "udp",
        (Proto::Udp, _) => "udp6",
    };
    let path = format!("/proc/net/{name}");
    match std::fs::read(&path) {
        Ok(text) => Ok(procnet::parse_table(&text, req.proto, out).bad_lines),
        // No IPv6 in this kernel: no IPv6 sockets.
        Err(e) if e.kind() == io::ErrorKind::NotFound && req.family == AF_INET6 => Ok(0),
        Err(source) => Err(CollectError::Io { what: path, source }),
    }
}

/// Gets the raw sockets, from netlink when possible, else from `/proc/net`.
fn kernel_sockets(
    filter: &Filter,
    info: bool,
    warnings: &mut Vec<Warning>,
) -> Result<Vec<KernelSocket>, CollectError> {
    let requests = dumps(filter, info);
    let mut out = Vec::new();
    let forced = std::env::var_os(FORCE_PROCNET_ENV).is_some_and(|v| !v.is_empty());
    let mut diag = if forced {
        None
    } else {
        match DiagSocket::open() {
            Ok(d) => Some(d),
            Err(e) => {
                warnings.push(Warning::Fallback {
                    reason: format!(
                        "netlink sock_diag is not available ({e}); read /proc/net instead, \
                         which is slower"
                    ),
                });
                None
            }
        }
    };
    let mut bad_lines = 0;
    for req in &requests {
        let Some(d) = diag.as_mut() else {
            bad_lines += read_procnet(req, &mut out)?;
            continue;
        };
        let start = out.len();
        let mut attempt = 0;
        loop {
            attempt += 1;
            match d.dump(req, &mut out) {
                Ok(false) => break,
                // Sockets changed under the dump; a fresh one is consistent.
                Ok(true) if attempt < 3 => out.truncate(start),
                Ok(true) => {
                    warnings.push(Warning::Other(
                        "sockets changed while they were being listed; the list may miss or \
                         repeat a few that opened or closed meanwhile"
                            .to_owned(),
                    ));
                    break;
                }
                // The kernel lacks this diag module (udp_diag not loaded, say): fall back for
                // this table only.
                Err(DumpError::Netlink(NetlinkError::Kernel(code)))
                    if [libc_enoent(), libc_eopnotsupp()].contains(&code) =>
                {
                    out.truncate(start);
                    bad_lines += read_procnet(req, &mut out)?;
                    break;
                }
                Err(e) => {
                    return Err(CollectError::Io {
                        what: "socket dump".to_owned(),
                        source: io::Error::other(e.to_string()),
                    });
                }
            }
        }
    }
    if bad_lines > 0 {
        warnings.push(Warning::Other(format!(
            "{bad_lines} line(s) of /proc/net could not be parsed and were left out"
        )));
    }
    Ok(out)
}

fn libc_enoent() -> i32 {
    rustix::io::Errno::NOENT.raw_os_error()
}

fn libc_eopnotsupp() -> i32 {
    rustix::io::Errno::OPNOTSUPP.raw_os_error()
}

/// Interprets a kernel socket. `None` for an unknown state. `info` adds the TCP internals,
/// which are moved out of `k` rather than copied.
fn to_socket(k: &mut KernelSocket, maker: &EndpointMaker, info: bool) -> Option<Socket> {
    let state = kernel_state(k.proto, k.state)?;
    let (laddr, family) = EndpointMaker::normalise(k.local.0);
    let (raddr, _) = EndpointMaker::normalise(k.remote.0);
    let remote = if state.is_listening() || (raddr.is_unspecified() && k.remote.1 == 0) {
        None
    } else {
        Some(maker.endpoint(k.proto, raddr, k.remote.1))
    };
    Some(Socket {
        proto: k.proto,
        family,
        local: maker.endpoint(k.proto, laddr, k.local.1),
        remote,
        state,
        inode: Some(k.inode),
        uid: Some(k.uid),
        owners: None,
        tcp: (info && k.proto == Proto::Tcp).then(|| TcpInfo {
            send_queue: Some(k.send_queue),
            recv_queue: Some(k.recv_queue),
            ..k.info.take().map(|b| *b).unwrap_or_default()
        }),
    })
}

fn scan_error(what: &str, source: io::Error) -> CollectError {
    CollectError::Io {
        what: what.to_owned(),
        source,
    }
}

fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Takes a Linux snapshot. The fd walk and the dump are independent, so they run side by side.
pub fn snapshot(query: &Query) -> Result<Snapshot, CollectError> {
    let taken_at = SystemTime::now();
    let mut warnings = Vec::new();
    let (kernel, owner_map) = std::thread::scope(|s| {
        let walker = query.owners.then(|| s.spawn(|| owners::scan(threads())));
        let kernel = kernel_sockets(&query.filter, query.info, &mut warnings);
        let owner_map = walker.map(|w| w.join());
        (kernel, owner_map)
    });
    let kernel = kernel?;
    let owner_map = match owner_map {
        None => None,
        Some(Ok(Ok(map))) => Some(map),
        Some(Ok(Err(source))) => return Err(scan_error("/proc", source)),
        Some(Err(_)) => {
            return Err(scan_error(
                "/proc",
                io::Error::other("the owner scan stopped unexpectedly"),
            ));
        }
    };
    let mut users = process::UserNames::default();
    Ok(assemble(
        query,
        Assembly {
            taken_at,
            kernel,
            owner_map: owner_map.as_ref(),
            pending: &|_| false,
            details: &mut |pid| process::details(pid, &mut users),
            warnings,
        },
    ))
}

/// The inputs of [`assemble`].
struct Assembly<'a> {
    taken_at: SystemTime,
    kernel: Vec<KernelSocket>,
    owner_map: Option<&'a OwnerMap>,
    /// Inodes the owner map has not seen yet (a cached map between rescans): owners unknown.
    pending: &'a dyn Fn(u64) -> bool,
    details: &'a mut dyn FnMut(u32) -> Option<crate::model::Process>,
    warnings: Vec<Warning>,
}

/// Turns kernel sockets and an owner map into a snapshot: interpret, filter, attach owners and
/// the details of the owners that are shown.
fn assemble(query: &Query, a: Assembly<'_>) -> Snapshot {
    let maker = EndpointMaker::new(ephemeral_range());
    let mut warnings = a.warnings;
    let mut sockets = Vec::with_capacity(a.kernel.len());

    let mut unknown_states = 0usize;
    let mut hidden = 0usize;
    let mut unseen = 0usize;
    let mut kernel = a.kernel;
    for k in &mut kernel {
        let Some(mut socket) = to_socket(k, &maker, query.info) else {
            unknown_states += 1;
            continue;
        };
        if !query.filter.matches_socket(&socket) {
            continue;
        }
        if let Some(map) = a.owner_map {
            let pids: Vec<u32> = map.owners(k.inode).collect();
            // No file refers to an inode-0 socket (TIME-WAIT, a connection still in an accept
            // queue): nothing owns it. A socket with an inode is held by something; if no
            // process here holds it, the holder is unknown, not absent.
            socket.owners = if !pids.is_empty() || k.inode == 0 {
                Some(pids)
            } else if (a.pending)(k.inode) {
                None
            } else if map.denied == 0 {
                unseen += 1;
                None
            } else {
                hidden += 1;
                None
            };
        }
        sockets.push(socket);
    }
    if unknown_states > 0 {
        warnings.push(Warning::Other(format!(
            "{unknown_states} socket(s) in a kernel state this version does not know were left out"
        )));
    }
    if let Some(map) = a.owner_map
        && hidden > 0
    {
        warnings.push(Warning::OwnersHidden {
            processes: map.denied,
            sockets: hidden,
            hint: PERMISSION_HINT,
        });
    }
    if unseen > 0 {
        warnings.push(Warning::OwnersUnseen { sockets: unseen });
    }
    let mut processes = BTreeMap::new();
    for pid in sockets.iter().filter_map(|s| s.owners.as_deref()).flatten() {
        if !processes.contains_key(pid)
            && let Some(p) = (a.details)(*pid)
        {
            processes.insert(*pid, p);
        }
    }
    Snapshot {
        taken_at: a.taken_at,
        host: rustix::system::uname()
            .nodename()
            .to_string_lossy()
            .into_owned(),
        sockets,
        processes,
        warnings,
    }
}

/// Owners and process details kept between the snapshots of a long-running view, so a steady
/// state costs a netlink dump, not a walk of every process's fd table.
///
/// The `/proc` walk is redone when the dump shows inodes the last walk did not see (at most every
/// [`OwnerCache::MIN_RESCAN`]), and in any case every [`OwnerCache::MAX_AGE`], which also catches
/// sockets passed between processes. Until then a new socket's owners are unknown (`None`).
#[derive(Default)]
pub struct OwnerCache {
    map: Option<OwnerMap>,
    known: HashSet<u64>,
    scanned_at: Option<Instant>,
    details: HashMap<u32, crate::model::Process>,
    users: process::UserNames,
}

impl OwnerCache {
    /// The shortest time between two walks.
    pub const MIN_RESCAN: Duration = Duration::from_secs(2);
    /// The longest time a walk's result is used.
    pub const MAX_AGE: Duration = Duration::from_secs(10);

    /// Takes a snapshot, walking `/proc` only when due.
    pub fn snapshot(&mut self, query: &Query) -> Result<Snapshot, CollectError> {
        let taken_at = SystemTime::now();
        let mut warnings = Vec::new();
        let kernel = kernel_sockets(&query.filter, query.info, &mut warnings)?;
        if query.owners && self.rescan_due(&kernel) {
            // A long-running view shares the machine with its own user interface: leave it a
            // core rather than walk /proc on all of them.
            let workers = threads().saturating_sub(1).max(1);
            let map = owners::scan(workers).map_err(|e| scan_error("/proc", e))?;
            self.known = kernel.iter().map(|k| k.inode).chain(map.inodes()).collect();
            self.map = Some(map);
            self.scanned_at = Some(Instant::now());
            self.details.clear();
        }
        let OwnerCache {
            map,
            known,
            details,
            users,
            ..
        } = self;
        let owner_map = if query.owners { map.as_ref() } else { None };
        Ok(assemble(
            query,
            Assembly {
                taken_at,
                kernel,
                owner_map,
                pending: &|inode| !known.contains(&inode),
                details: &mut |pid| {
                    if let Some(p) = details.get(&pid) {
                        return Some(p.clone());
                    }
                    let p = process::details(pid, users)?;
                    details.insert(pid, p.clone());
                    Some(p)
                },
                warnings,
            },
        ))
    }

    fn rescan_due(&self, kernel: &[KernelSocket]) -> bool {
        let Some(at) = self.scanned_at else {
            return true;
        };
        let age = at.elapsed();
        if age >= Self::MAX_AGE {
            return true;
        }
        age >= Self::MIN_RESCAN
            && kernel
                .iter()
                .any(|k| k.inode != 0 && !self.known.contains(&k.inode))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::StateSet;

    #[test]
    fn state_numbers() {
        assert_eq!(kernel_state(Proto::Tcp, 10), Some(SocketState::Listen));
        assert_eq!(kernel_state(Proto::Tcp, 12), Some(SocketState::SynRecv));
        assert_eq!(kernel_state(Proto::Udp, 7), Some(SocketState::Unconnected));
        assert_eq!(kernel_state(Proto::Udp, 1), Some(SocketState::Connected));
        assert_eq!(kernel_state(Proto::Udp, 10), None);
        assert_eq!(kernel_state(Proto::Tcp, 0), None);
        assert_eq!(kernel_state(Proto::Tcp, 200), None);
    }

    #[test]
    fn listening_pushes_down_to_kernel_bits() {
        let f = Filter {
            states: StateSet::of(&[SocketState::Listen, SocketState::Unconnected]),
            ..Filter::default()
        };
        assert_eq!(kernel_states(&f, Proto::Tcp), 1 << 10);
        assert_eq!(kernel_states(&f, Proto::Udp), 1 << TCP_CLOSE);
        let all = kernel_states(&Filter::default(), Proto::Tcp);
        assert_eq!(all, (1 << 14) - 2);
    }

    #[test]
    fn ipv4_only_still_dumps_ipv6_for_mapped_addresses() {
        let f = Filter {
            ipv6: false,
            udp: false,
            ..Filter::default()
        };
        let d = dumps(&f, false);
        assert_eq!(d.len(), 2);
        let f = Filter {
            ipv4: false,
            ..Filter::default()
        };
        assert!(
            dumps(&f, true)
                .iter()
                .all(|r| r.family == AF_INET6 && r.info == (r.proto == Proto::Tcp))
        );
    }
}
