"""The Python half of the `wire_codec` benchmark (benches/src/bin/wire_codec.rs).

Times stock jupyter_client's Session on the same two messages as the Rust side, with the same
method, and prints the medians as JSON on stdout for the Rust side to read:

- build COUNT distinct messages (fresh headers, so fresh signatures);
- time sign+serialize: what Session.send does before the socket, i.e. Session.serialize
  (signs the four JSON frames) and then the buffers appended, unsigned and uncopied;
- time verify+deserialize: feed_identities + Session.deserialize, by a receiving Session that
  has never seen these signatures (deserialize refuses a signature it has already accepted);
- report the median of REPS batches.

The key, count, repetitions and buffer size come from the command line so both sides agree.
"""

import argparse
import json
import statistics
import sys
import time

import jupyter_client
from jupyter_client.session import Session

EXECUTE_CONTENT = {
    "code": "a = 5\nprint(a)",
    "silent": False,
    "store_history": True,
    "user_expressions": {},
    "allow_stdin": False,
    "stop_on_error": True,
}


def workloads(buffer_len):
    """The two message shapes, by the names the Rust side looks up:
    (msg_type, metadata, content, buffers)."""
    # A byte pattern like the Rust side's, so the buffer's pages are really allocated.
    buffer = (bytes(range(256)) * (buffer_len // 256 + 1))[:buffer_len]
    return {
        "execute_request": ("execute_request", {"label": None}, EXECUTE_CONTENT, []),
        "buffer_10mb": ("apply_request", {}, {}, [buffer]),
    }


def sign_and_serialize(session, msg):
    """What Session.send does to a message before handing the frames to zmq."""
    frames = session.serialize(msg)
    frames.extend(msg["buffers"])
    return frames


def verify_and_deserialize(session, frames):
    """What Session.recv does to received frames."""
    _idents, parts = session.feed_identities(frames)
    return session.deserialize(parts)


def same_objects(got, sent):
    """Whether the received memoryviews wrap the very bytes objects that were sent (no copy)."""
    return len(got) == len(sent) and all(g.obj is s for g, s in zip(got, sent))


def measure(key, count, reps, msg_type, metadata, content, buffers):
    sender = Session(key=key)
    serialize, deserialize = [], []
    shared = True
    for _ in range(reps):
        messages = []
        for _ in range(count):
            msg = sender.msg(msg_type, content=content, metadata=metadata)
            msg["buffers"] = buffers
            messages.append(msg)

        start = time.perf_counter()
        sent = [sign_and_serialize(sender, m) for m in messages]
        serialize.append(count / (time.perf_counter() - start))

        receiver = Session(key=key)
        start = time.perf_counter()
        received = [verify_and_deserialize(receiver, f) for f in sent]
        deserialize.append(count / (time.perf_counter() - start))

        # Results are kept until here so freeing them is not timed (as on the Rust side).
        shared = shared and all(same_objects(m["buffers"], buffers) for m in received)
    return {
        "serialize_per_s": statistics.median(serialize),
        "deserialize_per_s": statistics.median(deserialize),
        "buffer_shared": shared if buffers else None,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--key", required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--reps", type=int, required=True)
    parser.add_argument("--buffer-len", type=int, required=True)
    args = parser.parse_args()
    key = args.key.encode()
    cases = {
        name: measure(key, args.count, args.reps, *shape)
        for name, shape in workloads(args.buffer_len).items()
    }
    json.dump(
        {
            "python": sys.version.split()[0],
            "jupyter_client": jupyter_client.__version__,
            "cases": cases,
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
