//! The macOS system calls: the sysctls that hand out the socket lists and the ephemeral range,
//! libproc for owners, sysinfo for process details. Everything read is parsed by the pure
//! modules next door.

use std::collections::{BTreeMap, HashMap};
use std::ffi::{CStr, c_int, c_void};
use std::io;
use std::time::SystemTime;

use sysinfo::{Pid, ProcessRefreshKind, ProcessesToUpdate, System, UpdateKind};

use super::fdinfo::{OwnerKey, PROC_PIDFDSOCKETINFO, SOCKET_FDINFO_SIZE, parse_socket_fdinfo};
use super::{OwnerMap, PERMISSION_HINT, pcblist, to_socket};
use crate::collect::{CollectError, EndpointMaker, Query};
use crate::model::{Process, Proto, Snapshot, Warning};
use crate::ports::EphemeralRange;

/// `PROC_ALL_PIDS` (`sys/proc_info.h`).
const PROC_ALL_PIDS: u32 = 1;
/// `sizeof(struct proc_fdinfo)`: `int32_t proc_fd; uint32_t proc_fdtype`.
const PROC_FDINFO_SIZE: usize = 8;

/// Sets `errno` to 0, so a call that returns 0 without failing can be told from one that failed.
fn clear_errno() {
    // SAFETY: __error returns the calling thread's errno location, valid for the thread's life.
    unsafe { *libc::__error() = 0 };
}

