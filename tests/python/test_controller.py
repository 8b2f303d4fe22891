"""pxcontroller with stock partners: stock ipengines register with it and a stock
ipyparallel Client drives it; forged and misaddressed messages get answers, not silence."""
import json
import os
import pathlib
import signal
import subprocess
import sys
import time
import uuid

import ipyparallel as ipp
import pytest
import zmq
from jupyter_client.session import Session

ROOT = pathlib.Path(__file__).resolve().parents[2]
PXCONTROLLER = ROOT / "target" / "debug" / "pxcontroller"
PXENGINE = ROOT / "target" / "debug" / "pxengine"
TIMEOUT = 30

# Sent to engines by reference: engines import it by name.
from time import sleep as time_sleep  # noqa: E402


@pytest.fixture(scope="module", autouse=True)
def built():
    subprocess.run(
        ["cargo", "build", "--quiet", "-p", "px-controller", "--bin", "pxcontroller", "-p", "px-engine", "--bin", "pxengine"],
        cwd=ROOT,
        check=True,
    )


def wait_until(what, check, timeout=TIMEOUT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


class Cluster:
    """pxcontroller and stock engines in a throw-away profile; everything is stopped at exit."""

    def __init__(self, tmp_path, n, args=()):
        self.profile = tmp_path / "profile"
        self.cluster_id = "t" + uuid.uuid4().hex[:8]
        self.env = dict(os.environ, IPP_PROFILE_DIR=str(self.profile), IPP_CLUSTER_ID=self.cluster_id)
        self.log = open(tmp_path / "controller.log", "w")
        self.controller = subprocess.Popen(
            [str(PXCONTROLLER), "--ping=500", *args], env=self.env, stderr=self.log, stdin=subprocess.DEVNULL
        )
        security = self.profile / "security"
        self.client_file = security / f"ipcontroller-{self.cluster_id}-client.json"
        self.engine_file = security / f"ipcontroller-{self.cluster_id}-engine.json"
        wait_until("the connection files", lambda: self.client_file.exists() and self.engine_file.exists())
        self.engines = [self.start_engine(tmp_path, i) for i in range(n)]

    def start_engine(self, tmp_path, i):
        return subprocess.Popen(
            [sys.executable, "-m", "ipyparallel.engine", f"--file={self.engine_file}"],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=open(tmp_path / f"engine{i}.log", "w"),
            stdin=subprocess.DEVNULL,
        )

    def client(self, n):
        rc = ipp.Client(str(self.client_file))
        rc.wait_for_engines(n, timeout=TIMEOUT)
        return rc

    def stop(self):
        for e in self.engines:
            if e.poll() is None:
                e.terminate()
        for e in self.engines:
            try:
                e.wait(10)
            except subprocess.TimeoutExpired:
                e.kill()
        if self.controller.poll() is None:
            self.controller.terminate()
            try:
                self.controller.wait(10)
            except subprocess.TimeoutExpired:
                self.controller.kill()
        self.log.close()


@pytest.fixture
def cluster(tmp_path):
    c = Cluster(tmp_path, 2)
    yield c
    c.stop()


def test_stock_engines_register_and_a_stock_client_runs_code_on_them(cluster):
    rc = cluster.client(2)
    try:
        dv = rc[:]
        # Functions of this module would pickle by reference; builtins travel as they are.
        assert dv.apply_sync(pow, 2, 5) == [32, 32]
        ar = dv.execute("a = 5; print('hi')", silent=False, block=True)
        assert ar.stdout == ["hi\n", "hi\n"]
        dv["b"] = [1, 2]
        assert dv["b"] == [[1, 2], [1, 2]]
        assert dv.pull("a", block=True) == [5, 5]
        with pytest.raises(ipp.error.RemoteError) as info:
            rc[0].execute("1/0", block=True)
        assert "ZeroDivisionError" in str(info.value)
        # Control goes through too.
        rc.clear(block=True)
        with pytest.raises(ipp.error.CompositeError):
            dv.execute("a", block=True)
    finally:
        rc.close()


def test_an_engine_that_dies_is_unregistered_and_requests_to_it_fail_at_once(cluster):
    rc = cluster.client(2)
    try:
        uuids = dict(rc._engines)
        pid = rc[1].apply_sync(os.getpid)
        os.kill(pid, signal.SIGKILL)
        wait_until("the engine to be unregistered", lambda: len(rc.ids) == 1)
        # A direct request to the dead engine's uuid is answered, not dropped.
        mux, info = raw_socket(cluster, zmq.DEALER, "mux")
        session = Session(key=info["key"].encode())
        try:
            session.send(mux, "execute_request", content={"code": "1"}, ident=uuids[1].encode())
            assert mux.poll(TIMEOUT * 1000)
            _, reply = session.recv(mux, mode=0)
            assert reply["content"]["ename"] == "EngineError"
        finally:
            mux.close()
        assert rc[0].apply_sync(str.upper, "still here") == "STILL HERE"
    finally:
        rc.close()


def raw_socket(cluster, kind, port_name):
    """A plain pyzmq socket connected to one of the controller's client-facing ports."""
    info = json.loads(cluster.client_file.read_text())
    ctx = zmq.Context.instance()
    sock = ctx.socket(kind)
    sock.setsockopt(zmq.LINGER, 0)
    sock.connect(f"{info['interface']}:{info[port_name]}")
    return sock, info


def test_a_forged_query_gets_an_error_reply_and_a_replay_gets_nothing(cluster):
    sock, info = raw_socket(cluster, zmq.DEALER, "registration")
    good = Session(key=info["key"].encode())
    forger = Session(key=b"not the key")
    try:
        forger.send(sock, "connection_request", content={})
        assert sock.poll(TIMEOUT * 1000), "no answer to a forged request"
        _, reply = good.recv(sock, mode=0)
        assert reply["content"]["status"] == "error"
        assert reply["content"]["ename"] == "AuthenticationError"
        assert reply["msg_type"] == "connection_reply"
        # A genuine request is answered; the same bytes sent again are not.
        msg = good.msg("connection_request", content={})
        frames = good.serialize(msg)
        sock.send_multipart(frames)
        assert sock.poll(TIMEOUT * 1000)
        _, reply = good.recv(sock, mode=0)
        assert reply["content"]["status"] == "ok"
        sock.send_multipart(frames)
        assert not sock.poll(1000), "a replayed request was answered"
        # Frames that are no message at all are dropped, and the hub goes on answering.
        sock.send_multipart([b"garbage"])
        sock.send_multipart([b"<IDS|MSG>", b"sig", b"{not json"])
        good.send(sock, "connection_request", content={})
        assert sock.poll(TIMEOUT * 1000)
        _, reply = good.recv(sock, mode=0)
        assert reply["content"]["status"] == "ok"
    finally:
        sock.close()


def test_unknown_queries_and_unknown_engines_get_errors(cluster):
    sock, info = raw_socket(cluster, zmq.DEALER, "registration")
    session = Session(key=info["key"].encode())
    try:
        session.send(sock, "frobnicate_request", content={})
        assert sock.poll(TIMEOUT * 1000)
        _, reply = session.recv(sock, mode=0)
        assert reply["msg_type"] == "hub_error"
        assert "frobnicate_request" in reply["content"]["evalue"]
    finally:
        sock.close()
    mux, info = raw_socket(cluster, zmq.DEALER, "mux")
    try:
        session.send(mux, "execute_request", content={"code": "1"}, ident=b"no-such-engine")
        assert mux.poll(TIMEOUT * 1000)
        _, reply = session.recv(mux, mode=0)
        assert reply["msg_type"] == "execute_reply"
        assert reply["content"]["ename"] == "EngineError"
        assert reply["content"]["engine_info"] == {}
    finally:
        mux.close()


def test_sigterm_removes_the_files_and_unknown_arguments_are_accepted(tmp_path):
    c = Cluster(tmp_path, 0, args=["--IPController.use_threads=True", "--transport", "tcp", "--log-to-file"])
    try:
        assert oct(c.client_file.stat().st_mode & 0o777) == "0o600"
        files = json.loads(c.client_file.read_text())
        assert files["interface"] == "tcp://127.0.0.1"
        assert files["task_scheme"] == "leastload"
        engine = json.loads(c.engine_file.read_text())
        assert isinstance(engine["broadcast"], list) and len(engine["broadcast"]) == 2
        c.controller.send_signal(signal.SIGTERM)
        assert c.controller.wait(10) == 0
        assert not c.client_file.exists() and not c.engine_file.exists()
    finally:
        c.stop()


def test_hub_shutdown_request_stops_the_controller(cluster):
    rc = cluster.client(2)
    rc.shutdown(hub=True, block=True)
    assert cluster.controller.wait(10) == 0
    assert not cluster.client_file.exists()


def test_broadcast_views_reach_every_engine_coalescing_or_not(cluster):
    rc = cluster.client(2)
    try:
        for coalescing in (False, True):
            bview = rc.broadcast_view(is_coalescing=coalescing)
            assert bview.apply_sync(pow, 3, 2) == [9, 9]
            ar = bview.execute("c = 11; print('b')", block=True)
            assert ar.stdout == ["b\n", "b\n"]
        assert rc[:]["c"] == [11, 11]
    finally:
        rc.close()


def test_load_balanced_tasks_run_with_dependencies_and_the_hub_keeps_their_results(cluster):
    rc = cluster.client(2)
    try:
        lview = rc.load_balanced_view()
        ars = [lview.apply_async(pow, 2, i) for i in range(50)]
        assert [ar.get(timeout=TIMEOUT) for ar in ars] == [2**i for i in range(50)]
        assert {ar.engine_id for ar in ars} == {0, 1}
        first = lview.apply_async(str.upper, "a")
        with lview.temp_flags(after=[first]):
            second = lview.apply_async(str.lower, "B")
        assert second.get(timeout=TIMEOUT) == "b"
        # A dependency on a msg_id the scheduler never saw is refused, not left waiting.
        with lview.temp_flags(after=["no-such-task"]):
            bad = lview.apply_async(str.upper, "c")
        with pytest.raises(ipp.error.RemoteError) as info:
            bad.get(timeout=TIMEOUT)
        assert "InvalidDependency" in str(info.value)
        # The hub answers about results this client did not see through its own sockets.
        status = rc.queue_status()
        assert set(status) >= {0, 1, "unassigned"}
        msg_id = ars[0].msg_ids[0]
        assert rc.result_status([msg_id])["completed"] == [msg_id]
        rc.purge_local_results(msg_id)
        assert rc.get_result(msg_id).get(timeout=TIMEOUT) == 1
        assert msg_id in rc.hub_history()
        records = rc.db_query({"msg_id": {"$in": [msg_id]}}, keys=["msg_id", "completed"])
        assert records[0]["msg_id"] == msg_id
        resubmitted = rc.resubmit(msg_id)
        assert resubmitted.get(timeout=TIMEOUT) == [1]
    finally:
        rc.close()


def test_a_task_on_an_engine_that_dies_fails_with_engine_error(cluster):
    rc = cluster.client(2)
    try:
        lview = rc.load_balanced_view(targets=[1])
        pid = rc[1].apply_sync(os.getpid)
        ar = lview.apply_async(time_sleep, 30)
        wait_until("the task to reach the engine", lambda: rc.queue_status()[1]["tasks"] == 1)
        os.kill(pid, signal.SIGKILL)
        with pytest.raises(ipp.error.RemoteError) as info:
            ar.get(timeout=TIMEOUT)
        assert info.value.ename == "EngineError"
        assert rc[0].apply_sync(str.upper, "ok") == "OK"
    finally:
        rc.close()


def test_a_thousand_engines_registering_at_once_each_get_an_id(tmp_path):
    c = Cluster(tmp_path, 0)
    socks = []
    try:
        info = json.loads(c.engine_file.read_text())
        session = Session(key=info["key"].encode())
        ctx = zmq.Context.instance()
        uuids = [str(uuid.uuid4()) for _ in range(1000)]
        for u in uuids:
            s = ctx.socket(zmq.DEALER)
            s.setsockopt(zmq.LINGER, 0)
            s.setsockopt(zmq.IDENTITY, u.encode())
            s.connect(f"{info['interface']}:{info['registration']}")
            socks.append(s)
        for s, u in zip(socks, uuids):
            session.send(s, "registration_request", content={"uuid": u})
        ids = set()
        for s in socks:
            assert s.poll(TIMEOUT * 1000), "a registration got no reply"
            _, reply = session.recv(s, mode=0)
            assert reply["content"]["status"] == "ok"
            ids.add(reply["content"]["id"])
        assert ids == set(range(1000))
        # The hub still answers, and none of them counts as registered without a heartbeat.
        rc = ipp.Client(str(c.client_file))
        assert rc.ids == []
        rc.close()
    finally:
        for s in socks:
            s.close()
        c.stop()


def test_reuse_keeps_the_files_and_a_restart_binds_the_same_ports_with_the_same_key(tmp_path):
    first = Cluster(tmp_path, 0, args=["--reuse"])
    try:
        before = json.loads(first.client_file.read_text())
        first.controller.send_signal(signal.SIGTERM)
        assert first.controller.wait(10) == 0
        assert first.client_file.exists() and first.engine_file.exists()
    finally:
        first.stop()
    second = Cluster.__new__(Cluster)
    second.__dict__.update(first.__dict__)
    second.log = open(tmp_path / "controller2.log", "w")
    second.controller = subprocess.Popen(
        [str(PXCONTROLLER), "--ping=500", "--reuse"], env=first.env, stderr=second.log, stdin=subprocess.DEVNULL
    )
    second.engines = [second.start_engine(tmp_path, 0)]
    try:
        rc = second.client(1)
        after = json.loads(second.client_file.read_text())
        assert after == before
        assert rc[:].apply_sync(pow, 2, 3) == [8]
        rc.close()
    finally:
        second.stop()


def test_a_client_connecting_while_engines_register_learns_of_every_one(tmp_path, monkeypatch):
    """A stock client subscribes to notifications only after its connection_request is
    answered. Engines that register in that gap are in neither the answer nor a
    notification it hears, unless the hub repeats the notification. The gap is made wide
    here: the engines start when the client first connects a SUB socket, which then waits
    300 ms (a loaded machine) while pxengines register in well under that."""
    c = Cluster(tmp_path, 0)
    connect = zmq.Socket.connect

    def late_sub_connect(sock, addr):
        if sock.type == zmq.SUB:
            if not c.engines:
                c.engines = [
                    subprocess.Popen(
                        [str(PXENGINE), f"--file={c.engine_file}", f"--python={sys.executable}"],
                        env=c.env,
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                        stdin=subprocess.DEVNULL,
                    )
                    for _ in range(4)
                ]
            time.sleep(0.3)
        return connect(sock, addr)

    monkeypatch.setattr(zmq.Socket, "connect", late_sub_connect)
    try:
        rc = ipp.Client(str(c.client_file))
        try:
            rc.wait_for_engines(4, timeout=10)
        finally:
            rc.close()
    finally:
        c.stop()
