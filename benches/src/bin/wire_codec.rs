//! `wire_codec`: how fast px-wire turns messages into signed frames and back, next to
//! jupyter_client doing the same on the same messages.
//!
//! Two message shapes are timed:
//! - `execute_request`: a typical ipyparallel request, where JSON and HMAC are all the work;
//! - `buffer_10mb`: one 10 MB binary buffer and empty JSON, where the only question is whether
//!   the buffer is copied. Buffers are not signed and travel as shared [`Bytes`], so the rate
//!   should be as high as for an empty message; a copy would show as a rate near memory
//!   bandwidth / 10 MB, and the address check below would fail.
//!
//! Method, identical on both sides: build [`COUNT`] distinct messages (fresh headers, so fresh
//! signatures), time signing and serializing all of them, then time verifying and deserializing
//! the frames with a receiving session that has never seen them. A session refuses a signature
//! it has already accepted, so each batch needs both distinct messages and a fresh receiver.
//! Each figure is the median of [`REPS`] batches.
//!
//! The Python side is `python/wire_codec.py`, run with the interpreter in `PX_PYTHON` or
//! `<workspace>/.venv/bin/python`; the key, count and repetitions are passed on its command
//! line so the two cannot drift apart. Without a usable Python the Rust figures are printed
//! alone, with the reason.

use std::collections::HashMap;
use std::time::Instant;

use anyhow::Result;
use bytes::Bytes;
use px_benches::median;
use px_wire::{Message, MsgType, Session, Signer, DEFAULT_SCHEME};
use serde::Deserialize;
use serde_json::{json, Map, Value};

/// The HMAC key both sides sign with; any non-empty key turns signing and checking on.
const KEY: &str = "px-bench-key";
/// Messages per timed batch: a batch takes milliseconds in Rust (well above timer
/// resolution) and well under a second in Python (so the whole run stays short).
const COUNT: usize = 10_000;
/// Batches per figure. The median is reported, so one slow batch (first-touch page faults,
/// a garbage-collection pass in Python) does not skew it.
const REPS: usize = 5;
/// The binary buffer of `buffer_10mb`, in bytes: decimal megabytes, to match GB/s.
const BUFFER_LEN: usize = 10_000_000;

/// One message shape to time; `python/wire_codec.py` builds the same ones.
struct Workload {
    /// Name in the table, and key of this workload in the Python script's JSON.
    name: &'static str,
    msg_type: MsgType,
    metadata: Map<String, Value>,
    content: Value,
    buffers: Vec<Bytes>,
}

impl Workload {
    /// What `DirectView.execute("a = 5\nprint(a)")` sends (parent `{}`).
    fn execute_request() -> Self {
        Workload {
            name: "execute_request",
            msg_type: MsgType::ExecuteRequest,
            metadata: Map::from_iter([("label".to_owned(), Value::Null)]),
            content: json!({
                "code": "a = 5\nprint(a)",
                "silent": false,
                "store_history": true,
                "user_expressions": {},
                "allow_stdin": false,
                "stop_on_error": true,
            }),
            buffers: Vec::new(),
        }
    }

    /// One large binary buffer and nothing else: the cost of carrying bulk data.
    fn buffer_10mb() -> Self {
        // A byte pattern rather than zeros, so the buffer's pages are really allocated.
        let buffer: Vec<u8> = (0..BUFFER_LEN).map(|i| i as u8).collect();
        Workload {
            name: "buffer_10mb",
            msg_type: MsgType::ApplyRequest,
            metadata: Map::new(),
            content: json!({}),
            buffers: vec![Bytes::from(buffer)],
        }
    }

    /// A new message of this shape. Its header is new (msg_id, date), so its signature is
    /// too; the buffers are shared with the workload (a reference count, not a copy).
    fn message(&self, session: &Session) -> Message {
        session
            .msg(self.msg_type, self.content.clone())
            .with_metadata(self.metadata.clone())
            .with_buffers(self.buffers.clone())
    }
}

/// Median throughputs of one workload, in messages per second. Also what the Python script
/// prints per workload.
#[derive(Debug, Clone, Copy, Deserialize)]
struct Figures {
    serialize_per_s: f64,
    deserialize_per_s: f64,
    /// For workloads with buffers: whether every received buffer is the very allocation that
    /// was sent (same address), i.e. was never copied. `None` without buffers.
    buffer_shared: Option<bool>,
}

/// What `python/wire_codec.py` prints on stdout.
#[derive(Debug, Deserialize)]
struct PythonReport {
    python: String,
    jupyter_client: String,
    cases: HashMap<String, Figures>,
}

fn main() -> Result<()> {
    let workloads = [Workload::execute_request(), Workload::buffer_10mb()];
    let mut rust = Vec::with_capacity(workloads.len());
    for workload in &workloads {
        rust.push(measure(workload)?);
    }
    let python = run_python();
    print_report(&workloads, &rust, &python);
    Ok(())
}

fn signer() -> Result<Signer> {
    Ok(Signer::new(KEY.as_bytes(), DEFAULT_SCHEME)?)
}

