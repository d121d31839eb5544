//! The floor: the least work any tool must do to list TCP sockets with their owners on Linux.
//!
//! Written straight on libc, single-threaded, independent of the sockscope library, so it is a
//! reference sockscope can be held against:
//!
//! (a) the owner scan: open /proc once; for every numeric entry open `<pid>/fd` relative to it
//!     (openat), list it with getdents64 into a reused buffer and `readlinkat` every entry once
//!     into a reused buffer, counting links that start with `socket:[`;
//! (b) the socket dump: a bare NETLINK_SOCK_DIAG dump of all TCP IPv4 and IPv6 sockets in every
//!     state, only counting messages (no parsing beyond the nlmsghdr walk).
//!
//! It prints the counts and how long each part took, as `key=value` words on one line.

use std::ffi::CStr;
use std::io::{self, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::Instant;

use crate::sys::{self, Result};

/// getdents64 buffer size (one call lists a few hundred entries).
const DENTS_BUF: usize = 64 * 1024;
/// Upper bound on getdents64 calls for one directory (keeps every loop bounded).
const MAX_DENTS_CALLS: usize = 1 << 20;
/// Netlink receive buffer: the kernel fills at most ~32 KiB per dump message batch.
const NL_BUF: usize = 64 * 1024;
/// Upper bound on recv calls for one netlink dump.
const MAX_NL_RECVS: usize = 1 << 24;

/// Netlink message types and flags (linux/netlink.h, linux/sock_diag.h).
const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
const SOCK_DIAG_BY_FAMILY: u16 = 20;
const NLM_F_REQUEST: u16 = 0x01;
const NLM_F_DUMP: u16 = 0x300;
const NLM_F_DUMP_INTR: u16 = 0x10;
const NLMSG_HDRLEN: usize = 16;

/// `idiag_states` bit masks: every TCP state, and ESTABLISHED only.
pub const ALL_STATES: u32 = u32::MAX;
pub const ESTABLISHED: u32 = 1 << 1;

/// Entry point of `bench --floor`.
pub fn floor_main() -> Result<()> {
    let t0 = Instant::now();
    let scan = scan_fd_tables()?;
    let t1 = Instant::now();
    let v4 = diag_count(libc::AF_INET as u8, ALL_STATES)?;
    let v6 = diag_count(libc::AF_INET6 as u8, ALL_STATES)?;
    let t2 = Instant::now();
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "processes={} fds={} socket_links={} diag_tcp4={} diag_tcp6={} fd_scan_ms={:.1} diag_ms={:.1}{}",
        scan.processes,
        scan.fds,
        scan.socket_links,
        v4.messages,
        v6.messages,
        (t1 - t0).as_secs_f64() * 1e3,
        (t2 - t1).as_secs_f64() * 1e3,
        if v4.interrupted || v6.interrupted {
            " dump_interrupted=1"
        } else {
            ""
        }
    )?;
    out.flush()?;
    Ok(())
}

/// What the owner scan saw.
#[derive(Debug, Default)]
pub struct FdScan {
    pub processes: u64,
    pub fds: u64,
    pub socket_links: u64,
}

