//! Connection and cluster files between px-wire and stock ipyparallel, both ways:
//!
//! - files written by px-wire are private (0600 in a 0700 `security/`) and stock tools act
//!   on them: a stock `Client` connects with the client file (to a px-wire socket standing in
//!   for the hub), a stock `ipengine` registers and heart-beats with the engine file, and
//!   `Cluster.from_file` restores the cluster file as if it had written it;
//! - files written by a stock `ipcontroller` load in px-wire, survive a save unchanged, and
//!   carry a key with which a px-wire session gets a `connection_reply` from the stock hub
//!   (and without which it gets nothing).
//!
//! Every stock process runs in a temporary `IPYTHONDIR`/`HOME`, binds 127.0.0.1 only, and is
//! stopped with its whole process group when the test ends, pass or fail.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::{free_port, isolate, temp_dir, venv_bin, ProcessGuard, PyPeer};
use px_wire::{
    ClientConnectionInfo, ClusterFile, ClusterInfo, EngineConnectionInfo, EngineSetState,
    EngineSets, LauncherRecord, LauncherState, Message, MsgType, ProfileDir, Security, Session,
    Signer, Socket, SocketKind,
};
use serde_json::{json, Map, Value};
use tempfile::TempDir;

const CLUSTER_ID: &str = "t";
/// How long a stock tool may take to start (Python imports, on a busy machine).
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a running stock peer may take to answer; the stock `Client` waits 10 s too.
const REPLY_TIMEOUT: Duration = Duration::from_secs(10);

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

/// `profile_default` inside the `IPYTHONDIR` that [`isolate`] gives stock tools in `home`.
fn profile_in(home: &Path) -> ProfileDir {
    ProfileDir::at(home.join("ipython").join("profile_default"))
}

fn port_of(endpoint: &str) -> u16 {
    endpoint
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in {endpoint}"))
}

async fn bound(kind: SocketKind) -> (Socket, u16) {
    let mut socket = Socket::new(kind, None).unwrap();
    let endpoint = socket.bind("tcp://127.0.0.1:0").await.unwrap();
    (socket, port_of(&endpoint))
}

fn security() -> Security {
    // What our controller would write: a fresh key, and the address engines should use.
    Security::generate(Some("127.0.0.1".to_owned()))
}

fn engine_info(
    registration: u16,
    hb_ping: u16,
    hb_pong: u16,
    security: Security,
) -> EngineConnectionInfo {
    EngineConnectionInfo {
        ssh: String::new(),
        interface: "tcp://127.0.0.1".to_owned(),
        registration,
        control: free_port(),
        mux: free_port(),
        task: free_port(),
        iopub: free_port(),
        hb_ping,
        hb_pong,
        broadcast: vec![free_port(), free_port()],
        security,
        extra: Map::new(),
    }
}

/// The next message on `socket` within `timeout`, or `None`.
async fn recv_within(socket: &mut Socket, session: &Session, timeout: Duration) -> Option<Message> {
    match tokio::time::timeout(timeout, socket.recv_msg(session)).await {
        Ok(Ok(msg)) => Some(msg),
        Ok(Err(e)) => panic!("refused a message from the stock peer: {e}"),
        Err(_) => None,
    }
}

