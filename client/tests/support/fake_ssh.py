#!/usr/bin/env python3
"""Stands in for `ssh -N -L ...` in tests: forwards each -L local port to its remote end on
this machine, so tunnels can be tested without an ssh server."""
import socket
import sys
import threading


def pump(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def serve(listener, host, port):
    while True:
        conn, _ = listener.accept()
        try:
            upstream = socket.create_connection((host, port))
        except OSError:
            conn.close()
            continue
        threading.Thread(target=pump, args=(conn, upstream), daemon=True).start()
        threading.Thread(target=pump, args=(upstream, conn), daemon=True).start()


args = sys.argv[1:]
forwards = [args[i + 1] for i, a in enumerate(args) if a == "-L"]
for spec in forwards:
    lhost, lport, rhost, rport = spec.rsplit(":", 3)
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((lhost, int(lport)))
    listener.listen(64)
    threading.Thread(target=serve, args=(listener, rhost, int(rport)), daemon=True).start()
threading.Event().wait()