/// Part (a): every /proc/<pid>/fd entry read once with readlinkat.
pub fn scan_fd_tables() -> Result<FdScan> {
    let proc_dir = open_dir(libc::AT_FDCWD, c"/proc")?;
    let mut dents = vec![0u8; DENTS_BUF];
    let mut link = vec![0u8; 256];
    let mut pids = Vec::with_capacity(1024);
    for_each_entry(&proc_dir, &mut dents, |name| {
        let bytes = name.to_bytes();
        if !bytes.is_empty() && bytes.iter().all(u8::is_ascii_digit) {
            pids.push(bytes.to_vec());
        }
    })?;
    let mut scan = FdScan::default();
    let mut path = Vec::with_capacity(32);
    for pid in &pids {
        path.clear();
        path.extend_from_slice(pid);
        path.extend_from_slice(b"/fd\0");
        let Ok(path) = CStr::from_bytes_with_nul(&path) else {
            continue;
        };
        // The process may have exited, or hide its fds: skip it, as every tool does.
        let Ok(fd_dir) = open_dir(proc_dir.as_raw_fd(), path) else {
            continue;
        };
        scan.processes += 1;
        let dir_fd = fd_dir.as_raw_fd();
        for_each_entry(&fd_dir, &mut dents, |name| {
            if name.to_bytes().first() == Some(&b'.') {
                return;
            }
            scan.fds += 1;
            // SAFETY: `name` is NUL-terminated and `link` is a writable buffer of the length
            // passed; readlinkat writes at most that many bytes and does not NUL-terminate.
            let n = unsafe {
                libc::readlinkat(dir_fd, name.as_ptr(), link.as_mut_ptr().cast(), link.len())
            };
            if let Ok(n) = usize::try_from(n)
                && link[..n.min(link.len())].starts_with(b"socket:[")
            {
                scan.socket_links += 1;
            }
        })?;
    }
    Ok(scan)
}

/// openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC).
fn open_dir(dirfd: libc::c_int, path: &CStr) -> io::Result<OwnedFd> {
    // SAFETY: `path` is a valid NUL-terminated string for the duration of the call.
    let fd = unsafe {
        libc::openat(
            dirfd,
            path.as_ptr(),
            libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC,
        )
    };
    let fd = sys::cvt(fd)?;
    // SAFETY: openat just returned this new descriptor; nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Lists a directory with getdents64 into `buf`, calling `f` with each entry name.
fn for_each_entry(dir: &OwnedFd, buf: &mut [u8], mut f: impl FnMut(&CStr)) -> io::Result<()> {
    for _ in 0..MAX_DENTS_CALLS {
        // SAFETY: `buf` is writable for `buf.len()` bytes; the kernel writes at most that much.
        let n = unsafe {
            libc::syscall(
                libc::SYS_getdents64,
                dir.as_raw_fd(),
                buf.as_mut_ptr(),
                buf.len(),
            )
        };
        let n = match usize::try_from(n) {
            Ok(0) => return Ok(()),
            Ok(n) => n.min(buf.len()),
            Err(_) => return Err(io::Error::last_os_error()),
        };
        // struct linux_dirent64 { u64 d_ino; i64 d_off; u16 d_reclen; u8 d_type; char d_name[]; }
        let mut off = 0;
        while off + 19 < n {
            let reclen = usize::from(u16::from_ne_bytes([buf[off + 16], buf[off + 17]]));
            if reclen < 20 || off + reclen > n {
                return Err(io::Error::other("malformed getdents64 record"));
            }
            if let Ok(name) = CStr::from_bytes_until_nul(&buf[off + 19..off + reclen]) {
                f(name);
            }
            off += reclen;
        }
    }
    Err(io::Error::other("directory listing did not end"))
}

/// What one netlink dump returned.
#[derive(Debug, Default, Clone, Copy)]
pub struct DiagCount {
    pub messages: u64,
    /// The kernel flagged the dump as inconsistent (sockets changed while dumping).
    pub interrupted: bool,
}

/// Part (b): counts the TCP sockets of one address family in the given states (an
/// `idiag_states` bit mask) with a NETLINK_SOCK_DIAG dump.
pub fn diag_count(family: u8, states: u32) -> Result<DiagCount> {
    // SAFETY: socket() takes no pointers; the result is checked below.
    let fd = unsafe {
        libc::socket(
            libc::AF_NETLINK,
            libc::SOCK_RAW | libc::SOCK_CLOEXEC,
            libc::NETLINK_SOCK_DIAG,
        )
    };
    let fd = sys::cvt(fd).map_err(|e| format!("netlink socket: {e}"))?;
    // SAFETY: socket() just returned this new descriptor; nothing else owns it.
    let sock = unsafe { OwnedFd::from_raw_fd(fd) };

    let req = dump_request(family, states, 1);
    // SAFETY: `req` is readable for `req.len()` bytes. An unconnected netlink socket sends to
    // the kernel (port id 0).
    let sent = unsafe { libc::send(sock.as_raw_fd(), req.as_ptr().cast(), req.len(), 0) };
    if usize::try_from(sent).ok() != Some(req.len()) {
        return Err(format!("netlink send: {}", io::Error::last_os_error()).into());
    }

    let mut buf = vec![0u8; NL_BUF];
    let mut count = DiagCount::default();
    for _ in 0..MAX_NL_RECVS {
        // SAFETY: `buf` is writable for `buf.len()` bytes.
        let n = unsafe { libc::recv(sock.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), 0) };
        let n = match usize::try_from(n) {
            Ok(0) => return Err("netlink socket closed before the dump ended".into()),
            Ok(n) => n.min(buf.len()),
            Err(_) => {
                let e = io::Error::last_os_error();
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(format!("netlink recv: {e}").into());
            }
        };
        let mut off = 0;
        while off + NLMSG_HDRLEN <= n {
            let len = u32::from_ne_bytes([buf[off], buf[off + 1], buf[off + 2], buf[off + 3]]);
            let len = usize::try_from(len)?;
            let kind = u16::from_ne_bytes([buf[off + 4], buf[off + 5]]);
            let flags = u16::from_ne_bytes([buf[off + 6], buf[off + 7]]);
            if len < NLMSG_HDRLEN || off + len > n {
                return Err("malformed netlink message".into());
            }
            if flags & NLM_F_DUMP_INTR != 0 {
                count.interrupted = true;
            }
            match kind {
                NLMSG_DONE | NLMSG_ERROR => {
                    // Both carry an int error code (negative errno, or 0) after the header.
                    let code = buf
                        .get(off + 16..off + 20)
                        .map_or(0, |b| i32::from_ne_bytes([b[0], b[1], b[2], b[3]]));
                    if code < 0 {
                        return Err(format!(
                            "netlink dump: {}",
                            io::Error::from_raw_os_error(-code)
                        )
                        .into());
                    }
                    return Ok(count);
                }
                _ => count.messages += 1,
            }
            off += (len + 3) & !3;
        }
    }
    Err("netlink dump did not end".into())
}

