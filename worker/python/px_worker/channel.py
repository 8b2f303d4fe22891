"""The socket to the supervisor: length-prefixed JSON frames, sync points, input requests,
host calls."""

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

    def send(self, msg):
        body = dumps(msg)
        frame = len(body).to_bytes(4, "big") + body
        with self.send_lock:
            with critical():
                self.sock.sendall(frame)

    def recv(self):
        """Next frame; only the main thread reads."""
        while True:
            if len(self.rbuf) >= 4:
                n = int.from_bytes(self.rbuf[:4], "big")
                if len(self.rbuf) >= 4 + n:
                    with critical():
                        body = bytes(self.rbuf[4 : 4 + n])
                        del self.rbuf[: 4 + n]
                        msg = json.loads(body)
                    return msg
            # Waiting happens outside the critical section, so an interrupt can end it.
            select.select([self.sock], [], [])
            with critical():
                chunk = self.sock.recv(1 << 16)
                if not chunk:
                    supervisor_gone()
                self.rbuf += chunk

    def sync_point(self, msg):
        """Send ``msg`` and wait until the supervisor has drained both pipes and acked."""
        self.seq += 1
        seq = msg["seq"] = self.seq
        self.send(msg)
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