fn errno() -> i32 {
    io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

/// Reads a sysctl whose size can change between asking and reading (a socket list).
fn sysctl_bytes(name: &CStr) -> io::Result<Vec<u8>> {
    for _ in 0..5 {
        let mut len: usize = 0;
        // SAFETY: `name` is NUL-terminated; a null `oldp` asks only for the size, written to
        // `len`; nothing is set (`newp` null, `newlen` 0).
        let rc = unsafe {
            libc::sysctlbyname(
                name.as_ptr(),
                std::ptr::null_mut(),
                &mut len,
                std::ptr::null_mut(),
                0,
            )
        };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
        // Room for sockets opened between the two calls.
        len += len / 8 + 4096;
        let mut buf = vec![0u8; len];
        // SAFETY: `buf` has `len` writable bytes; the kernel writes at most `len` and stores the
        // length written in `len`.
        let rc = unsafe {
            libc::sysctlbyname(
                name.as_ptr(),
                buf.as_mut_ptr().cast(),
                &mut len,
                std::ptr::null_mut(),
                0,
            )
        };
        if rc == 0 {
            buf.truncate(len);
            return Ok(buf);
        }
        if errno() != libc::ENOMEM {
            return Err(io::Error::last_os_error());
        }
    }
    Err(io::Error::other(
        "the socket list kept growing faster than it could be read",
    ))
}

/// Reads an integer sysctl.
fn sysctl_int(name: &CStr) -> Option<i32> {
    let mut value: c_int = 0;
    let mut len = std::mem::size_of::<c_int>();
    // SAFETY: `value` is a writable c_int and `len` its size; nothing is set.
    let rc = unsafe {
        libc::sysctlbyname(
            name.as_ptr(),
            (&raw mut value).cast::<c_void>(),
            &mut len,
            std::ptr::null_mut(),
            0,
        )
    };
    (rc == 0 && len == std::mem::size_of::<c_int>()).then_some(value)
}

/// `net.inet.ip.portrange.first` … `last`, or macOS's default (the IANA range).
fn ephemeral_range() -> EphemeralRange {
    let first = sysctl_int(c"net.inet.ip.portrange.first").and_then(|v| u16::try_from(v).ok());
    let last = sysctl_int(c"net.inet.ip.portrange.last").and_then(|v| u16::try_from(v).ok());
    match (first, last) {
        (Some(first), Some(last)) if first <= last => EphemeralRange { first, last },
        _ => EphemeralRange::IANA,
    }
}

/// Every PID on the machine.
fn all_pids() -> io::Result<Vec<i32>> {
    for _ in 0..5 {
        // SAFETY: a null buffer asks only for the size needed, in bytes.
        let n = unsafe { libc::proc_listpids(PROC_ALL_PIDS, 0, std::ptr::null_mut(), 0) };
        if n <= 0 {
            return Err(io::Error::last_os_error());
        }
        let mut pids = vec![0i32; n as usize / 4 + 64];
        let size = c_int::try_from(pids.len() * 4).unwrap_or(c_int::MAX);
        // SAFETY: `pids` has `size` writable bytes of i32s; the call writes at most that and
        // returns the bytes written.
        let n = unsafe { libc::proc_listpids(PROC_ALL_PIDS, 0, pids.as_mut_ptr().cast(), size) };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        if (n as usize) < pids.len() * 4 {
            pids.truncate(n as usize / 4);
            pids.retain(|&p| p > 0);
            return Ok(pids);
        }
        // Filled to the brim: processes appeared meanwhile; ask again.
    }
    Err(io::Error::other(
        "the process list kept growing faster than it could be read",
    ))
}

/// What listing a process's descriptors found.
enum Fds {
    /// The socket descriptors.
    Sockets(Vec<i32>),
    /// Not ours to inspect.
    Denied,
    /// Exited meanwhile.
    Gone,
}

/// The socket descriptors of `pid`.
fn socket_fds(pid: i32) -> Fds {
    clear_errno();
    // SAFETY: a null buffer asks only for the size needed, in bytes.
    let need =
        unsafe { libc::proc_pidinfo(pid, libc::PROC_PIDLISTFDS, 0, std::ptr::null_mut(), 0) };
    if need <= 0 {
        return match errno() {
            libc::EPERM | libc::EACCES => Fds::Denied,
            0 => Fds::Sockets(Vec::new()),
            _ => Fds::Gone,
        };
    }
    // Room for descriptors opened meanwhile.
    let mut buf = vec![0u8; need as usize + 32 * PROC_FDINFO_SIZE];
    let size = c_int::try_from(buf.len()).unwrap_or(c_int::MAX);
    clear_errno();
    // SAFETY: `buf` has `size` writable bytes; the call writes whole proc_fdinfo entries, at
    // most `size` bytes, and returns the bytes written.
    let got =
        unsafe { libc::proc_pidinfo(pid, libc::PROC_PIDLISTFDS, 0, buf.as_mut_ptr().cast(), size) };
    if got <= 0 {
        return match errno() {
            libc::EPERM | libc::EACCES => Fds::Denied,
            0 => Fds::Sockets(Vec::new()),
            _ => Fds::Gone,
        };
    }
    let got = (got as usize).min(buf.len());
    Fds::Sockets(
        buf[..got]
            .chunks_exact(PROC_FDINFO_SIZE)
            .filter(|e| {
                u32::from_le_bytes([e[4], e[5], e[6], e[7]]) == libc::PROX_FDTYPE_SOCKET as u32
            })
            .map(|e| i32::from_le_bytes([e[0], e[1], e[2], e[3]]))
            .collect(),
    )
}

/// One pass over every process's socket descriptors.
fn owner_map() -> io::Result<OwnerMap> {
    let mut map = OwnerMap::default();
    let mut info = vec![0u8; SOCKET_FDINFO_SIZE];
    for pid in all_pids()? {
        let fds = match socket_fds(pid) {
            Fds::Sockets(fds) => fds,
            Fds::Denied => {
                map.denied += 1;
                continue;
            }
            Fds::Gone => continue,
        };
        for fd in fds {
            // SAFETY: `info` has SOCKET_FDINFO_SIZE writable bytes, the size of the
            // socket_fdinfo the call fills; it returns the bytes written (0 on failure).
            let got = unsafe {
                libc::proc_pidfdinfo(
                    pid,
                    fd,
                    PROC_PIDFDSOCKETINFO,
                    info.as_mut_ptr().cast(),
                    SOCKET_FDINFO_SIZE as c_int,
                )
            };
            if got <= 0 {
                continue; // closed meanwhile
            }
            if let Some(sock) = parse_socket_fdinfo(&info[..(got as usize).min(info.len())]) {
                map.insert(sock.key, pid as u32);
            }
        }
    }
    Ok(map)
}

/// Whether `pid` is running; a zombie counts as exited.
pub fn alive(pid: u32) -> bool {
    let Some(p) = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    else {
        return false;
    };
    match rustix::process::test_kill_process(p) {
        Ok(()) | Err(rustix::io::Errno::PERM) => {}
        Err(_) => return false,
    }
    let mut info = [0u8; std::mem::size_of::<libc::proc_bsdinfo>()];
    let size = info.len() as c_int;
    // SAFETY: `info` has `size` writable bytes, the size of the proc_bsdinfo the call fills.
    let got = unsafe {
        libc::proc_pidinfo(
            p.as_raw_nonzero().get(),
            libc::PROC_PIDTBSDINFO,
            0,
            info.as_mut_ptr().cast(),
            size,
        )
    };
    // pbi_status is the second u32; unreadable (another user's process) counts as running.
    got != size || u32::from_le_bytes([info[4], info[5], info[6], info[7]]) != libc::SZOMB
}

/// Name, command line and user of the owners.
fn process_details(pids: &[u32]) -> BTreeMap<u32, Process> {
    let wanted: Vec<Pid> = pids.iter().map(|&p| Pid::from_u32(p)).collect();
    let mut system = System::new();
    system.refresh_processes_specifics(
        ProcessesToUpdate::Some(&wanted),
        true,
        ProcessRefreshKind::nothing()
            .with_cmd(UpdateKind::Always)
            .with_user(UpdateKind::Always),
    );
    let mut names: HashMap<u32, Option<String>> = HashMap::new();
    let mut out = BTreeMap::new();
    for pid in wanted {
        let Some(p) = system.process(pid) else {
            continue;
        };
        let uid = p.effective_user_id().or(p.user_id()).map(|u| **u);
        let user = uid.and_then(|u| {
            names
                .entry(u)
                .or_insert_with(|| {
                    uzers::get_user_by_uid(u).map(|x| x.name().to_string_lossy().into_owned())
                })
                .clone()
        });
        out.insert(pid.as_u32(), crate::collect::sysinfo_process(p, uid, user));
    }
    out
}

/// Takes a macOS snapshot.
pub fn snapshot(query: &Query) -> Result<Snapshot, CollectError> {
    let taken_at = SystemTime::now();
    let maker = EndpointMaker::new(ephemeral_range());
    let filter = &query.filter;
    let mut warnings = Vec::new();
    // Sockets first, then owners: a socket opened after the owner scan would otherwise be
    // listed as held by nothing.
    let mut found = Vec::new();
    let mut unknown_states = 0usize;
    for (proto, name) in [
        (Proto::Tcp, c"net.inet.tcp.pcblist_n"),
        (Proto::Udp, c"net.inet.udp.pcblist_n"),
    ] {
        if !filter.wants_proto(proto) {
            continue;
        }
        let what = name.to_string_lossy().into_owned();
        let buf = sysctl_bytes(name).map_err(|source| CollectError::Io {
            what: what.clone(),
            source,
        })?;
        let list = pcblist::parse(&buf, proto).map_err(|e| CollectError::Parse {
            what,
            detail: e.to_string(),
        })?;
        for record in list.current(proto) {
            let Some(socket) = to_socket(proto, record, &maker) else {
                unknown_states += 1;
                continue;
            };
            if filter.matches_socket(&socket) {
                found.push((socket, OwnerKey::of_record(proto, record)));
            }
        }
    }
    let owners = if query.owners {
        Some(owner_map().map_err(|source| CollectError::Io {
            what: "the process list".to_owned(),
            source,
        })?)
    } else {
        None
    };
    let mut hidden = 0usize;
    let sockets: Vec<_> = found
        .into_iter()
        .map(|(mut socket, key)| {
            if let Some(map) = &owners {
                socket.owners = map.owners(&key, socket.state);
                hidden += usize::from(socket.owners.is_none());
            }
            socket
        })
        .collect();
    if unknown_states > 0 {
        warnings.push(Warning::Other(format!(
            "{unknown_states} socket(s) in a TCP state this version does not know were left out"
        )));
    }
    if let Some(map) = &owners
        && hidden > 0
    {
        warnings.push(Warning::OwnersHidden {
            processes: map.denied,
            sockets: hidden,
            hint: PERMISSION_HINT,
        });
    }
    let mut pids: Vec<u32> = sockets
        .iter()
        .filter_map(|s| s.owners.as_deref())
        .flatten()
        .copied()
        .collect();
    pids.sort_unstable();
    pids.dedup();
    Ok(Snapshot {
        taken_at,
        host: rustix::system::uname()
            .nodename()
            .to_string_lossy()
            .into_owned(),
        sockets,
        processes: process_details(&pids),
        warnings,
    })
}