#[tokio::test]
async fn rust_client_file_is_private_and_a_stock_client_connects_with_it() {
    let home = temp_dir();
    let profile = profile_in(home.path());
    let security_dir = profile.ensure_security_dir().unwrap();
    assert_eq!(mode(&security_dir), 0o700);

    // A px-wire ROUTER stands in for the hub on the registration port; the other ports are
    // only connected to (ZeroMQ connects lazily), so nothing needs to listen there.
    let (mut hub, registration) = bound(SocketKind::Router).await;
    let info = ClientConnectionInfo {
        ssh: String::new(),
        interface: "tcp://127.0.0.1".to_owned(),
        registration,
        control: free_port(),
        mux: free_port(),
        task: free_port(),
        task_scheme: "leastload".to_owned(),
        iopub: free_port(),
        notification: free_port(),
        broadcast: free_port(),
        security: security(),
        extra: Map::new(),
    };
    let path = profile.client_file(CLUSTER_ID);
    info.save(&path).unwrap();
    assert_eq!(mode(&path), 0o600, "connection files are credentials");
    assert_eq!(ClientConnectionInfo::load(&path).unwrap(), info);

    let mut py = PyPeer::start("files_peer.py", &[], home.path());
    py.send(&json!({"op": "client", "path": path, "timeout": REPLY_TIMEOUT.as_secs()}))
        .await;

    // Either the request arrives, or the Client gives up first (it reports why).
    let hub_session = info.security.session().unwrap();
    let early_answer = tokio::select! {
        msg = recv_within(&mut hub, &hub_session, START_TIMEOUT) => Err(msg),
        answer = py.recv(START_TIMEOUT) => Ok(answer),
    };
    let request = match early_answer {
        Err(Some(msg)) => msg,
        Err(None) => panic!(
            "no connection_request from the stock Client within {START_TIMEOUT:?}\n{}",
            py.stderr()
        ),
        Ok(answer) => panic!("the stock Client stopped before connecting: {answer}"),
    };
    assert_eq!(request.kind().unwrap(), MsgType::ConnectionRequest);
    assert_eq!(
        request.idents.len(),
        1,
        "one routing frame: the Client's DEALER"
    );
    let reply = hub_session.reply(
        &request,
        MsgType::ConnectionReply,
        json!({"status": "ok", "engines": {"0": "engine-uuid-0"}}),
    );
    hub.send_msg(&hub_session, &reply).await.unwrap();

    let client = py.recv(common::PEER_TIMEOUT).await;
    assert_eq!(
        client["ok"],
        true,
        "stock Client failed: {client}\n{}",
        py.stderr()
    );
    assert_eq!(client["ids"], json!([0]));
    assert_eq!(client["engines"], json!({"0": "engine-uuid-0"}));
    assert_eq!(client["task_scheme"], "leastload");
    assert_eq!(client["key"], info.security.key);
    assert_eq!(client["signature_scheme"], "hmac-sha256");
    for (name, port) in [
        ("registration", info.registration),
        ("control", info.control),
        ("mux", info.mux),
        ("task", info.task),
        ("iopub", info.iopub),
        ("notification", info.notification),
        ("broadcast", info.broadcast),
    ] {
        assert_eq!(client["config"][name], info.url(port), "{name} url");
    }
}

/// Waits for a stock engine's `registration_request`, failing early (with its log) if the
/// engine exits first.
async fn wait_for_registration(
    hub: &mut Socket,
    session: &Session,
    engine: &mut ProcessGuard,
) -> Message {
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        if let Some(msg) = recv_within(hub, session, Duration::from_millis(200)).await {
            return msg;
        }
        assert!(
            engine.is_running(),
            "the stock engine exited before registering:\n{}",
            engine.log()
        );
        assert!(
            Instant::now() < deadline,
            "no registration_request within {START_TIMEOUT:?}:\n{}",
            engine.log()
        );
    }
}

fn start_engine(home: &Path, file: &Path) -> ProcessGuard {
    let mut cmd = Command::new(venv_bin("ipengine"));
    cmd.arg(format!("--file={}", file.display()))
        .arg(format!(
            "--profile-dir={}",
            profile_in(home).path().display()
        ))
        // The nanny runs in a session of its own, out of reach of the group kill.
        .arg("--IPEngine.enable_nanny=False");
    isolate(&mut cmd, home);
    ProcessGuard::spawn("ipengine", cmd, &home.join("ipengine.log"))
}

#[tokio::test]
async fn rust_engine_file_is_private_and_a_stock_engine_registers_and_beats_with_it() {
    let home = temp_dir();
    let profile = profile_in(home.path());
    profile.ensure_security_dir().unwrap();

    // The hub's registration socket and heart, bound by us at the ports the file names.
    let (mut hub, registration) = bound(SocketKind::Router).await;
    let (mut ping, hb_ping) = bound(SocketKind::Pub).await;
    let (mut pong, hb_pong) = bound(SocketKind::Router).await;
    let info = engine_info(registration, hb_ping, hb_pong, security());
    let path = profile.engine_file(CLUSTER_ID);
    info.save(&path).unwrap();
    assert_eq!(mode(&path), 0o600, "connection files are credentials");
    assert_eq!(EngineConnectionInfo::load(&path).unwrap(), info);

    let mut engine = start_engine(home.path(), &path);
    let session = info.security.session().unwrap();

    // The request is signed with the file's key, and the engine's uuid is its routing id
    // and its session id alike.
    let request = wait_for_registration(&mut hub, &session, &mut engine).await;
    assert_eq!(request.kind().unwrap(), MsgType::RegistrationRequest);
    let uuid = request.content["uuid"]
        .as_str()
        .unwrap_or_else(|| panic!("no uuid in {}", request.content))
        .to_owned();
    assert_eq!(request.idents, vec![Bytes::from(uuid.clone())]);
    assert_eq!(request.header.session, uuid);

    // Accept it as the stock hub does; the engine then takes every other port from the
    // file (not from this reply) and starts beating on hb_ping/hb_pong.
    let reply = session.reply(
        &request,
        MsgType::RegistrationReply,
        json!({"id": 0, "status": "ok", "hb_period": 3000,
               "connection_info": serde_json::to_value(&info).unwrap()}),
    );
    hub.send_msg(&session, &reply).await.unwrap();

    let beat = Bytes::from_static(b"1.2345");
    let deadline = Instant::now() + START_TIMEOUT;
    let echo = loop {
        ping.send(vec![beat.clone()]).await.unwrap();
        if let Ok(got) = tokio::time::timeout(Duration::from_millis(200), pong.recv()).await {
            break got.unwrap();
        }
        assert!(
            engine.is_running(),
            "the stock engine exited after registering:\n{}",
            engine.log()
        );
        assert!(
            Instant::now() < deadline,
            "no heartbeat echo within {START_TIMEOUT:?}:\n{}",
            engine.log()
        );
    };
    assert_eq!(
        echo,
        vec![Bytes::from(uuid), beat],
        "pong = [uuid, ping bytes]"
    );

    engine.stop();
    assert!(common::group_members(engine.pid()).is_empty());
}

