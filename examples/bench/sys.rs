//! Thin, checked wrappers over the few libc calls the harness needs (sockets, rlimits, signals).
//!
//! Every wrapper turns a `-1` return into the `errno` error, so callers only deal in `io::Result`.

use std::io;
use std::mem;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// The harness's error type: any error, printed with its message.
pub type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// Turns a `-1` return into the current `errno` error.
pub fn cvt(ret: libc::c_int) -> io::Result<libc::c_int> {
    if ret == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

/// Wraps a file descriptor returned by a successful system call.
fn owned(fd: libc::c_int) -> io::Result<OwnedFd> {
    let fd = cvt(fd)?;
    // SAFETY: `fd` was just returned by a successful call that creates a new descriptor, and
    // nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// The current RLIMIT_NOFILE as (soft, hard).
pub fn nofile_limit() -> io::Result<(u64, u64)> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `lim` is a valid, writable rlimit for the duration of the call.
    cvt(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) })?;
    Ok((lim.rlim_cur, lim.rlim_max))
}

/// Makes sure this process may hold at least `need` descriptors.
///
/// When the soft limit is too low, sets soft = hard = `need` (we run as root, so raising the hard
/// limit is allowed up to /proc/sys/fs/nr_open). Never lowers a limit that is already enough.
pub fn ensure_nofile(need: u64) -> Result<()> {
    let (soft, hard) = nofile_limit()?;
    if soft >= need {
        return Ok(());
    }
    if need <= hard {
        return set_nofile(need, hard);
    }
    let nr_open: u64 = std::fs::read_to_string("/proc/sys/fs/nr_open")?
        .trim()
        .parse()?;
    if need > nr_open {
        return Err(format!(
            "need {need} file descriptors but /proc/sys/fs/nr_open is {nr_open}; \
             use more --procs so each process holds fewer sockets"
        )
        .into());
    }
    set_nofile(need, need)
}

/// Makes sure RLIMIT_NOFILE's hard limit is at least `need`, leaving the soft limit alone, so
/// children we start may raise their soft limit that far. Fails clearly when we may not.
pub fn ensure_hard_nofile(need: u64) -> Result<()> {
    let (soft, hard) = nofile_limit()?;
    if hard >= need {
        return Ok(());
    }
    set_nofile(soft, need).map_err(|_| {
        format!(
            "a farm process needs {need} file descriptors, but RLIMIT_NOFILE's hard limit is \
             {hard} and may not be raised here (no CAP_SYS_RESOURCE, or above fs.nr_open)"
        )
        .into()
    })
}

fn set_nofile(soft: u64, hard: u64) -> Result<()> {
    let lim = libc::rlimit {
        rlim_cur: soft,
        rlim_max: hard,
    };
    // SAFETY: `lim` is a valid rlimit that outlives the call.
    cvt(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) })
        .map_err(|e| format!("setrlimit(RLIMIT_NOFILE, {soft}/{hard}): {e} (are we root?)"))?;
    Ok(())
}

/// Sets one socket option whose kernel type is `T` (an int, a `timeval`, a `linger`).
pub fn setsockopt<T>(
    fd: &OwnedFd,
    level: libc::c_int,
    name: libc::c_int,
    value: &T,
) -> io::Result<()> {
    let len = mem::size_of::<T>() as libc::socklen_t;
    // SAFETY: `value` points to a live `T` of `len` bytes; the caller picks `T` to be the type the
    // kernel expects for (`level`, `name`), and the kernel only reads it.
    cvt(unsafe { libc::setsockopt(fd.as_raw_fd(), level, name, (value as *const T).cast(), len) })?;
    Ok(())
}

/// A new blocking, close-on-exec IPv4 TCP socket.
pub fn tcp_socket() -> io::Result<OwnedFd> {
    // SAFETY: socket() takes no pointers; the result is checked by `owned`.
    owned(unsafe { libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0) })
}

/// An IPv4 socket address (`ip` in dotted order, `port` in host order).
pub fn sockaddr_v4(ip: [u8; 4], port: u16) -> libc::sockaddr_in {
    libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: port.to_be(),
        sin_addr: libc::in_addr {
            s_addr: u32::from_be_bytes(ip).to_be(),
        },
        sin_zero: [0; 8],
    }
}

/// bind(2) to an IPv4 address.
pub fn bind_v4(fd: &OwnedFd, ip: [u8; 4], port: u16) -> io::Result<()> {
    let addr = sockaddr_v4(ip, port);
    // SAFETY: `addr` is a valid sockaddr_in and the length passed is its size.
    cvt(unsafe {
        libc::bind(
            fd.as_raw_fd(),
            (&addr as *const libc::sockaddr_in).cast(),
            mem::size_of::<libc::sockaddr_in>() as libc::socklen_t,
        )
    })?;
    Ok(())
}

/// connect(2) to an IPv4 address (blocking; bounded by the socket's SO_SNDTIMEO).
pub fn connect_v4(fd: &OwnedFd, ip: [u8; 4], port: u16) -> io::Result<()> {
    let addr = sockaddr_v4(ip, port);
    // SAFETY: `addr` is a valid sockaddr_in and the length passed is its size.
    cvt(unsafe {
        libc::connect(
            fd.as_raw_fd(),
            (&addr as *const libc::sockaddr_in).cast(),
            mem::size_of::<libc::sockaddr_in>() as libc::socklen_t,
        )
    })?;
    Ok(())
}

/// listen(2) with `backlog` (the kernel caps it at net.core.somaxconn).
pub fn listen(fd: &OwnedFd, backlog: libc::c_int) -> io::Result<()> {
    // SAFETY: listen() takes no pointers.
    cvt(unsafe { libc::listen(fd.as_raw_fd(), backlog) })?;
    Ok(())
}

/// accept4(2) one connection, close-on-exec (blocking; bounded by the listener's SO_RCVTIMEO).
pub fn accept(listener: &OwnedFd) -> io::Result<OwnedFd> {
    // SAFETY: null address pointers are allowed (we do not want the peer address).
    owned(unsafe {
        libc::accept4(
            listener.as_raw_fd(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            libc::SOCK_CLOEXEC,
        )
    })
}

/// A `timeval` of whole seconds, for SO_SNDTIMEO / SO_RCVTIMEO.
pub fn timeval_secs(secs: i64) -> libc::timeval {
    libc::timeval {
        tv_sec: secs as libc::time_t,
        tv_usec: 0,
    }
}

/// Sends `sig` to `pid`. Only ever called with PIDs of children we spawned and have not reaped.
pub fn kill(pid: libc::pid_t, sig: libc::c_int) {
    // SAFETY: kill() takes no pointers; the caller guarantees `pid` is our unreaped child, so the
    // PID cannot have been reused by an unrelated process.
    unsafe {
        libc::kill(pid, sig);
    }
}

/// Reads a small /proc/sys file as a trimmed string.
pub fn read_sys(path: &str) -> io::Result<String> {
    Ok(std::fs::read_to_string(path)?.trim().to_owned())
}
