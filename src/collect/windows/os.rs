//! The Windows calls: iphlpapi for the tables, OpenProcess for liveness, sysinfo for process
//! details.

use std::collections::BTreeMap;
use std::io;
use std::time::SystemTime;

use sysinfo::{Pid, ProcessRefreshKind, ProcessesToUpdate, System, UpdateKind};
use windows_sys::Win32::Foundation::{
    CloseHandle, ERROR_ACCESS_DENIED, ERROR_INSUFFICIENT_BUFFER, ERROR_NOT_SUPPORTED, FALSE,
    HANDLE, NO_ERROR, WAIT_TIMEOUT,
};
use windows_sys::Win32::NetworkManagement::IpHelper::{
    GetExtendedTcpTable, GetExtendedUdpTable, TCP_TABLE_OWNER_PID_ALL, UDP_TABLE_OWNER_PID,
};
use windows_sys::Win32::Networking::WinSock::{AF_INET, AF_INET6};
use windows_sys::Win32::Security::{
    GetTokenInformation, LookupAccountSidW, SID_NAME_USE, TOKEN_QUERY, TOKEN_USER, TokenUser,
};
use windows_sys::Win32::System::Threading::{
    OpenProcess, OpenProcessToken, PROCESS_QUERY_LIMITED_INFORMATION, PROCESS_SYNCHRONIZE,
    WaitForSingleObject,
};

use super::table::{TableKind, parse_table};
use super::{EPHEMERAL_RANGE_ENV, PERMISSION_HINT, to_socket};
use crate::collect::{CollectError, EndpointMaker, Query};
use crate::model::{Process, Proto, Snapshot, Warning};

/// Fills `words` with `kind`'s table; on `ERROR_INSUFFICIENT_BUFFER`, `size` holds the size
/// needed.
fn call(kind: TableKind, words: &mut [u32], size: &mut u32) -> u32 {
    let af = u32::from(if kind.is_ipv6() { AF_INET6 } else { AF_INET });
    let ptr = words.as_mut_ptr().cast();
    if kind.proto() == Proto::Tcp {
        // SAFETY: `ptr` points to `words`, which holds at least `*size` writable bytes
        // (the caller sets `size` from the slice), 4-byte aligned as the table's DWORDs
        // require; the call writes no more than `*size` bytes and updates `size`.
        unsafe { GetExtendedTcpTable(ptr, size, FALSE, af, TCP_TABLE_OWNER_PID_ALL, 0) }
    } else {
        // SAFETY: as for the TCP table just above.
        unsafe { GetExtendedUdpTable(ptr, size, FALSE, af, UDP_TABLE_OWNER_PID, 0) }
    }
}

/// Reads one table as bytes, growing the buffer while sockets appear between the calls.
fn read_table(kind: TableKind) -> Result<Vec<u8>, CollectError> {
    let mut words: Vec<u32> = vec![0; 1024];
    for _ in 0..8 {
        let mut size = u32::try_from(words.len() * 4).unwrap_or(u32::MAX);
        match call(kind, &mut words, &mut size) {
            NO_ERROR => return Ok(words.iter().flat_map(|w| w.to_le_bytes()).collect()),
            ERROR_INSUFFICIENT_BUFFER => {
                // Room for the sockets opened before the next call, too.
                let want = size as usize + size as usize / 8 + 256;
                words.resize(want.div_ceil(4), 0);
            }
            // No IPv6 stack: no IPv6 sockets.
            ERROR_NOT_SUPPORTED if kind.is_ipv6() => return Ok(vec![0; 4]),
            code => {
                return Err(CollectError::Io {
                    what: format!("the {kind:?} socket table"),
                    source: io::Error::from_raw_os_error(code as i32),
                });
            }
        }
    }
    Err(CollectError::Io {
        what: format!("the {kind:?} socket table"),
        source: io::Error::other("the table kept growing faster than it could be read"),
    })
}

/// A handle closed when dropped.
struct Handle(HANDLE);

impl Handle {
    /// Opens process `pid` with `access`; `None` (and the OS error in `last_os_error`) when it
    /// cannot be opened.
    fn process(pid: u32, access: u32) -> Option<Handle> {
        // SAFETY: OpenProcess takes no pointers; the handle is owned by the result.
        let h = unsafe { OpenProcess(access, FALSE, pid) };
        (!h.is_null()).then_some(Handle(h))
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        // SAFETY: the handle is valid and owned by this value, so it is closed exactly once.
        unsafe { CloseHandle(self.0) };
    }
}

/// Whether `pid` is running: a handle to it is not yet signalled. A process we may not
/// open (another user's, or protected) exists; one that cannot be found does not.
pub fn alive(pid: u32) -> bool {
    let Some(process) =
        Handle::process(pid, PROCESS_QUERY_LIMITED_INFORMATION | PROCESS_SYNCHRONIZE)
    else {
        return io::Error::last_os_error().raw_os_error() == Some(ERROR_ACCESS_DENIED as i32);
    };
    // SAFETY: a valid process handle with SYNCHRONIZE access; a zero timeout only polls.
    unsafe { WaitForSingleObject(process.0, 0) == WAIT_TIMEOUT }
}

