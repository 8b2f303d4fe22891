"""Shared plumbing for the Python peers of the px-wire interop tests.

Every peer talks to its Rust test over stdin/stdout, one JSON object per line. Binary frames
travel hex-encoded. Anything a peer wants to say for humans goes to stderr, which the Rust
side captures and prints when a test fails. A peer exits when its stdin closes, so a test
that dies without killing it does not leave it behind.
"""

import json
import sys

from jupyter_client.jsonutil import json_default
from jupyter_client.session import Session


def make_session(key):
    """A stock Session signing with `key` the way ipyparallel configures it."""
    return Session(
        key=key.encode("utf8"),
        signature_scheme="hmac-sha256",
        packer="json",
        unpacker="json",
    )


def frames_from_hex(frames):
    return [bytes.fromhex(f) for f in frames]


def frames_to_hex(frames):
    return [bytes(f).hex() for f in frames]


def jsonable(obj):
    """Dates parsed by Session.deserialize back to the text Python would send."""
    return json.loads(json.dumps(obj, default=json_default))


def describe(idents, msg):
    """What a deserialized message looked like to Python, for the Rust side to compare."""
    return {
        "ok": True,
        "idents": frames_to_hex(idents),
        "header": jsonable(msg["header"]),
        # extract_dates turns a well-formed date into a datetime; a date Python cannot parse
        # (more than six fractional digits, say) silently stays a string.
        "header_date_type": type(msg["header"]["date"]).__name__,
        "parent_header": jsonable(msg["parent_header"]),
        "metadata": jsonable(msg["metadata"]),
        "content": jsonable(msg["content"]),
        "buffers": frames_to_hex(msg["buffers"]),
    }


def refusal(exc):
    return {"ok": False, "error_type": type(exc).__name__, "error": str(exc)}


def reply(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def requests():
    """Yields the requests from stdin until it closes."""
    for line in sys.stdin:
        line = line.strip()
        if line:
            yield json.loads(line)

