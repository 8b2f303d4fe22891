"""The socket to the supervisor: length-prefixed JSON frames with optional binary buffers,
sync points, input requests, host calls.

A frame is an 8-byte header (the JSON body's length and the number of buffers, 4-byte
big-endian each), the body, then each buffer as an 8-byte big-endian length and its bytes.
"""

import json
import os
import select
import signal
import socket
import threading
import time

from px_worker.encoding import dumps
from px_worker.state import critical, state


class Channel:
    """Length-prefixed JSON frames over the supervisor's Unix socket."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.rbuf = bytearray()
        self.send_lock = threading.Lock()
        self.seq = 0

    def send(self, msg, buffers=()):
        """Send ``msg``, then ``buffers`` (anything with the buffer protocol) as raw bytes:
        large arrays are written from their own memory, not copied into the frame."""
        body = dumps(msg)
        views = [_byte_view(b) for b in buffers]
        head = len(body).to_bytes(4, "big") + len(views).to_bytes(4, "big") + body
        with self.send_lock:
            with critical():
                self.sock.sendall(head)
                for view in views:
                    self.sock.sendall(len(view).to_bytes(8, "big"))
                    if len(view):
                        self.sock.sendall(view)

    def recv(self):
        """Next frame; only the main thread reads. Buffers, if any, are in
        ``msg["buffers"]`` as bytearrays."""
        # Waiting for a frame to start happens outside the critical section, so an interrupt
        # can end it; once its header is here, the rest follows at once and is read whole.
        while len(self.rbuf) < 8:
            select.select([self.sock], [], [])
            with critical():
                self._read_some()
        with critical():
            head = self._take(8)
            n = int.from_bytes(head[:4], "big")
            count = int.from_bytes(head[4:], "big")
            msg = json.loads(bytes(self._take(n)))
            if count:
                msg["buffers"] = [
                    self._take(int.from_bytes(self._take(8), "big")) for _ in range(count)
                ]
        return msg

    def _read_some(self):
        chunk = self.sock.recv(1 << 16)
        if not chunk:
            supervisor_gone()
        self.rbuf += chunk

    def _take(self, n):
        """The next ``n`` bytes, from what was read ahead, then straight from the socket
        into the result (a large buffer is not assembled from chunks)."""
        if len(self.rbuf) >= n:
            out = self.rbuf[:n]
            del self.rbuf[:n]
            return out
        out = bytearray(n)
        have = len(self.rbuf)
        out[:have] = self.rbuf
        self.rbuf.clear()
        view = memoryview(out)
        while have < n:
            got = self.sock.recv_into(view[have:], n - have)
            if not got:
                supervisor_gone()
            have += got
        return out

    def sync_point(self, msg, buffers=()):
        """Send ``msg`` and wait until the supervisor has drained both pipes and acked."""
        self.seq += 1
        seq = msg["seq"] = self.seq
        self.send(msg, buffers)
        while True:
            reply = self.recv()
            # Anything else is a stale ack or input reply of a wait that an interrupt ended.
            if reply.get("type") == "ack" and reply.get("seq") == seq:
                state.last_stream = None
                return

    def ask_input(self, prompt, password):
        self.seq += 1
        seq = self.seq
        self.send({"type": "input_request", "prompt": prompt, "password": password, "seq": seq})
        while True:
            reply = self.recv()
            if reply.get("type") == "input_reply" and reply.get("seq") == seq:
                state.last_stream = None
                return reply.get("value")

    def call_host(self, name, args):
        """Ask the host for ``name``; returns its answer or raises HostError."""
        self.seq += 1
        seq = self.seq
        self.send({"type": "host_call", "name": name, "args": args, "seq": seq})
        while True:
            reply = self.recv()
            if reply.get("type") == "host_reply" and reply.get("seq") == seq:
                state.last_stream = None
                if reply.get("error") is not None:
                    raise HostError(reply["error"])
                return reply.get("value")


def _byte_view(buf):
    view = memoryview(buf)
    if view.format != "B" or view.ndim != 1:
        view = view.cast("B")
    return view


class HostError(RuntimeError):
    """The host could not answer a call."""


def supervisor_gone():
    """The Rust side closed the channel: nobody will ever read our output. Take the whole
    process group down so that no subprocess of the user's outlives us."""
    try:
        if os.getpgid(0) == os.getpid():
            os.killpg(os.getpid(), signal.SIGKILL)
    finally:
        os._exit(0)


def watch_parent():
    """Exit when the supervisor dies while user code keeps the main thread busy."""
    parent = os.getppid()
    while True:
        time.sleep(1.0)
        if os.getppid() != parent:
            supervisor_gone()