/// Times [`REPS`] batches of [`COUNT`] messages through `Session::serialize` and
/// `Session::deserialize`.
fn measure(workload: &Workload) -> Result<Figures> {
    let sender = Session::new(signer()?);
    let mut serialize = Vec::with_capacity(REPS);
    let mut deserialize = Vec::with_capacity(REPS);
    let mut shared = true;
    for _ in 0..REPS {
        let messages: Vec<Message> = (0..COUNT).map(|_| workload.message(&sender)).collect();

        let start = Instant::now();
        let sent: Vec<Vec<Bytes>> = messages.iter().map(|m| sender.serialize(m)).collect();
        serialize.push(COUNT as f64 / start.elapsed().as_secs_f64());

        // Fresh, so its replay memory holds none of this batch's signatures.
        let receiver = Session::new(signer()?);
        let start = Instant::now();
        let received = sent
            .into_iter()
            .map(|frames| receiver.deserialize(frames))
            .collect::<px_wire::Result<Vec<Message>>>()?;
        deserialize.push(COUNT as f64 / start.elapsed().as_secs_f64());

        // Results are kept until here so their drop is not timed (Python's are kept too).
        shared &= received
            .iter()
            .all(|m| same_allocations(&m.buffers, &workload.buffers));
    }
    Ok(Figures {
        serialize_per_s: median(&mut serialize),
        deserialize_per_s: median(&mut deserialize),
        buffer_shared: (!workload.buffers.is_empty()).then_some(shared),
    })
}

/// Whether `got` are the very buffers `sent` (same address and length): proof of no copy.
fn same_allocations(got: &[Bytes], sent: &[Bytes]) -> bool {
    got.len() == sent.len()
        && got
            .iter()
            .zip(sent)
            .all(|(g, s)| g.as_ptr() == s.as_ptr() && g.len() == s.len())
}

/// Runs the Python side; on any failure, says why in one line instead of failing the bench.
fn run_python() -> std::result::Result<PythonReport, String> {
    px_benches::run_python(
        "wire_codec.py",
        &[
            "--key".into(),
            KEY.into(),
            "--count".into(),
            COUNT.to_string(),
            "--reps".into(),
            REPS.to_string(),
            "--buffer-len".into(),
            BUFFER_LEN.to_string(),
        ],
    )
}

fn print_report(
    workloads: &[Workload],
    rust: &[Figures],
    python: &std::result::Result<PythonReport, String>,
) {
    let py_cases = python.as_ref().ok().map(|p| &p.cases);
    println!("wire_codec: {COUNT} distinct messages per batch, median of {REPS} batches");
    match python {
        Ok(p) => println!("Python {}, jupyter_client {}", p.python, p.jupyter_client),
        Err(why) => println!("Python side skipped: {why}"),
    }
    println!();
    println!(
        "{:<36} {:>14} {:>14} {:>12}",
        "case", "Rust msgs/s", "Python msgs/s", "Rust/Python"
    );
    for (workload, ours) in workloads.iter().zip(rust) {
        let theirs = py_cases.and_then(|c| c.get(workload.name));
        for (step, ours, theirs) in steps(ours, theirs) {
            let case = format!("{} {step}", workload.name);
            let (theirs, ratio) = match theirs {
                Some(t) => (format!("{t:.0}"), format!("{:.1}x", ours / t)),
                None => ("-".to_owned(), "-".to_owned()),
            };
            println!("{case:<36} {ours:>14.0} {theirs:>14} {ratio:>12}");
        }
    }

    // Bulk data: the same rates as bytes of buffer handed through per second. They exceed
    // any memory bandwidth precisely because nothing is copied.
    for (workload, ours) in workloads.iter().zip(rust) {
        let Some(rust_shared) = ours.buffer_shared else {
            continue;
        };
        let bytes: usize = workload.buffers.iter().map(Bytes::len).sum();
        let gbps = |per_s: f64| format!("{:.0}", per_s * bytes as f64 / 1e9);
        let theirs = py_cases.and_then(|c| c.get(workload.name));
        println!();
        println!("{} ({bytes} bytes of buffer per message)", workload.name);
        println!("{:<36} {:>14} {:>14}", "", "Rust GB/s", "Python GB/s");
        for (step, ours, theirs) in steps(ours, theirs) {
            let theirs = theirs.map_or_else(|| "-".to_owned(), gbps);
            println!("{step:<36} {:>14} {theirs:>14}", gbps(ours));
        }
        let yes_no = |shared: bool| if shared { "yes" } else { "NO (copied)" };
        let python_shared = theirs.and_then(|t| t.buffer_shared).map_or("-", yes_no);
        println!(
            "{:<36} {:>14} {:>14}",
            "received buffer is the sent one",
            yes_no(rust_shared),
            python_shared
        );
    }
}

/// The two timed steps as table rows: name, Rust rate, Python rate if there is one.
fn steps(ours: &Figures, theirs: Option<&Figures>) -> [(&'static str, f64, Option<f64>); 2] {
    [
        (
            "sign+serialize",
            ours.serialize_per_s,
            theirs.map(|t| t.serialize_per_s),
        ),
        (
            "verify+deserialize",
            ours.deserialize_per_s,
            theirs.map(|t| t.deserialize_per_s),
        ),
    ]
}
