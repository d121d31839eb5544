//! The fast socket source: a `NETLINK_SOCK_DIAG` dump, what `ss` uses.
//!
//! The request is 72 fixed bytes and each answer is a fixed `inet_diag_msg` followed by
//! attributes, so both are built and parsed here by hand, over the receive buffer in place: no
//! per-message allocation, every length checked against the bytes that are really there, and
//! no way for a short or odd message (an older kernel's shorter `tcp_info`, say) to fail the
//! whole dump. The parser is a pure function so it can be fuzzed.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::fd::{AsFd, OwnedFd};

use rustix::net::netlink::{self, SocketAddrNetlink};
use rustix::net::{AddressFamily, RecvFlags, SendFlags, SocketFlags, SocketType};

use super::KernelSocket;
use crate::model::{Proto, TcpInfo};

const NLMSG_HDRLEN: usize = 16;
const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
const NLMSG_OVERRUN: u16 = 4;
const SOCK_DIAG_BY_FAMILY: u16 = 20;
const NLM_F_REQUEST: u16 = 0x1;
const NLM_F_DUMP: u16 = 0x100 | 0x200; // NLM_F_ROOT | NLM_F_MATCH
const NLM_F_DUMP_INTR: u16 = 0x10;
/// `sizeof(struct inet_diag_msg)`.
const DIAG_MSG_LEN: usize = 72;
/// `sizeof(struct inet_diag_req_v2)`.
const DIAG_REQ_LEN: usize = 56;

/// `AF_INET`.
pub const AF_INET: u8 = 2;
/// `AF_INET6`.
pub const AF_INET6: u8 = 10;
const IPPROTO_TCP: u8 = 6;
const IPPROTO_UDP: u8 = 17;

/// One dump request: a family, a protocol, the kernel states wanted (bit N = state N) and an
/// optional port filter program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DumpRequest {
    /// `AF_INET` or `AF_INET6`.
    pub family: u8,
    /// TCP or UDP.
    pub proto: Proto,
    /// Bitmask of kernel TCP states (`1 << TCP_LISTEN`, …); UDP uses the same numbering.
    pub states: u32,
    /// An `INET_DIAG_REQ_BYTECODE` program (see [`super::bytecode`]), if any.
    pub bytecode: Option<Vec<u8>>,
    /// Also ask for TCP internals (`INET_DIAG_INFO`) and the congestion algorithm.
    pub info: bool,
}

/// Attribute types in a dump answer (`enum inet_diag_attr`).
const INET_DIAG_INFO: u16 = 2;
const INET_DIAG_CONG: u16 = 4;

impl DumpRequest {
    /// The request message: `nlmsghdr` + `inet_diag_req_v2` (+ the bytecode attribute), in
    /// native byte order.
    pub fn encode(&self, seq: u32) -> Vec<u8> {
        let attr_len = self.bytecode.as_ref().map_or(0, |b| 4 + b.len());
        let total = NLMSG_HDRLEN + DIAG_REQ_LEN + attr_len;
        let mut msg = vec![0u8; NLMSG_HDRLEN + DIAG_REQ_LEN];
        msg[0..4].copy_from_slice(&(total as u32).to_ne_bytes());
        msg[4..6].copy_from_slice(&SOCK_DIAG_BY_FAMILY.to_ne_bytes());
        msg[6..8].copy_from_slice(&(NLM_F_REQUEST | NLM_F_DUMP).to_ne_bytes());
        msg[8..12].copy_from_slice(&seq.to_ne_bytes());
        // nlmsg_pid 0: the kernel.
        let req = &mut msg[NLMSG_HDRLEN..];
        req[0] = self.family;
        req[1] = match self.proto {
            Proto::Tcp => IPPROTO_TCP,
            Proto::Udp => IPPROTO_UDP,
        };
        // idiag_ext: bit (attribute type - 1) asks for that attribute.
        req[2] = if self.info {
            (1 << (INET_DIAG_INFO - 1)) | (1 << (INET_DIAG_CONG - 1))
        } else {
            0
        };
        req[4..8].copy_from_slice(&self.states.to_ne_bytes());
        // inet_diag_sockid stays zero: ports and addresses are wildcards in a dump; the cookie
        // must be INET_DIAG_NOCOOKIE (all ones) to mean "none".
        req[48..56].fill(0xff);
        if let Some(bc) = &self.bytecode {
            // rtattr: length (header included), type; the program is a multiple of 4 bytes.
            msg.extend_from_slice(&((4 + bc.len()) as u16).to_ne_bytes());
            msg.extend_from_slice(&super::bytecode::INET_DIAG_REQ_BYTECODE.to_ne_bytes());
            msg.extend_from_slice(bc);
        }
        msg
    }
}

