//! Process details (name, command line, user) for the few PIDs that own a shown socket.
//!
//! Read as bytes and converted with replacement characters for invalid UTF-8: the text is
//! untrusted and is escaped later, at the terminal, not here.

use std::collections::HashMap;
use std::sync::Arc;

use crate::model::Process;

/// Splits `/proc/<pid>/cmdline` (NUL-separated, usually NUL-terminated) into arguments.
pub fn split_cmdline(raw: &[u8]) -> Vec<String> {
    let raw = raw.strip_suffix(b"\0").unwrap_or(raw);
    if raw.is_empty() {
        return Vec::new();
    }
    raw.split(|&b| b == 0)
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect()
}

/// The effective UID from the text of `/proc/<pid>/status` ("Uid:\treal\teffective\t…").
pub fn effective_uid(status: &[u8]) -> Option<u32> {
    let line = status
        .split(|&b| b == b'\n')
        .find_map(|l| l.strip_prefix(b"Uid:"))?;
    let text = std::str::from_utf8(line).ok()?;
    text.split_whitespace().nth(1)?.parse().ok()
}

/// Resolves UIDs to names through NSS (so LDAP/SSSD users resolve too), once per UID.
#[derive(Default)]
pub struct UserNames {
    cache: HashMap<u32, Option<Arc<str>>>,
}

impl UserNames {
    /// The name of `uid`, if the system knows one.
    pub fn name(&mut self, uid: u32) -> Option<String> {
        self.cache
            .entry(uid)
            .or_insert_with(|| {
                uzers::get_user_by_uid(uid).map(|u| Arc::from(u.name().to_string_lossy().as_ref()))
            })
            .as_deref()
            .map(str::to_owned)
    }
}

/// Whether `pid` runs: its `/proc/<pid>/stat` exists and its state is not zombie (`Z`) or
/// dead (`X`). The state follows the last `)`, since the name in parentheses may hold anything.
pub fn alive(pid: u32) -> bool {
    let Ok(stat) = std::fs::read(format!("/proc/{pid}/stat")) else {
        return false;
    };
    let Some(close) = stat.iter().rposition(|&b| b == b')') else {
        return false;
    };
    !matches!(stat.get(close + 2), Some(b'Z' | b'X') | None)
}

/// Reads the details of `pid`. `None` when the process is gone.
pub fn details(pid: u32, users: &mut UserNames) -> Option<Process> {
    let base = format!("/proc/{pid}");
    // comm is the one file that exists for every live process; if it is gone, so is the process.
    let comm = std::fs::read(format!("{base}/comm")).ok()?;
    let comm = comm.strip_suffix(b"\n").unwrap_or(&comm);
    let cmdline = std::fs::read(format!("{base}/cmdline"))
        .map(|raw| split_cmdline(&raw))
        .unwrap_or_default();
    let uid = std::fs::read(format!("{base}/status"))
        .ok()
        .and_then(|s| effective_uid(&s));
    Some(Process {
        pid,
        name: String::from_utf8_lossy(comm).into_owned(),
        cmdline,
        uid,
        user: uid.and_then(|u| users.name(u)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cmdline_splitting() {
        assert_eq!(split_cmdline(b"nginx: worker\0"), vec!["nginx: worker"]);
        assert_eq!(split_cmdline(b"a\0b\0\0c\0"), vec!["a", "b", "", "c"]);
        assert_eq!(split_cmdline(b""), Vec::<String>::new());
        assert_eq!(split_cmdline(b"\xff\0"), vec!["\u{fffd}"]);
    }

    #[test]
    fn uid_from_status() {
        let status = b"Name:\tx\nUid:\t1000\t1001\t1000\t1000\nGid:\t0\n";
        assert_eq!(effective_uid(status), Some(1001));
        assert_eq!(effective_uid(b"Name:\tx\n"), None);
    }

    #[test]
    fn liveness() {
        assert!(alive(std::process::id()));
        assert!(!alive(u32::MAX));
        let mut child = std::process::Command::new("true").spawn().unwrap();
        // Wait for it to become a zombie: exited, not yet reaped.
        let start = std::time::Instant::now();
        while alive(child.id()) && start.elapsed().as_secs() < 5 {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert!(!alive(child.id()));
        child.wait().unwrap();
    }

    #[test]
    fn reads_this_process() {
        let me = details(std::process::id(), &mut UserNames::default()).unwrap();
        assert!(!me.name.is_empty());
        assert!(!me.cmdline.is_empty());
        assert_eq!(me.uid, Some(rustix::process::geteuid().as_raw()));
    }
}
