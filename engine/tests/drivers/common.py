"""Helpers for the drivers: a stock client, bounded waits, a raw IOPub listener.

Each driver is run as `python <driver> <client-file> [args...]`, asserts as it goes, and
prints one JSON object as its last line for the Rust test to check.
"""

import json
import sys
import threading
import time

import ipyparallel as ipp
import zmq
from jupyter_client.session import Session

TIMEOUT = 60


def client(n=1):
    """A stock client with at least ``n`` engines registered."""
    rc = ipp.Client(sys.argv[1])
    rc.wait_for_engines(n, timeout=TIMEOUT)
    return rc


def report(**values):
    print(json.dumps(values), flush=True)


def wait_until(predicate, what, timeout=TIMEOUT):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


class IopubLog:
    """Every IOPub message the controller relays, with its topic, from a raw SUB socket."""

    def __init__(self, rc):
        info = json.load(open(sys.argv[1]))
        self.session = Session(key=info["key"].encode(), signature_scheme=info["signature_scheme"])
        self.ctx = zmq.Context.instance()
        self.sock = self.ctx.socket(zmq.SUB)
        self.sock.setsockopt(zmq.SUBSCRIBE, b"")
        self.sock.connect(f"{info['interface']}:{info['iopub']}")
        self.messages = []
        self.lock = threading.Lock()
        self.running = True
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()
        # A SUB misses what is published before its subscription reaches the publisher:
        # probe until a probe request's output is seen. One probe is not enough: its
        # output may itself be published before the subscription arrives.
        deadline = time.monotonic() + TIMEOUT
        while not self._probe_seen(rc):
            if time.monotonic() > deadline:
                raise AssertionError("timed out waiting for the IOPub subscription")

    def _probe_seen(self, rc, within=0.5):
        ar = rc[rc.ids[0]].execute("pass", block=False)
        try:
            wait_until(lambda: any(m["parent"] == ar.msg_ids[0] for m in self.snapshot()), "", within)
        except AssertionError:
            return False
        return True

    def _read(self):
        poller = zmq.Poller()
        poller.register(self.sock, zmq.POLLIN)
        while self.running:
            if not poller.poll(50):
                continue
            frames = self.sock.recv_multipart()
            idents, rest = self.session.feed_identities(frames)
            msg = self.session.deserialize(rest)
            entry = {
                "topic": idents[0].decode() if idents else None,
                "type": msg["header"]["msg_type"],
                "parent": msg["parent_header"].get("msg_id"),
                "session": msg["header"]["session"],
                "content": msg["content"],
                "metadata": msg["metadata"],
            }
            with self.lock:
                self.messages.append(entry)

    def snapshot(self):
        with self.lock:
            return list(self.messages)

    def for_request(self, msg_id, until_idle=True):
        """The messages whose parent is ``msg_id``, once its final idle has arrived."""
        if until_idle:
            wait_until(
                lambda: any(
                    m["parent"] == msg_id
                    and m["type"] == "status"
                    and m["content"]["execution_state"] == "idle"
                    for m in self.snapshot()
                ),
                f"idle for {msg_id}",
            )
        return [m for m in self.snapshot() if m["parent"] == msg_id]

    def close(self):
        self.running = False
        self.thread.join()
        self.sock.close()
