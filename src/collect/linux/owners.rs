//! Which processes hold which socket: one pass over `/proc/<pid>/fd`.
//!
//! Each fd entry is a symlink whose target is `socket:[INODE]` for sockets. This pass is the cost
//! floor of any owner lookup, so it is kept lean: every `/proc/<pid>/fd` directory is opened once
//! relative to an open `/proc`, listed with `getdents` into a reused buffer, and each entry read
//! with `readlinkat` into a reused buffer; nothing is allocated per fd. The processes are shared
//! out to one worker per core through an atomic cursor, and the result is a flat sorted vector
//! of (inode, pid), which needs no hashing to build and one binary search to query.

use std::ffi::CStr;
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::atomic::{AtomicUsize, Ordering};

use rustix::fs::{Mode, OFlags, RawDir};
use rustix::io::Errno;

/// The owners found by one pass.
#[derive(Debug, Default)]
pub struct OwnerMap {
    /// (socket inode, pid), sorted and without duplicates.
    pairs: Vec<(u64, u32)>,
    /// Processes whose fd table could not be read (permission denied).
    pub denied: usize,
}

impl OwnerMap {
    /// Every socket inode that has an owner.
    pub fn inodes(&self) -> impl Iterator<Item = u64> + '_ {
        self.pairs.iter().map(|&(inode, _)| inode)
    }

    /// The PIDs holding `inode`, ascending.
    pub fn owners(&self, inode: u64) -> impl Iterator<Item = u32> + '_ {
        let start = self.pairs.partition_point(|&(i, _)| i < inode);
        self.pairs[start..]
            .iter()
            .take_while(move |&&(i, _)| i == inode)
            .map(|&(_, pid)| pid)
    }
}

/// Parses the decimal name of a `/proc` entry as a PID.
fn pid_of(name: &[u8]) -> Option<u32> {
    if name.is_empty() || name.len() > 10 || !name.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(name).ok()?.parse().ok()
}

