//! Builds dumps from the structures as XNU declares them: fields are laid out the way a C
//! compiler does under `#pragma pack(4)`, from the field list, independently of the offsets
//! the parser uses, so the two check each other.

use std::net::IpAddr;

/// A C structure under `#pragma pack(4)`.
#[derive(Default)]
pub struct Packed4(pub Vec<u8>);

impl Packed4 {
    /// Appends a field of natural alignment `align` (capped at 4 by the pragma).
    pub fn field(mut self, align: usize, bytes: &[u8]) -> Packed4 {
        let a = align.min(4);
        while !self.0.len().is_multiple_of(a) {
            self.0.push(0);
        }
        self.0.extend_from_slice(bytes);
        self
    }
    pub fn u8(self, v: u8) -> Packed4 {
        self.field(1, &[v])
    }
    pub fn u16(self, v: u16) -> Packed4 {
        self.field(2, &v.to_le_bytes())
    }
    /// A port: `u_short` in network byte order.
    pub fn port(self, v: u16) -> Packed4 {
        self.field(2, &v.to_be_bytes())
    }
    pub fn u32(self, v: u32) -> Packed4 {
        self.field(4, &v.to_le_bytes())
    }
    pub fn u64(self, v: u64) -> Packed4 {
        self.field(8, &v.to_le_bytes())
    }
    /// Pads to the structure's alignment and returns the bytes with `xxx_len` filled in.
    pub fn finish(mut self) -> Vec<u8> {
        while !self.0.len().is_multiple_of(4) {
            self.0.push(0);
        }
        let len = self.0.len() as u32;
        self.0[..4].copy_from_slice(&len.to_le_bytes());
        self.0
    }
}

/// An `in_addr_4in6` / `in6_addr` union (4-byte aligned).
pub fn addr_union(addr: IpAddr) -> [u8; 16] {
    match addr {
        IpAddr::V4(v4) => {
            let mut b = [0u8; 16];
            b[12..].copy_from_slice(&v4.octets());
            b
        }
        IpAddr::V6(v6) => v6.octets(),
    }
}

pub fn xinpgen(count: u32, generation: u64) -> Vec<u8> {
    Packed4::default()
        .u32(0) // xig_len
        .u32(count)
        .u64(generation)
        .u64(0) // xig_sogen
        .finish()
}

pub struct Sock {
    pub vflag: u8,
    pub local: (IpAddr, u16),
    pub remote: (IpAddr, u16),
    pub gencnt: u64,
    pub protocol: i32,
    pub uid: u32,
    pub tcp_state: Option<i32>,
}

pub fn xinpcb_n(s: &Sock) -> Vec<u8> {
    Packed4::default()
        .u32(0) // xi_len
        .u32(0x10) // xi_kind
        .u64(0xffff_8000_0000_1000 + s.gencnt) // xi_inpp
        .port(s.remote.1) // inp_fport
        .port(s.local.1) // inp_lport
        .u64(0xffff_8000_0000_2000) // inp_ppcb
        .u64(s.gencnt) // inp_gencnt
        .u32(0) // inp_flags
        .u32(0) // inp_flow
        .u8(s.vflag)
        .u8(64) // inp_ip_ttl
        .u8(0) // inp_ip_p
        .field(4, &addr_union(s.remote.0)) // inp_dependfaddr
        .field(4, &addr_union(s.local.0)) // inp_dependladdr
        .u8(0) // inp_depend4 { inp4_ip_tos }
        // inp_depend6 { u8 inp6_hlim; int inp6_cksum; u_short inp6_ifindex; short inp6_hops }
        .field(4, &[0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0])
        .u32(0) // inp_flowhash
        .u32(0) // inp_flags2
        .finish()
}

pub fn xsocket_n(s: &Sock) -> Vec<u8> {
    let family: u32 = if s.vflag & super::pcblist::INP_IPV6 != 0 {
        30
    } else {
        2
    };
    Packed4::default()
        .u32(0) // xso_len
        .u32(0x1) // xso_kind
        .u64(0xffff_8000_0000_3000 + s.gencnt) // xso_so
        .u16(1) // so_type
        .u32(0) // so_options
        .u16(0) // so_linger
        .u16(0) // so_state
        .u64(0xffff_8000_0000_1000 + s.gencnt) // so_pcb
        .u32(s.protocol as u32) // xso_protocol
        .u32(family) // xso_family
        .u16(0) // so_qlen
        .u16(0) // so_incqlen
        .u16(128) // so_qlimit
        .u16(0) // so_timeo
        .u16(0) // so_error
        .u32(0) // so_pgid
        .u32(0) // so_oobmark
        .u32(s.uid) // so_uid
        .u32(123) // so_last_pid
        .u32(123) // so_e_pid
        .u64(7) // so_gencnt
        .u32(0) // so_flags
        .u32(0) // so_flags1
        .u32(1) // so_usecount
        .u32(0) // so_retaincnt
        .u32(0) // xso_filter_flags
        .finish()
}

pub fn xsockbuf_n(kind: u32) -> Vec<u8> {
    Packed4::default()
        .u32(0)
        .u32(kind)
        .u32(0) // sb_cc
        .u32(131072) // sb_hiwat
        .u32(0) // sb_mbcnt
        .u32(0) // sb_mbmax
        .u32(1) // sb_lowat
        .u16(0) // sb_flags
        .u16(0) // sb_timeo
        .finish()
}

pub fn xsockstat_n() -> Vec<u8> {
    let mut p = Packed4::default().u32(0).u32(0x8);
    for _ in 0..4 * 4 {
        p = p.u64(0); // xst_tc_stats[4]: rx/tx packets and bytes
    }
    p.finish()
}

pub fn xtcpcb_n(state: i32) -> Vec<u8> {
    let mut p = Packed4::default()
        .u32(0)
        .u32(0x20)
        .u64(0) // t_segq
        .u32(0); // t_dupacks
    for _ in 0..4 {
        p = p.u32(0); // t_timer[TCPT_NTIMERS_EXT]
    }
    p = p.u32(state as u32).u32(0).u32(0); // t_state, t_flags, t_force
    for _ in 0..29 {
        p = p.u32(0); // snd_una … max_sndwnd, t_softerror
    }
    for _ in 0..6 {
        p = p.u8(0); // t_oobflags, t_iobc, snd_scale, rcv_scale, request_r_scale, …
    }
    for _ in 0..8 {
        p = p.u32(0); // ts_recent … snd_ssthresh_prev
    }
    p.finish()
}

/// Appends a record at an 8-byte boundary, as the kernel does (`ADVANCE64`).
pub fn push(out: &mut Vec<u8>, rec: &[u8]) {
    out.extend_from_slice(rec);
    while !out.len().is_multiple_of(8) {
        out.push(0);
    }
}

/// One socket's item in the kernel's order.
pub fn item(out: &mut Vec<u8>, s: &Sock) {
    push(out, &xinpcb_n(s));
    push(out, &xsocket_n(s));
    push(out, &xsockbuf_n(0x2));
    push(out, &xsockbuf_n(0x4));
    push(out, &xsockstat_n());
    if let Some(state) = s.tcp_state {
        push(out, &xtcpcb_n(state));
    }
}

/// A whole dump with opening and closing headers.
pub fn dump(socks: &[Sock], generation: u64) -> Vec<u8> {
    let mut out = Vec::new();
    push(&mut out, &xinpgen(socks.len() as u32, generation));
    for s in socks {
        item(&mut out, s);
    }
    push(&mut out, &xinpgen(socks.len() as u32, generation));
    out
}