#[tokio::test]
async fn rust_engine_file_without_location_is_loadable_by_a_stock_engine() {
    let home = temp_dir();
    let profile = profile_in(home.path());
    profile.ensure_security_dir().unwrap();
    let (mut hub, registration) = bound(SocketKind::Router).await;
    let info = engine_info(
        registration,
        free_port(),
        free_port(),
        Security::generate(None),
    );
    let path = profile.engine_file(CLUSTER_ID);
    info.save(&path).unwrap();

    let mut engine = start_engine(home.path(), &path);
    let session = info.security.session().unwrap();
    let request = wait_for_registration(&mut hub, &session, &mut engine).await;
    assert_eq!(request.kind().unwrap(), MsgType::RegistrationRequest);
}

/// Something alive whose pid a cluster file can name (`Cluster.from_file` drops dead ones).
fn live_process(home: &Path, name: &str) -> ProcessGuard {
    let mut cmd = Command::new("sleep");
    cmd.arg("300");
    ProcessGuard::spawn(name, cmd, &home.join(format!("{name}.log")))
}

fn launcher_state(
    pid: i64,
    output_file: Option<String>,
    profile: &str,
    n: Option<u32>,
) -> LauncherState {
    let mut extra = Map::new();
    if let Some(n) = n {
        extra.insert("n".to_owned(), json!(n));
    }
    LauncherState {
        cluster_id: CLUSTER_ID.to_owned(),
        pid: Some(pid),
        output_file,
        profile_dir: profile.to_owned(),
        state: "running".to_owned(),
        extra,
    }
}

#[tokio::test]
async fn rust_cluster_file_is_restored_by_stock_cluster_from_file() {
    let home = temp_dir();
    let profile = profile_in(home.path());
    profile.ensure_security_dir().unwrap();
    let profile_str = profile.path().to_str().unwrap().to_owned();
    let controller = live_process(home.path(), "controller-stand-in");
    let engine = live_process(home.path(), "engine-stand-in");
    let log = |name: &str| Some(profile.log_dir().join(name).to_str().unwrap().to_owned());

    let set_id = "1795416863".to_owned();
    let file = ClusterFile {
        cluster: ClusterInfo {
            cluster_id: CLUSTER_ID.to_owned(),
            controller_args: vec![],
            controller_ip: String::new(),
            controller_location: String::new(),
            delay: 1.0,
            n: Some(1),
            profile_dir: profile_str.clone(),
            class: "ipyparallel.cluster.cluster.Cluster".to_owned(),
            extra: Map::new(),
        },
        controller: Some(LauncherRecord {
            class: "local".to_owned(),
            state: launcher_state(
                controller.pid().into(),
                log("ipcontroller-t-1.log"),
                &profile_str,
                None,
            ),
        }),
        engines: EngineSets {
            class: "local".to_owned(),
            sets: [(
                set_id.clone(),
                EngineSetState {
                    launcher: launcher_state(-1, None, &profile_str, Some(1)),
                    engines: [(
                        "0".to_owned(),
                        launcher_state(
                            engine.pid().into(),
                            log("ipengine-t-1795416863-0.log"),
                            &profile_str,
                            Some(1),
                        ),
                    )]
                    .into(),
                },
            )]
            .into(),
        },
        extra: Map::new(),
    };
    let path = profile.cluster_file(CLUSTER_ID);
    file.save(&path).unwrap();
    assert_eq!(mode(&path), 0o600);
    assert_eq!(ClusterFile::load(&path).unwrap(), file);

    let mut py = PyPeer::start("files_peer.py", &[], home.path());
    let cluster = py.call(&json!({"op": "cluster", "path": path})).await;
    assert_eq!(
        cluster["ok"],
        true,
        "Cluster.from_file failed: {cluster}\n{}",
        py.stderr()
    );
    assert_eq!(cluster["cluster_id"], CLUSTER_ID);
    assert_eq!(cluster["profile_dir"], profile_str);
    assert_eq!(cluster["n"], 1);
    assert_eq!(
        cluster["controller"],
        json!({"class": "LocalControllerLauncher", "state": "running", "pid": controller.pid()})
    );
    assert_eq!(
        cluster["engines"],
        json!({set_id: {"class": "LocalEngineSetLauncher", "state": "running", "n": 1,
                        "pids": {"0": engine.pid()}}})
    );
    // The stock Cluster would write exactly this file itself: it did not rewrite ours.
    let on_disk: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(cluster["to_dict"], on_disk);
    assert_eq!(cluster["rewritten"], false);
}