/// What a receive buffer said about the dump.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Progress {
    /// `NLMSG_DONE` was seen: the dump is complete.
    pub done: bool,
    /// The kernel flagged the dump as inconsistent (`NLM_F_DUMP_INTR`): sockets changed while
    /// it was being read, so it should be retried.
    pub interrupted: bool,
}

/// Why a netlink answer could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NetlinkError {
    /// The kernel answered with an error code (`NLMSG_ERROR`, or a negative `NLMSG_DONE`).
    #[error("the kernel refused the socket dump: {}", io::Error::from_raw_os_error(*.0))]
    Kernel(i32),
    /// A message was malformed: lengths that do not fit, a truncated header.
    #[error("malformed netlink message: {0}")]
    Malformed(&'static str),
    /// The kernel dropped messages (`NLMSG_OVERRUN`).
    #[error("the kernel dropped part of the socket dump (overrun)")]
    Overrun,
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_ne_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_ne_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn be16_at(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

fn addr_at(b: &[u8], at: usize, family: u8) -> Option<IpAddr> {
    match family {
        AF_INET => Some(IpAddr::V4(Ipv4Addr::new(
            b[at],
            b[at + 1],
            b[at + 2],
            b[at + 3],
        ))),
        AF_INET6 => {
            let mut octets = [0u8; 16];
            octets.copy_from_slice(&b[at..at + 16]);
            Some(IpAddr::V6(Ipv6Addr::from(octets)))
        }
        _ => None,
    }
}

/// Reads a `u32` at `at` if the buffer is long enough. Older kernels send a shorter `tcp_info`:
/// a field past the end is simply unknown.
fn opt_u32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn opt_u64(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_ne_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// Decodes `struct tcp_info` of any length: each field is read only if the kernel sent it.
/// Offsets from `include/uapi/linux/tcp.h`.
pub fn parse_tcp_info(b: &[u8]) -> TcpInfo {
    TcpInfo {
        retransmits: b.get(2).map(|&r| u32::from(r)),
        rtt_us: opt_u32(b, 68),
        rttvar_us: opt_u32(b, 72),
        cwnd: opt_u32(b, 80),
        total_retransmits: opt_u32(b, 100),
        bytes_acked: opt_u64(b, 120),
        bytes_received: opt_u64(b, 128),
        bytes_sent: opt_u64(b, 200),
        ..TcpInfo::default()
    }
}

/// The congestion algorithms Linux ships, so the common case needs no allocation.
const CONGESTION: &[&str] = &[
    "cubic",
    "reno",
    "bbr",
    "bbr2",
    "bbr3",
    "dctcp",
    "htcp",
    "vegas",
    "westwood",
    "illinois",
    "hybla",
    "scalable",
    "yeah",
    "lp",
    "veno",
    "bic",
    "highspeed",
    "nv",
    "cdg",
];

fn congestion_name(name: &[u8]) -> std::borrow::Cow<'static, str> {
    match CONGESTION.iter().find(|c| c.as_bytes() == name) {
        Some(known) => std::borrow::Cow::Borrowed(known),
        None => std::borrow::Cow::Owned(String::from_utf8_lossy(name).into_owned()),
    }
}

/// Walks the attributes after an `inet_diag_msg`, keeping `tcp_info` and the congestion
/// algorithm. A malformed attribute ends the walk; it never drops the socket.
fn parse_attributes(mut attrs: &[u8]) -> Option<TcpInfo> {
    let mut info: Option<TcpInfo> = None;
    let mut congestion = None;
    while attrs.len() >= 4 {
        let len = usize::from(u16_at(attrs, 0));
        let kind = u16_at(attrs, 2);
        if len < 4 || len > attrs.len() {
            break;
        }
        let payload = &attrs[4..len];
        match kind {
            INET_DIAG_INFO => info = Some(parse_tcp_info(payload)),
            INET_DIAG_CONG => {
                let name = payload.split(|&c| c == 0).next().unwrap_or(&[]);
                congestion = Some(congestion_name(name));
            }
            _ => {}
        }
        let next = (len + 3) & !3;
        attrs = attrs.get(next..).unwrap_or(&[]);
    }
    if info.is_none() && congestion.is_none() {
        return None;
    }
    let mut info = info.unwrap_or_default();
    info.congestion = congestion;
    Some(info)
}

/// Decodes one `inet_diag_msg` (the payload after `nlmsghdr`, attributes may follow).
pub fn parse_diag_msg(proto: Proto, payload: &[u8]) -> Result<KernelSocket, NetlinkError> {
    if payload.len() < DIAG_MSG_LEN {
        return Err(NetlinkError::Malformed(
            "inet_diag_msg shorter than 72 bytes",
        ));
    }
    let family = payload[0];
    let local = addr_at(payload, 8, family).ok_or(NetlinkError::Malformed(
        "inet_diag_msg with an unknown address family",
    ))?;
    let remote = addr_at(payload, 24, family).ok_or(NetlinkError::Malformed(
        "inet_diag_msg with an unknown address family",
    ))?;
    Ok(KernelSocket {
        proto,
        state: payload[1],
        local: (local, be16_at(payload, 4)),
        remote: (remote, be16_at(payload, 6)),
        uid: u32_at(payload, 64),
        inode: u64::from(u32_at(payload, 68)),
        recv_queue: u32_at(payload, 56),
        send_queue: u32_at(payload, 60),
        info: parse_attributes(&payload[DIAG_MSG_LEN..]).map(Box::new),
    })
}

/// Walks the netlink messages in `buf` (one `recv`'s worth), handing each socket to `on_socket`.
///
/// Messages whose sequence number is not `seq` are stale answers to an earlier request and are
/// skipped. Never panics, whatever `buf` holds.
pub fn parse_messages(
    buf: &[u8],
    seq: u32,
    proto: Proto,
    on_socket: &mut dyn FnMut(KernelSocket),
) -> Result<Progress, NetlinkError> {
    let mut progress = Progress::default();
    let mut rest = buf;
    while !rest.is_empty() {
        if rest.len() < NLMSG_HDRLEN {
            return Err(NetlinkError::Malformed("truncated netlink header"));
        }
        let len = u32_at(rest, 0) as usize;
        if len < NLMSG_HDRLEN || len > rest.len() {
            return Err(NetlinkError::Malformed(
                "netlink message length out of bounds",
            ));
        }
        let kind = u16_at(rest, 4);
        let flags = u16_at(rest, 6);
        let msg_seq = u32_at(rest, 8);
        let payload = &rest[NLMSG_HDRLEN..len];
        // Messages are padded to 4 bytes; the last one may end the buffer without padding.
        let next = len.checked_add(3).map(|l| l & !3).unwrap_or(len);
        rest = rest.get(next..).unwrap_or(&[]);

        if msg_seq != seq {
            continue;
        }
        if flags & NLM_F_DUMP_INTR != 0 {
            progress.interrupted = true;
        }
        match kind {
            NLMSG_DONE => {
                // A dump's DONE may carry an error code (an int, negative on failure).
                if payload.len() >= 4 {
                    let code = u32_at(payload, 0) as i32;
                    if code < 0 {
                        return Err(NetlinkError::Kernel(code.saturating_neg()));
                    }
                }
                progress.done = true;
                return Ok(progress);
            }
            NLMSG_ERROR => {
                if payload.len() < 4 {
                    return Err(NetlinkError::Malformed("truncated NLMSG_ERROR"));
                }
                let code = u32_at(payload, 0) as i32;
                if code != 0 {
                    return Err(NetlinkError::Kernel(code.saturating_neg()));
                }
                // An ACK; nothing to do.
            }
            NLMSG_OVERRUN => return Err(NetlinkError::Overrun),
            SOCK_DIAG_BY_FAMILY => on_socket(parse_diag_msg(proto, payload)?),
            _ => {} // NLMSG_NOOP and anything new: not ours to interpret.
        }
    }
    Ok(progress)
}

/// An open `NETLINK_SOCK_DIAG` socket with its receive buffer, reused across dumps.
pub struct DiagSocket {
    fd: OwnedFd,
    buf: Vec<u8>,
    seq: u32,
}

/// Size of one receive. The kernel fills at most 32 KiB per dump message batch; twice that
/// leaves room for whatever a future kernel sends.
const RECV_BUF_LEN: usize = 64 * 1024;

impl DiagSocket {
    /// Opens the netlink socket. Fails when netlink is not allowed (seccomp, some containers).
    pub fn open() -> io::Result<DiagSocket> {
        let fd = rustix::net::socket_with(
            AddressFamily::NETLINK,
            SocketType::RAW,
            SocketFlags::CLOEXEC,
            Some(netlink::SOCK_DIAG),
        )?;
        // A large kernel-side queue keeps the dump from stalling; best effort.
        let _ = rustix::net::sockopt::set_socket_recv_buffer_size(&fd, 4 * 1024 * 1024);
        Ok(DiagSocket {
            fd,
            buf: vec![0u8; RECV_BUF_LEN],
            seq: 0,
        })
    }

    /// Runs one dump to completion, appending its sockets to `out`. Returns whether the kernel
    /// flagged it as interrupted (inconsistent), in which case the caller should retry.
    pub fn dump(
        &mut self,
        req: &DumpRequest,
        out: &mut Vec<KernelSocket>,
    ) -> Result<bool, DumpError> {
        self.seq = self.seq.wrapping_add(1);
        let seq = self.seq;
        let msg = req.encode(seq);
        rustix::net::sendto(
            self.fd.as_fd(),
            &msg,
            SendFlags::empty(),
            &SocketAddrNetlink::new(0, 0),
        )
        .map_err(|e| DumpError::Io(e.into()))?;
        let mut interrupted = false;
        loop {
            let (got, full) =
                match rustix::net::recv(&self.fd, &mut self.buf[..], RecvFlags::empty()) {
                    Ok(r) => r,
                    Err(rustix::io::Errno::INTR) => continue,
                    Err(e) => return Err(DumpError::Io(e.into())),
                };
            if full > got {
                return Err(DumpError::Netlink(NetlinkError::Malformed(
                    "netlink message larger than the receive buffer",
                )));
            }
            if got == 0 {
                return Err(DumpError::Netlink(NetlinkError::Malformed(
                    "netlink socket closed before the dump ended",
                )));
            }
            let progress = parse_messages(&self.buf[..got], seq, req.proto, &mut |s| out.push(s))
                .map_err(DumpError::Netlink)?;
            interrupted |= progress.interrupted;
            if progress.done {
                return Ok(interrupted);
            }
        }
    }
}

/// Why a dump failed.
#[derive(Debug, thiserror::Error)]
pub enum DumpError {
    /// Sending or receiving failed.
    #[error("netlink: {0}")]
    Io(io::Error),
    /// The kernel refused, or sent something unusable.
    #[error("{0}")]
    Netlink(NetlinkError),
}

#[cfg(test)]
mod tests;
