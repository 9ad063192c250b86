#!/usr/bin/python3
"""Writes the seed corpus of fuzz-vmm-state (tests/data/vmm-state): a small valid state file and
one valid payload for each section decoder, in the target's input format (fuzz_vmm_state.cc).
usage: make_vmm_state_seeds.py OUTDIR"""
import os
import struct
import sys


def crc32c(data, crc=0):
    crc ^= 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def u8(v): return struct.pack("<B", v)
def u16(v): return struct.pack("<H", v)
def u32(v): return struct.pack("<I", v)
def u64(v): return struct.pack("<Q", v)
def blob(b): return u32(len(b)) + b


def shape():
    return u64(16 << 20) + u32(1) + u32(1) + u32(4) + blob(b"virtio-rng") + u64(0)


def vcpu():
    return (b"".join(u64(0x1000 + i) for i in range(31)) + u64(0x80200000) + u8(1) +
            b"".join(u64(v) for v in [0x200000000, 0x222, 0, 0x80001000, 0, 0, 0, 0, 0, 7, 0,
                                      2**64 - 1]) +
            b"".join(u64(0) for _ in range(32)) + u32(0) + u32(0) + u64(12345) + u32(0) +
            u64(0) + u64(0))


def plic(contexts=4):
    return (b"".join(u32(1 if i in (1, 10) else 0) for i in range(1024)) +
            b"".join(u32(0) for _ in range(96)) + u32(contexts) +
            b"".join(u32(0x402 if i == 32 else 0) for i in range(32 * contexts)) +
            b"".join(u32(0) for _ in range(contexts)))


def ram():
    return u64(1) + u64(1) + bytes(range(256)) * 16


def uart():
    return blob(b"ls\n") + bytes([1, 3, 0xb, 0xc1, 0, 0, 0]) + u16(1) + u8(1)


def rtc():
    return u64(5000) + u32(0) + u32(0) + u64(90000) + u8(1) + u8(1) + u8(0)


def transport(queues, active, device, status=0):
    regs = u32(status) + u32(0) + u32(0) + u32(0) + u32(1) + u64((1 << 32) if active else 0)
    regs += u32(0) + u32(len(queues))
    for q in queues:
        regs += q
    return regs + u8(1 if active else 0) + blob(b"") + device


def queue(ready, at=0):
    base = 0x80000000 + at
    return u16(16 if ready else 0) + u8(ready) + u64(base) + u64(base + 0x100) + u64(base + 0x200)


QSTATE = u8(1) + u16(0) + u16(0) + u16(0) + u8(0)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    # A whole file: header, sections, trailer.
    body = b"VIRTDVMS" + u32(1) + u32(crc32c(shape())) + u32(0)
    body += u32(crc32c(body))
    for name, payload in [(b"machine", shape()), (b"clock", u64(99)), (b"hart 0", vcpu()),
                          (b"ram", ram())]:
        section = u16(len(name)) + name + u64(len(payload)) + payload
        body += section + u32(crc32c(section))
    trailer = u32(4) + u64(len(body))
    section = u16(3) + b"end" + u64(len(trailer)) + trailer
    body += section + u32(crc32c(section))
    with open(os.path.join(out, "file.bin"), "wb") as f:
        f.write(b"\x00" + body)
    pieces = {
        "shape": (0, shape()), "vcpu": (1, vcpu()), "plic": (2, plic()), "clock": (3, u64(7)),
        "ram": (4, ram()), "uart": (5, uart()), "rtc": (6, rtc()),
        "rng-idle": (7, transport([queue(0)], False, b"")),
        "rng-active": (7, transport([queue(1)], True, u8(0) + QSTATE, status=0xf)),
        "balloon-idle": (8, transport([queue(0)] * 3, False, u32(3) + u32(1))),
        "console-idle": (9, transport([queue(0)] * 6, False, u32(2))),
    }
    for name, (kind, payload) in pieces.items():
        with open(os.path.join(out, name + ".bin"), "wb") as f:
            f.write(b"\x01" + u8(kind) + u16(len(payload)) + payload)


if __name__ == "__main__":
    main()
