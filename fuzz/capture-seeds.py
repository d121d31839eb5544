#!/usr/bin/env python3
"""Captures seed inputs for the Linux fuzz targets from the running kernel (see FUZZING.md).

Opens a few loopback sockets (TCP listeners and established pairs over IPv4, IPv6 and
IPv4-mapped IPv6, a TIME-WAIT socket, bound and connected UDP), then writes:

  procnet/real_{tcp,tcp6,udp,udp6}     the /proc/net tables as read
  netlink/real_<proto>_<family>_<ext>_<n>  each recv() of a NETLINK_SOCK_DIAG dump, raw
  tcp_info/real_<family>_<offset>_<len>    every INET_DIAG_INFO payload (struct tcp_info)

Usage: python3 fuzz/capture-seeds.py OUTDIR, then copy what is wanted into fuzz/corpus/.
"""
import os
import socket
import struct
import sys

SOCK_DIAG_BY_FAMILY = 20
NLMSG_ERROR, NLMSG_DONE = 2, 3
INET_DIAG_INFO = 2
EXT_INFO_AND_CONG = (1 << (2 - 1)) | (1 << (4 - 1))


def open_sockets():
    keep = []
    l4 = socket.socket()
    l4.bind(("127.0.0.1", 0))
    l4.listen()
    c4 = socket.create_connection(l4.getsockname())
    a4, _ = l4.accept()
    c4.send(b"x" * 1000)
    l6 = socket.socket(socket.AF_INET6)
    l6.bind(("::1", 0))
    l6.listen()
    c6 = socket.create_connection(l6.getsockname()[:2])
    a6, _ = l6.accept()
    dual = socket.socket(socket.AF_INET6)
    dual.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    dual.bind(("::", 0))
    dual.listen()
    cm = socket.create_connection(("127.0.0.1", dual.getsockname()[1]))
    am, _ = dual.accept()
    u4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u4.bind(("127.0.0.1", 0))
    u4c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u4c.connect(u4.getsockname())
    u6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    u6.bind(("::1", 0))
    u6c = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    u6c.connect(u6.getsockname()[:2])
    # TIME-WAIT: the connecting side closes first.
    tw = socket.create_connection(l4.getsockname())
    tws, _ = l4.accept()
    tw.close()
    tws.close()
    keep += [l4, c4, a4, l6, c6, a6, dual, cm, am, u4, u4c, u6, u6c]
    return keep


def dump(family, proto, ext, seq):
    """One sock_diag dump; returns the bytes of each recv()."""
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 4)  # NETLINK_SOCK_DIAG
    s.bind((0, 0))
    req = struct.pack("=BBBBI", family, proto, ext, 0, 0xFFFFFFFF)
    req += b"\0" * 40 + b"\xff" * 8  # wildcard inet_diag_sockid, INET_DIAG_NOCOOKIE
    hdr = struct.pack("=IHHII", 16 + len(req), SOCK_DIAG_BY_FAMILY, 0x1 | 0x300, seq, 0)
    s.sendto(hdr + req, (0, 0))
    chunks = []
    done = False
    while not done:
        data = s.recv(65536)
        chunks.append(data)
        at = 0
        while at + 16 <= len(data):
            length, kind = struct.unpack_from("=IH", data, at)
            done |= kind in (NLMSG_ERROR, NLMSG_DONE)
            if length < 16:
                break
            at += (length + 3) & ~3
    s.close()
    return chunks


def tcp_infos(chunk):
    """(offset, payload) of every INET_DIAG_INFO attribute in one recv()."""
    at = 0
    while at + 16 <= len(chunk):
        length, kind = struct.unpack_from("=IH", chunk, at)
        if length < 16:
            return
        if kind == SOCK_DIAG_BY_FAMILY:
            a = at + 16 + 72
            while a + 4 <= at + length:
                alen, atype = struct.unpack_from("=HH", chunk, a)
                if alen < 4:
                    break
                if atype == INET_DIAG_INFO:
                    yield at, chunk[a + 4:a + alen]
                a += (alen + 3) & ~3
        at += (length + 3) & ~3


def main(out):
    for d in ("procnet", "netlink", "tcp_info"):
        os.makedirs(os.path.join(out, d), exist_ok=True)
    keep = open_sockets()
    for name in ("tcp", "tcp6", "udp", "udp6"):
        with open("/proc/net/" + name, "rb") as f, \
                open(os.path.join(out, "procnet", "real_" + name), "wb") as g:
            g.write(f.read())
    seq = 0
    for family, fname in ((socket.AF_INET, "v4"), (socket.AF_INET6, "v6")):
        for proto, pname in ((6, "tcp"), (17, "udp")):
            for ext, tag in ((0, "plain"), (EXT_INFO_AND_CONG, "info")):
                seq += 1
                for i, chunk in enumerate(dump(family, proto, ext, seq)):
                    name = f"real_{pname}_{fname}_{tag}_{i}"
                    with open(os.path.join(out, "netlink", name), "wb") as f:
                        f.write(chunk)
                    for at, info in tcp_infos(chunk):
                        name = f"real_{fname}_{at}_{len(info)}"
                        with open(os.path.join(out, "tcp_info", name), "wb") as f:
                            f.write(info)
    del keep


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