/// Parses a link target `socket:[12345]` into the inode.
fn socket_inode(target: &[u8]) -> Option<u64> {
    let digits = target.strip_prefix(b"socket:[")?.strip_suffix(b"]")?;
    if digits.is_empty() || digits.len() > 20 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

/// Lists the PIDs under `/proc`.
fn list_pids(
    proc: BorrowedFd<'_>,
    dirent_buf: &mut [MaybeUninit<u8>],
) -> std::io::Result<Vec<u32>> {
    // A fresh descriptor: getdents reads from the file offset, which a shared fd would disturb.
    let dir = rustix::fs::openat(
        proc,
        c".",
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    let mut pids = Vec::with_capacity(1024);
    let mut entries = RawDir::new(&dir, dirent_buf);
    while let Some(entry) = entries.next() {
        let entry = entry?;
        if let Some(pid) = pid_of(entry.file_name().to_bytes()) {
            pids.push(pid);
        }
    }
    Ok(pids)
}

/// Per-worker reusable state.
struct Worker {
    dirents: Vec<MaybeUninit<u8>>,
    link: [u8; 64],
    path: [u8; 24],
    pairs: Vec<(u64, u32)>,
    denied: usize,
}

impl Worker {
    fn new() -> Worker {
        Worker {
            dirents: vec![MaybeUninit::uninit(); 32 * 1024],
            link: [0; 64],
            path: [0; 24],
            pairs: Vec::new(),
            denied: 0,
        }
    }

    /// Writes "<pid>/fd\0" into the path buffer and returns it as a C string.
    fn fd_dir_path(&mut self, pid: u32) -> Option<&CStr> {
        let mut digits = [0u8; 10];
        let mut n = pid;
        let mut len = 0;
        loop {
            digits[len] = b'0' + (n % 10) as u8;
            len += 1;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        for i in 0..len {
            self.path[i] = digits[len - 1 - i];
        }
        self.path[len..len + 4].copy_from_slice(b"/fd\0");
        CStr::from_bytes_with_nul(&self.path[..len + 4]).ok()
    }

    fn scan_process(&mut self, proc: BorrowedFd<'_>, pid: u32) {
        let Some(path) = self.fd_dir_path(pid) else {
            return;
        };
        let dir: OwnedFd = match rustix::fs::openat(
            proc,
            path,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        ) {
            Ok(fd) => fd,
            Err(Errno::ACCESS | Errno::PERM) => {
                self.denied += 1;
                return;
            }
            // Gone (ENOENT, ESRCH) or not a process any more: nothing to report.
            Err(_) => return,
        };
        let mut entries = RawDir::new(dir.as_fd(), &mut self.dirents);
        while let Some(entry) = entries.next() {
            let Ok(entry) = entry else {
                // The process exited while being listed.
                return;
            };
            let name = entry.file_name();
            if name.to_bytes().first() == Some(&b'.') {
                continue;
            }
            // A fd closed since the listing gives ENOENT: skip it.
            // A longer target is cut to the buffer's length; socket links are ~20 bytes.
            let Ok(len) = rustix::fs::readlinkat_raw(dir.as_fd(), name, &mut self.link[..]) else {
                continue;
            };
            if let Some(inode) = self.link.get(..len).and_then(socket_inode) {
                self.pairs.push((inode, pid));
            }
        }
    }
}

/// Walks `/proc/*/fd` once on `threads` workers and returns every socket inode's owners.
pub fn scan(threads: usize) -> std::io::Result<OwnerMap> {
    let proc = rustix::fs::open(
        c"/proc",
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    let mut first = Worker::new();
    let pids = list_pids(proc.as_fd(), &mut first.dirents)?;
    let cursor = AtomicUsize::new(0);
    let run = |worker: &mut Worker| {
        loop {
            let i = cursor.fetch_add(1, Ordering::Relaxed);
            let Some(&pid) = pids.get(i) else { break };
            worker.scan_process(proc.as_fd(), pid);
        }
    };
    let threads = threads.clamp(1, 16).min(pids.len().max(1));
    let mut workers = std::thread::scope(|s| {
        let handles: Vec<_> = (1..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut w = Worker::new();
                    run(&mut w);
                    w
                })
            })
            .collect();
        run(&mut first);
        let mut done = vec![first];
        // A worker cannot panic short of a bug; its share is then simply missing.
        done.extend(handles.into_iter().filter_map(|h| h.join().ok()));
        done
    });
    let total: usize = workers.iter().map(|w| w.pairs.len()).sum();
    let mut map = OwnerMap {
        pairs: Vec::with_capacity(total),
        denied: 0,
    };
    for w in &mut workers {
        map.pairs.append(&mut w.pairs);
        map.denied += w.denied;
    }
    map.pairs.sort_unstable();
    map.pairs.dedup();
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_and_links() {
        assert_eq!(pid_of(b"1234"), Some(1234));
        assert_eq!(pid_of(b"self"), None);
        assert_eq!(pid_of(b""), None);
        assert_eq!(pid_of(b"99999999999"), None);
        assert_eq!(socket_inode(b"socket:[81234]"), Some(81234));
        assert_eq!(socket_inode(b"socket:[]"), None);
        assert_eq!(socket_inode(b"pipe:[81234]"), None);
        assert_eq!(socket_inode(b"/dev/null"), None);
        assert_eq!(socket_inode(b"socket:[12x]"), None);
    }

    #[test]
    fn path_buffer() {
        let mut w = Worker::new();
        assert_eq!(w.fd_dir_path(0).unwrap().to_bytes(), b"0/fd");
        assert_eq!(w.fd_dir_path(4194304).unwrap().to_bytes(), b"4194304/fd");
        assert_eq!(
            w.fd_dir_path(u32::MAX).unwrap().to_bytes(),
            b"4294967295/fd"
        );
    }

    #[test]
    fn finds_our_own_socket() {
        use std::os::unix::fs::MetadataExt;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let fd = std::os::fd::AsRawFd::as_raw_fd(&listener);
        let inode = std::fs::metadata(format!("/proc/self/fd/{fd}"))
            .unwrap()
            .ino();
        let map = scan(2).unwrap();
        let owners: Vec<u32> = map.owners(inode).collect();
        assert_eq!(owners, vec![std::process::id()]);
        assert_eq!(map.owners(u64::MAX).count(), 0);
    }
}
