"""Impairment forwarder of the real-network rig: a learning switch in user space between veth ends.

Runs in the switch namespace on ports that are on no bridge. Every frame received on a port is
dropped with probability LOSS, else sent to the port that owns its destination MAC (or flooded)
after DELAY +/- JITTER ms. It stops by itself after SECONDS, or as soon as its standard input
closes (the test JVM that started it died), so it can never outlive a run.

    forwarder.py forward SECONDS DELAY_MS JITTER_MS LOSS SEED PORT...
    forwarder.py nooffload IFNAME   (in a node namespace: no checksum/segmentation offload, so
                                     frames copied by a packet socket stay valid)
"""
import array
import ctypes
import fcntl
import heapq
import os
import random
import select
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
MAX_QUEUED = 50000


def nooffload(ifname):
    # SIOCETHTOOL with the legacy set commands: tx checksum, scatter-gather, TSO, GSO, GRO.
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for cmd in (0x17, 0x19, 0x1F, 0x24, 0x2C):
        value = ctypes.create_string_buffer(struct.pack("II", cmd, 0))
        ifreq = struct.pack("16sP", ifname.encode(), ctypes.addressof(value)) + b"\0" * 16
        try:
            fcntl.ioctl(s, 0x8946, ifreq)
        except OSError:
            pass  # an offload the driver does not have is off already


def forward(seconds, delay_ms, jitter_ms, loss, seed, ports):
    rnd = random.Random(seed)
    socks = []
    for p in ports:
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        s.bind((p, 0))
        s.setblocking(False)
        socks.append(s)
    by_fd = {s.fileno(): i for i, s in enumerate(socks)}
    owner = {}
    queue = []
    seq = 0
    received = dropped = sent = 0
    end = time.monotonic() + seconds
    stdin = sys.stdin.fileno()
    print("ready", flush=True)
    while True:
        now = time.monotonic()
        if now >= end:
            break
        while queue and queue[0][0] <= now:
            _, _, out, frame = heapq.heappop(queue)
            try:
                socks[out].send(frame)
                sent += 1
            except OSError:
                pass
        wait = end - now
        if queue:
            wait = min(wait, max(0.0, queue[0][0] - now))
        readable, _, _ = select.select(list(by_fd) + [stdin], [], [], wait)
        for fd in readable:
            if fd == stdin:
                if not os.read(stdin, 4096):
                    end = 0
                continue
            i = by_fd[fd]
            while True:
                try:
                    frame, addr = socks[i].recvfrom(65535)
                except BlockingIOError:
                    break
                if addr[2] == PACKET_OUTGOING:
                    continue
                received += 1
                owner[frame[6:12]] = i
                if rnd.random() < loss or len(queue) >= MAX_QUEUED:
                    dropped += 1
                    continue
                due = time.monotonic() + max(0.0, delay_ms + rnd.uniform(-jitter_ms, jitter_ms)) / 1000.0
                dst = owner.get(frame[0:6])
                outs = [dst] if dst is not None and dst != i else [o for o in range(len(socks)) if o != i]
                for o in outs:
                    seq += 1
                    heapq.heappush(queue, (due, seq, o, frame))
    print("stopped received=%d dropped=%d sent=%d" % (received, dropped, sent), flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "nooffload":
        nooffload(sys.argv[2])
    elif sys.argv[1] == "forward":
        a = sys.argv[2:]
        forward(float(a[0]), float(a[1]), float(a[2]), float(a[3]), int(a[4]), a[5:])
    else:
        sys.exit("unknown command " + sys.argv[1])