/// nlmsghdr + inet_diag_req_v2 asking for a dump of TCP sockets of `family` in `states`.
fn dump_request(family: u8, states: u32, seq: u32) -> Vec<u8> {
    const REQ_LEN: usize = NLMSG_HDRLEN + 8 + 48; // header + req fields + inet_diag_sockid
    let mut req = Vec::with_capacity(REQ_LEN);
    req.extend_from_slice(&(REQ_LEN as u32).to_ne_bytes()); // nlmsg_len
    req.extend_from_slice(&SOCK_DIAG_BY_FAMILY.to_ne_bytes()); // nlmsg_type
    req.extend_from_slice(&(NLM_F_REQUEST | NLM_F_DUMP).to_ne_bytes()); // nlmsg_flags
    req.extend_from_slice(&seq.to_ne_bytes()); // nlmsg_seq
    req.extend_from_slice(&0u32.to_ne_bytes()); // nlmsg_pid
    req.push(family); // sdiag_family
    req.push(libc::IPPROTO_TCP as u8); // sdiag_protocol
    req.push(0); // idiag_ext: no extensions, the smallest messages
    req.push(0); // pad
    req.extend_from_slice(&states.to_ne_bytes()); // idiag_states
    req.resize(REQ_LEN, 0); // inet_diag_sockid: all zero (no filter)
    req
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_has_the_kernel_layout() {
        let req = dump_request(libc::AF_INET as u8, ALL_STATES, 7);
        assert_eq!(req.len(), 72);
        assert_eq!(&req[0..4], &72u32.to_ne_bytes());
        assert_eq!(req[16], libc::AF_INET as u8);
        assert_eq!(req[17], libc::IPPROTO_TCP as u8);
    }
}