/// The account name of the user `pid` runs as, from its token. `None` when the process or its
/// token may not be opened (other users' elevated processes, services, protected processes).
fn user_of(pid: u32) -> Option<String> {
    let process = Handle::process(pid, PROCESS_QUERY_LIMITED_INFORMATION)?;
    let mut token: HANDLE = std::ptr::null_mut();
    // SAFETY: a valid process handle; `token` receives a handle we then own.
    if unsafe { OpenProcessToken(process.0, TOKEN_QUERY, &mut token) } == 0 {
        return None;
    }
    let token = Handle(token);
    let mut len = 0u32;
    // SAFETY: a null buffer of length 0 asks only for the length needed, written to `len`.
    unsafe { GetTokenInformation(token.0, TokenUser, std::ptr::null_mut(), 0, &mut len) };
    if len == 0 {
        return None;
    }
    // u64s: the TOKEN_USER at the start of the buffer holds a pointer, so it is 8-aligned.
    let mut buf = vec![0u64; (len as usize).div_ceil(8)];
    // SAFETY: `buf` has at least `len` writable bytes.
    let ok =
        unsafe { GetTokenInformation(token.0, TokenUser, buf.as_mut_ptr().cast(), len, &mut len) };
    if ok == 0 || (len as usize) < std::mem::size_of::<TOKEN_USER>() {
        return None;
    }
    // SAFETY: the call succeeded, so the buffer starts with a TOKEN_USER (the buffer is
    // 8-aligned and long enough); its SID points into the same buffer, alive until the end.
    let sid = unsafe { (*buf.as_ptr().cast::<TOKEN_USER>()).User.Sid };
    let mut name = [0u16; 256];
    let mut domain = [0u16; 256];
    let (mut name_len, mut domain_len) = (name.len() as u32, domain.len() as u32);
    let mut kind: SID_NAME_USE = 0;
    // SAFETY: `sid` is valid (above); the name buffers hold the lengths passed, and the call
    // writes at most that many UTF-16 units, storing the length written (without the NUL).
    let ok = unsafe {
        LookupAccountSidW(
            std::ptr::null(),
            sid,
            name.as_mut_ptr(),
            &mut name_len,
            domain.as_mut_ptr(),
            &mut domain_len,
            &mut kind,
        )
    };
    (ok != 0).then(|| String::from_utf16_lossy(&name[..(name_len as usize).min(name.len())]))
}

/// Name, command line and user of the owners, and how many could not be fully read.
fn process_details(pids: &[u32]) -> (BTreeMap<u32, Process>, usize) {
    let wanted: Vec<Pid> = pids.iter().map(|&p| Pid::from_u32(p)).collect();
    let mut system = System::new();
    system.refresh_processes_specifics(
        ProcessesToUpdate::Some(&wanted),
        true,
        ProcessRefreshKind::nothing().with_cmd(UpdateKind::Always),
    );
    let mut out = BTreeMap::new();
    let mut unreadable = 0;
    for pid in wanted {
        let Some(p) = system.process(pid) else {
            continue;
        };
        let user = user_of(pid.as_u32());
        // PID 4 is the kernel ("System"): it has neither a command line nor a user token.
        if pid.as_u32() > 4 && (user.is_none() || p.cmd().is_empty()) {
            unreadable += 1;
        }
        out.insert(pid.as_u32(), crate::collect::sysinfo_process(p, None, user));
    }
    (out, unreadable)
}

/// Takes a Windows snapshot.
pub fn snapshot(query: &Query) -> Result<Snapshot, CollectError> {
    let taken_at = SystemTime::now();
    let configured = std::env::var(EPHEMERAL_RANGE_ENV).ok();
    let maker = EndpointMaker::new(super::ephemeral_range(configured.as_deref()));
    let filter = &query.filter;
    let mut warnings = Vec::new();
    let mut sockets = Vec::new();
    let mut unknown_states = 0usize;
    for kind in TableKind::ALL {
        // An IPv4-only query still reads the IPv6 tables: a dual-stack socket can carry an
        // IPv4-mapped address, which counts as IPv4.
        if !filter.wants_proto(kind.proto()) || (!kind.is_ipv6() && !filter.ipv4) {
            continue;
        }
        let buf = read_table(kind)?;
        let rows = parse_table(kind, &buf).map_err(|e| CollectError::Parse {
            what: "iphlpapi socket table".to_owned(),
            detail: e.to_string(),
        })?;
        for row in &rows {
            let Some(socket) = to_socket(row, &maker, query.owners) else {
                unknown_states += 1;
                continue;
            };
            if filter.matches_socket(&socket) {
                sockets.push(socket);
            }
        }
    }
    if unknown_states > 0 {
        warnings.push(Warning::Other(format!(
            "{unknown_states} socket(s) in a TCP state this version does not know were left out"
        )));
    }
    let mut pids: Vec<u32> = sockets
        .iter()
        .filter_map(|s| s.owners.as_deref())
        .flatten()
        .copied()
        .collect();
    pids.sort_unstable();
    pids.dedup();
    let (processes, unreadable) = process_details(&pids);
    if unreadable > 0 {
        warnings.push(Warning::Other(format!(
            "the user or command line of {unreadable} owning process(es) could not be read; \
             {PERMISSION_HINT}"
        )));
    }
    Ok(Snapshot {
        taken_at,
        host: System::host_name().unwrap_or_default(),
        sockets,
        processes,
        warnings,
    })
}