/// A stock `ipcontroller` in `home`, with the paths of its two connection files.
struct StockController {
    process: ProcessGuard,
    client_file: PathBuf,
    engine_file: PathBuf,
}

impl StockController {
    /// Starts it and waits (bounded) until both connection files exist and parse.
    async fn start(
        home: &TempDir,
    ) -> (StockController, ClientConnectionInfo, EngineConnectionInfo) {
        let profile = profile_in(home.path());
        let mut cmd = Command::new(venv_bin("ipcontroller"));
        cmd.arg("--ip=127.0.0.1")
            .arg(format!("--cluster-id={CLUSTER_ID}"))
            .arg(format!("--profile-dir={}", profile.path().display()));
        isolate(&mut cmd, home.path());
        let mut controller = StockController {
            process: ProcessGuard::spawn(
                "ipcontroller",
                cmd,
                &home.path().join("ipcontroller.log"),
            ),
            client_file: profile.client_file(CLUSTER_ID),
            engine_file: profile.engine_file(CLUSTER_ID),
        };
        let deadline = Instant::now() + START_TIMEOUT;
        let mut first_seen: Option<Instant> = None;
        loop {
            let loaded = (
                ClientConnectionInfo::load(&controller.client_file),
                EngineConnectionInfo::load(&controller.engine_file),
            );
            match loaded {
                (Ok(client), Ok(engine)) => return (controller, client, engine),
                (client, engine)
                    if controller.client_file.exists() && controller.engine_file.exists() =>
                {
                    // The stock controller writes in place (not atomically): a half-written
                    // file fails to parse for a moment. Longer than that, px-wire refuses a
                    // stock file, which is what this test is about.
                    let since = *first_seen.get_or_insert_with(Instant::now);
                    if since.elapsed() > Duration::from_secs(2) {
                        panic!(
                            "px-wire cannot load the stock connection files: client: {:?}, engine: {:?}",
                            client.err().map(|e| e.to_string()),
                            engine.err().map(|e| e.to_string())
                        );
                    }
                }
                _ => {}
            }
            assert!(
                controller.process.is_running(),
                "ipcontroller exited before writing its connection files:\n{}",
                controller.process.log()
            );
            assert!(
                Instant::now() < deadline,
                "ipcontroller wrote no connection files within {START_TIMEOUT:?}:\n{}",
                controller.process.log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// Top-level keys of a JSON object in the order the text spells them.
fn key_order(text: &str) -> Vec<String> {
    let value: Value = serde_json::from_str(text).unwrap();
    let mut keys: Vec<(usize, String)> = value
        .as_object()
        .unwrap()
        .keys()
        .map(|k| {
            let at = text
                .find(&format!("\"{k}\":"))
                .unwrap_or_else(|| panic!("{k} not found in {text}"));
            (at, k.clone())
        })
        .collect();
    keys.sort();
    keys.into_iter().map(|(_, k)| k).collect()
}

/// Saving a stock file with px-wire changes no value and no key order.
fn assert_resaved_unchanged(stock: &Path, save: impl FnOnce(&Path), scratch: &Path) {
    let original = std::fs::read_to_string(stock).unwrap();
    save(scratch);
    let ours = std::fs::read_to_string(scratch).unwrap();
    let a: Value = serde_json::from_str(&original).unwrap();
    let b: Value = serde_json::from_str(&ours).unwrap();
    assert_eq!(b, a, "{} changed when saved by px-wire", stock.display());
    assert_eq!(
        key_order(&ours),
        key_order(&original),
        "key order of {}",
        stock.display()
    );
}

async fn connect_dealer(client: &ClientConnectionInfo) -> Socket {
    let mut dealer = Socket::new(SocketKind::Dealer, None).unwrap();
    dealer
        .connect(&client.url(client.registration), REPLY_TIMEOUT)
        .await
        .unwrap();
    dealer
}

#[tokio::test]
async fn stock_controller_files_load_in_rust_and_its_hub_answers_a_rust_connection_request() {
    let home = temp_dir();
    let (mut controller, client, engine) = StockController::start(&home).await;

    for (name, port) in [
        ("registration", client.registration),
        ("control", client.control),
        ("mux", client.mux),
        ("task", client.task),
        ("iopub", client.iopub),
        ("notification", client.notification),
        ("broadcast", client.broadcast),
        ("engine control", engine.control),
        ("engine mux", engine.mux),
        ("engine task", engine.task),
        ("engine iopub", engine.iopub),
        ("hb_ping", engine.hb_ping),
        ("hb_pong", engine.hb_pong),
    ] {
        assert_ne!(port, 0, "{name} port");
    }
    assert_eq!(
        engine.broadcast.len(),
        2,
        "one port per broadcast leaf (depth 1)"
    );
    assert!(engine.broadcast.iter().all(|p| *p != 0));
    assert_eq!(client.registration, engine.registration);
    assert!(!client.security.key.is_empty());
    assert_eq!(client.security.key, engine.security.key);
    assert_eq!(client.security.signature_scheme, "hmac-sha256");
    assert_eq!(client.interface, "tcp://127.0.0.1");
    assert_eq!(client.task_scheme, "leastload");
    assert_eq!(mode(&controller.client_file), 0o600);
    assert_eq!(mode(&controller.engine_file), 0o600);

    let scratch = home.path().join("resaved.json");
    assert_resaved_unchanged(
        &controller.client_file,
        |p| client.save(p).unwrap(),
        &scratch,
    );
    assert_resaved_unchanged(
        &controller.engine_file,
        |p| engine.save(p).unwrap(),
        &scratch,
    );

    // A px-wire DEALER, signing with the file's key, gets the stock hub's engine table.
    let session = client.security.session().unwrap();
    let mut dealer = connect_dealer(&client).await;
    let request = session.msg(MsgType::ConnectionRequest, json!({}));
    dealer.send_msg(&session, &request).await.unwrap();
    let reply = recv_within(&mut dealer, &session, REPLY_TIMEOUT)
        .await
        .unwrap_or_else(|| {
            panic!(
                "no connection_reply within {REPLY_TIMEOUT:?}:\n{}",
                controller.process.log()
            )
        });
    assert_eq!(reply.kind().unwrap(), MsgType::ConnectionReply);
    assert_eq!(reply.parent_msg_id(), Some(request.header.msg_id.as_str()));
    assert_eq!(reply.content["status"], "ok", "{}", reply.content);
    assert_eq!(reply.content["engines"], json!({}));

    // SIGTERM: the stock controller removes its files, and its whole group exits.
    controller.process.stop();
    assert!(common::group_members(controller.process.pid()).is_empty());
    assert!(!controller.client_file.exists(), "client file left behind");
    assert!(!controller.engine_file.exists(), "engine file left behind");
}

#[tokio::test]
async fn stock_hub_ignores_a_connection_request_signed_with_the_wrong_key() {
    let home = temp_dir();
    let (controller, client, _) = StockController::start(&home).await;
    let mut dealer = connect_dealer(&client).await;

    let wrong = Session::new(Signer::new(b"not-the-key", "hmac-sha256").unwrap());
    dealer
        .send_msg(&wrong, &wrong.msg(MsgType::ConnectionRequest, json!({})))
        .await
        .unwrap();
    let answer = tokio::time::timeout(Duration::from_secs(2), dealer.recv()).await;
    assert!(
        answer.is_err(),
        "the stock hub answered a badly signed request: {answer:?}"
    );

    // The silence was the signature's doing: the same socket with the right key is answered.
    let session = client.security.session().unwrap();
    let request = session.msg(MsgType::ConnectionRequest, json!({}));
    dealer.send_msg(&session, &request).await.unwrap();
    let reply = recv_within(&mut dealer, &session, REPLY_TIMEOUT)
        .await
        .unwrap_or_else(|| panic!("no connection_reply:\n{}", controller.process.log()));
    assert_eq!(reply.parent_msg_id(), Some(request.header.msg_id.as_str()));
    assert!(
        controller.process.log().contains("Invalid Signature"),
        "the hub should have logged the refusal:\n{}",
        controller.process.log()
    );
}
