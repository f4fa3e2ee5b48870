//! `aftercare serve` against the real binary on 127.0.0.1 with an ephemeral port: every
//! endpoint, reloads (good, bad, half-written; on file change and on SIGHUP), shutdown with
//! requests in flight, limits, bad bodies, the OpenAPI document, and no personal data in logs
//! or metrics.
#![cfg(unix)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const NOW: &str = "2025-10-15T12:00:00+08:00";

/// How long a test waits for something asynchronous (a reload, a start) before failing.
const PATIENCE: Duration = Duration::from_secs(20);

// ---------------------------------------------------------------------------------------
// A server process and a minimal HTTP/1.1 client

struct Server {
    child: Child,
    addr: String,
    dir: PathBuf,
    log: Arc<Mutex<String>>,
}

fn manifest() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A fresh folder holding a copy of the default policy, its calendar, its models and its samples.
fn policy_folder() -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "aftercare-serve-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("calendars")).unwrap();
    std::fs::create_dir_all(dir.join("models")).unwrap();
    // Every model of the default policy, whichever models it uses.
    for entry in std::fs::read_dir(manifest().join("policies/models")).unwrap() {
        let from = entry.unwrap().path();
        if from.extension().is_some_and(|e| e == "model") {
            std::fs::copy(&from, dir.join("models").join(from.file_name().unwrap())).unwrap();
        }
    }
    let policies = manifest().join("policies");
    std::fs::copy(policies.join("default.toml"), dir.join("default.toml")).unwrap();
    std::fs::copy(
        policies.join("calendars/cn.toml"),
        dir.join("calendars/cn.toml"),
    )
    .unwrap();
    dir
}

fn samples() -> String {
    std::fs::read_to_string(manifest().join("policies/samples/tickets.jsonl")).unwrap()
}

fn sample_tickets() -> Vec<Value> {
    samples()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

impl Server {
    fn start(args: &[&str]) -> Server {
        Server::start_in(policy_folder(), args, &[])
    }

    fn start_in(dir: PathBuf, args: &[&str], env: &[(&str, &str)]) -> Server {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_aftercare"));
        cmd.arg("serve")
            .arg(dir.join("default.toml"))
            .args(["--addr", "127.0.0.1:0"])
            .args(args)
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        let stderr = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = mpsc::channel();
        {
            let log = Arc::clone(&log);
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines() {
                    let Ok(line) = line else { break };
                    // `addr=HOST:PORT` in text logs, `"addr":"HOST:PORT"` in JSON logs.
                    let addr = line
                        .split("addr=")
                        .nth(1)
                        .or_else(|| line.split("\"addr\":\"").nth(1))
                        .map(|rest| rest.split([' ', '"']).next().unwrap_or("").to_string());
                    if let Some(addr) = addr {
                        let _ = tx.send(addr);
                    }
                    let mut log = log.lock().unwrap();
                    log.push_str(&line);
                    log.push('\n');
                }
            });
        }
        let addr = match rx.recv_timeout(PATIENCE) {
            Ok(addr) => addr,
            Err(_) => {
                let _ = child.kill();
                panic!("the server did not start:\n{}", log.lock().unwrap());
            }
        };
        Server {
            child,
            addr,
            dir,
            log,
        }
    }

    fn policy_path(&self) -> PathBuf {
        self.dir.join("default.toml")
    }

    fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// The log once every line of the requests answered so far has been read: a last request's
    /// own line (logged before it is answered) marks the end.
    fn settled_log(&self) -> String {
        let marker = self.get("/healthz");
        let id = marker.header("x-request-id").unwrap().to_string();
        self.wait_for("the log to catch up", |s| s.log().contains(&id));
        self.log()
    }

    fn signal(&self, name: &str) {
        let ok = Command::new("kill")
            .args([format!("-{name}"), self.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -{name}");
    }

    fn request(&self, method: &str, path: &str, content_type: &str, body: &[u8]) -> Response {
        request(&self.addr, method, path, content_type, body)
    }

    fn get(&self, path: &str) -> Response {
        self.request("GET", path, "", b"")
    }

    fn post_json(&self, path: &str, body: &Value) -> Response {
        self.request(
            "POST",
            path,
            "application/json",
            body.to_string().as_bytes(),
        )
    }

    fn post_text(&self, path: &str, body: &str) -> Response {
        self.request("POST", path, "text/plain", body.as_bytes())
    }

    fn version(&self) -> String {
        self.get("/v1/policy").json()["version"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// Waits for `f` to hold, polling.
    fn wait_for(&self, what: &str, f: impl Fn(&Server) -> bool) {
        let start = Instant::now();
        while !f(self) {
            assert!(
                start.elapsed() < PATIENCE,
                "timed out waiting for {what}; log:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits for the process to exit and returns its exit code.
    fn wait_exit(&mut self) -> Option<i32> {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            assert!(start.elapsed() < PATIENCE, "the server did not stop");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[derive(Debug)]
struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn text(&self) -> String {
        String::from_utf8(self.body.clone()).unwrap()
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
}

/// One request on its own connection (`connection: close`), read to the end.
fn request(addr: &str, method: &str, path: &str, content_type: &str, body: &[u8]) -> Response {
    let mut stream = send_head(addr, method, path, content_type, body.len());
    // The server may answer (e.g. 413) before reading the whole body and close.
    let _ = stream.write_all(body);
    read_answer(stream)
}

/// A new connection with a request's head written on it, its body still to come.
fn send_head(addr: &str, method: &str, path: &str, content_type: &str, len: usize) -> TcpStream {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(120)))
        .unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\ncontent-length: {len}\r\n"
    );
    if !content_type.is_empty() {
        head.push_str(&format!("content-type: {content_type}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    stream
}

fn read_answer(mut stream: TcpStream) -> Response {
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    parse_response(&raw)
}

/// A request whose last body byte is held back, so it stays in flight (holding its place
/// under `--max-concurrency`) for exactly as long as a test needs, on any machine.
struct HeldRequest {
    stream: TcpStream,
    last: u8,
}

impl HeldRequest {
    fn start(addr: &str, path: &str, content_type: &str, body: &[u8]) -> HeldRequest {
        let (&last, rest) = body.split_last().expect("a body to hold back");
        let mut stream = send_head(addr, "POST", path, content_type, body.len());
        stream.write_all(rest).unwrap();
        stream.flush().unwrap();
        HeldRequest { stream, last }
    }

    /// Waits, then finishes: a server that answers first (a timeout) has its answer read.
    fn finish_after(self, wait: Duration) -> Response {
        std::thread::sleep(wait);
        self.finish()
    }

    /// Sends the last byte and reads the answer.
    fn finish(mut self) -> Response {
        // The server may have answered (e.g. a timeout) and closed already.
        let _ = self.stream.write_all(&[self.last]);
        read_answer(self.stream)
    }
}

fn parse_response(raw: &[u8]) -> Response {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no response head in {:?}", String::from_utf8_lossy(raw)));
    let head = std::str::from_utf8(&raw[..end]).unwrap();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let mut body = raw[end + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"));
    if chunked {
        body = dechunk(&body);
    }
    Response {
        status,
        headers,
        body,
    }
}

fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(eol) = raw.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size =
            usize::from_str_radix(std::str::from_utf8(&raw[..eol]).unwrap().trim(), 16).unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&raw[eol + 2..eol + 2 + size]);
        raw = &raw[eol + 2 + size + 2..];
    }
}

fn metric(metrics: &str, series: &str) -> f64 {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("no series {series} in\n{metrics}"))
        .trim()
        .parse()
        .unwrap()
}

/// A batch of `n` sample tickets as JSON lines, with distinct ids.
fn big_batch(n: usize) -> String {
    let tickets = sample_tickets();
    let mut out = String::new();
    for i in 0..n {
        let mut t = tickets[i % tickets.len()].clone();
        t["id"] = json!(format!("B-{i}"));
        out.push_str(&t.to_string());
        out.push('\n');
    }
    out
}

/// A minimal policy with a version.
static TINY: LazyLock<String> = LazyLock::new(|| {
    crate::support::minimal_policy("[policy]\nname = \"tiny\"\nversion = \"draft-1\"\n")
});

/// The serving policy's text with another version.
fn with_version(text: &str, version: &str) -> String {
    let start = text.find("version = \"").unwrap();
    let end = start + text[start..].find('\n').unwrap();
    format!("{}version = \"{version}\"{}", &text[..start], &text[end..])
}

// ---------------------------------------------------------------------------------------
// Endpoints

#[test]
fn evaluate_answers_in_the_shape_it_was_asked() {
    let server = Server::start(&[]);
    let tickets = sample_tickets();
    let path = format!("/v1/evaluate?now={}", NOW.replace('+', "%2B"));

    // One ticket: one decision, the same JSON `aftercare eval` prints.
    let one = server.post_json(&path, &tickets[0]);
    assert_eq!(one.status, 200, "{}", one.text());
    let d = one.json();
    assert_eq!(d["ticket"], "FB202405001");
    assert_eq!(d["rules"]["category"], "complaint");
    assert!(d["trace"].as_array().is_some_and(|t| !t.is_empty()));
    assert_eq!(one.header("x-aftercare-now-source"), Some("request"));
    assert_eq!(one.header("x-aftercare-now"), Some("2025-10-15T04:00:00Z"));
    let eval = Command::new(env!("CARGO_BIN_EXE_aftercare"))
        .args(["eval"])
        .arg(server.policy_path())
        .arg(manifest().join("policies/samples/tickets.jsonl"))
        .args(["--now", NOW])
        .output()
        .unwrap();
    let first_line = String::from_utf8(eval.stdout).unwrap();
    let first_line: Value = serde_json::from_str(first_line.lines().next().unwrap()).unwrap();
    assert_eq!(d, first_line);

    // An array: an array in order; JSON lines: lines in order.
    let array = server.post_json(&format!("{path}&trace=false"), &json!(tickets));
    assert_eq!(array.status, 200);
    let decisions = array.json();
    let decisions = decisions.as_array().unwrap();
    assert_eq!(decisions.len(), tickets.len());
    for (d, t) in decisions.iter().zip(&tickets) {
        assert_eq!(d["ticket"], t["id"]);
        assert!(d.get("trace").is_none(), "trace=false");
    }
    let lines = server.request("POST", &path, "application/x-ndjson", samples().as_bytes());
    assert_eq!(lines.status, 200);
    assert_eq!(lines.header("content-type"), Some("application/x-ndjson"));
    let ids: Vec<Value> = lines
        .text()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["ticket"].clone())
        .collect();
    let expected: Vec<Value> = tickets.iter().map(|t| t["id"].clone()).collect();
    assert_eq!(ids, expected);

    // Without `now`, the server's clock decides, and the answer says so.
    let clock = server.post_json("/v1/evaluate", &tickets[0]);
    assert_eq!(clock.status, 200);
    assert_eq!(clock.header("x-aftercare-now-source"), Some("server"));
    let at = clock.header("x-aftercare-now").unwrap();
    let at = chrono::DateTime::parse_from_rfc3339(at).unwrap();
    assert!((chrono::Utc::now() - at.to_utc()).num_seconds().abs() < 60);
}

#[test]
fn triage_explain_test_and_diff_answer() {
    let server = Server::start(&[]);
    let tickets = sample_tickets();
    let q = format!("?now={}", NOW.replace('+', "%2B"));

    let triage = server.post_json(&format!("/v1/triage{q}"), &json!(tickets[..3]));
    assert_eq!(triage.status, 200);
    let t = triage.json();
    assert_eq!(t[0]["ticket"], "FB202405001");
    assert_eq!(t[0]["category"], "complaint");
    assert_eq!(t[0]["rules"]["route"], "east-repair");

    let explain = server.post_json(&format!("/v1/explain{q}"), &tickets[0]);
    assert_eq!(explain.status, 200);
    let e = explain.json();
    assert_eq!(e["ticket"], "FB202405001");
    assert!(e["clocks"].as_array().is_some_and(|c| !c.is_empty()));
    assert!(e["stages"].as_array().is_some_and(|s| s.len() == 3));

    let cases = std::fs::read_to_string(manifest().join("policies/tests/routes.toml")).unwrap();
    let test = server.post_text("/v1/test", &cases);
    assert_eq!(test.status, 200, "{}", test.text());
    let r = test.json();
    assert!(r["passed"].as_u64().unwrap() > 0);
    assert_eq!(r["failed"], 0);
    assert!(r["coverage"]["total"].as_u64().unwrap() > r["coverage"]["hit"].as_u64().unwrap());
    assert!(!r["coverage"]["never_hit"].as_array().unwrap().is_empty());
    // A failing case names the field, expected and actual.
    let failing = cases.replacen("department = \"", "department = \"nowhere-", 1);
    if failing != cases {
        let r = server.post_text("/v1/test", &failing).json();
        assert!(r["failed"].as_u64().unwrap() >= 1, "{r}");
        let failure = r["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["passed"] == false)
            .unwrap();
        assert!(failure["failures"][0]["expected"]
            .as_str()
            .unwrap()
            .contains("nowhere-"));
    }

    // diff: the candidate against the serving policy on the same tickets.
    let serving = std::fs::read_to_string(server.policy_path()).unwrap();
    let candidate = serving.replace("first_response = \"4h\"", "first_response = \"2h\"");
    assert_ne!(
        candidate, serving,
        "the policy has a 4h first response target"
    );
    let diff = server.post_json(
        "/v1/diff",
        &json!({"policy": candidate, "tickets": samples(), "now": NOW}),
    );
    assert_eq!(diff.status, 200, "{}", diff.text());
    let d = diff.json();
    assert_eq!(d["tickets"], tickets.len());
    assert!(d["changed"]["first_response_due"].as_u64().unwrap() > 0);
    assert_eq!(d["changed"]["category"], 0);
    let same = server
        .post_json(
            "/v1/diff",
            &json!({"policy": serving, "tickets": tickets, "now": NOW}),
        )
        .json();
    assert_eq!(same["changed"]["first_response_due"], 0);
}

#[test]
fn policy_samples_and_service_endpoints_answer() {
    let dir = policy_folder();
    std::fs::copy(
        manifest().join("policies/samples/tickets.jsonl"),
        dir.join("tickets.jsonl"),
    )
    .unwrap();
    let samples_path = dir.join("tickets.jsonl");
    let server = Server::start_in(dir, &["--samples", samples_path.to_str().unwrap()], &[]);

    let p = server.get("/v1/policy");
    assert_eq!(p.status, 200);
    let p = p.json();
    assert_eq!(p["name"], "after-sales default");
    assert_eq!(p["path"], "default.toml");
    assert_eq!(
        p["source"].as_str().unwrap(),
        std::fs::read_to_string(server.policy_path()).unwrap()
    );
    assert!(p["rules"]["category"]
        .as_array()
        .unwrap()
        .contains(&json!("complaint")));
    assert!(p["rules"]["escalation"]
        .as_array()
        .is_some_and(|e| !e.is_empty()));
    assert!(p["warnings"].is_array());

    let s = server.get("/v1/samples").json();
    assert_eq!(s["tickets"].as_str().unwrap(), samples());
    assert_eq!(s["cases"], Value::Null);

    assert_eq!(server.get("/healthz").json(), json!({"ok": true}));
    let ready = server.get("/readyz");
    assert_eq!(ready.status, 200);
    assert_eq!(ready.json()["reload"]["ok"], true);
    let page = server.get("/");
    assert_eq!(page.status, 200);
    assert!(page
        .header("content-type")
        .unwrap()
        .starts_with("text/html"));
    assert!(page.text().contains("<html"));
    let metrics = server.get("/metrics");
    assert!(metrics
        .header("content-type")
        .unwrap()
        .starts_with("text/plain"));
    assert!(metrics
        .text()
        .contains("aftercare_policy_info{name=\"after-sales default\""));

    // Every response carries a request id.
    let r = server.get("/healthz");
    assert!(r.header("x-request-id").is_some_and(|id| !id.is_empty()));
    let other = server.get("/healthz");
    assert_ne!(r.header("x-request-id"), other.header("x-request-id"));

    assert_eq!(server.get("/v1/nothing").status, 404);
    let wrong = server.request("DELETE", "/v1/evaluate", "", b"");
    assert_eq!(wrong.status, 405);
    assert!(wrong.json()["error"].is_string());
}

#[test]
fn drafts_check_and_save() {
    let server = Server::start(&["--allow-write"]);
    let tickets = sample_tickets();

    let ok = server.post_text("/v1/check", &TINY).json();
    assert_eq!(ok["ok"], true);
    let broken = TINY.replace("default = \"normal\"", "default = \"nope\"");
    let bad = server.post_text("/v1/check", &broken).json();
    assert_eq!(bad["ok"], false);
    let d = &bad["diagnostics"][0];
    assert_eq!(d["severity"], "error");
    assert!(d["code"].as_str().is_some_and(|c| !c.is_empty()), "{d}");
    assert_eq!(d["file"], "default.toml");
    let line = broken.lines().position(|l| l.contains("\"nope\"")).unwrap() + 1;
    assert_eq!(d["line"], line, "{bad}");
    assert!(d["end_line"].as_u64().unwrap() >= d["line"].as_u64().unwrap());

    let decided = server.post_json(
        "/v1/draft/evaluate",
        &json!({"policy": TINY.as_str(), "tickets": tickets[..2], "now": NOW}),
    );
    assert_eq!(decided.status, 200, "{}", decided.text());
    let decided = decided.json();
    assert_eq!(decided["decisions"][1]["category"], "general");
    assert_eq!(decided["decisions"][1]["policy"]["name"], "tiny");
    let lines = server
        .post_json(
            "/v1/draft/evaluate",
            &json!({"policy": TINY.as_str(), "tickets": samples()}),
        )
        .json();
    assert_eq!(lines["decisions"].as_array().unwrap().len(), tickets.len());
    let invalid = server.post_json(
        "/v1/draft/evaluate",
        &json!({"policy": broken, "tickets": []}),
    );
    assert_eq!(invalid.status, 422);
    assert_eq!(invalid.json()["diagnostics"][0]["line"], line);

    let why = server.post_json(
        "/v1/draft/explain",
        &json!({"policy": TINY.as_str(), "ticket": tickets[0], "now": NOW}),
    );
    assert_eq!(why.status, 200);
    assert_eq!(why.json()["policy"]["name"], "tiny");

    let cases = "[[case]]\nname = \"general\"\nnow = \"2025-10-15T12:00:00+08:00\"\n\
                 ticket = { id = \"C-1\", created_at = \"2025-10-15T09:00:00+08:00\" }\n\
                 [case.expect]\ncategory = \"general\"\n";
    let run = server.post_json(
        "/v1/draft/test",
        &json!({"policy": TINY.as_str(), "cases": cases}),
    );
    assert_eq!(run.status, 200, "{}", run.text());
    assert_eq!(run.json()["passed"], 1);

    // A draft names files only inside the serving policy's folder.
    let secret_dir = server
        .dir
        .parent()
        .unwrap()
        .join(format!("aftercare-serve-secret-{}", std::process::id()));
    std::fs::create_dir_all(&secret_dir).unwrap();
    let secret = secret_dir.join("secret.toml");
    std::fs::write(&secret, "not = [toml at all: the-secret-text\n").unwrap();
    for include in [
        secret.to_str().unwrap().to_string(),
        format!(
            "../{}/secret.toml",
            secret_dir.file_name().unwrap().to_str().unwrap()
        ),
    ] {
        let draft = format!("include = [{include:?}]\n{}", TINY.as_str());
        let checked = server.post_text("/v1/check", &draft);
        assert_eq!(checked.status, 200);
        assert_eq!(checked.json()["ok"], false);
        assert!(checked.json()["diagnostics"][0]["message"]
            .as_str()
            .unwrap()
            .contains("outside"));
        assert!(!checked.text().contains("the-secret-text"));
        let r = server.post_json(
            "/v1/draft/evaluate",
            &json!({"policy": draft, "tickets": []}),
        );
        assert_eq!(r.status, 422);
        assert!(!r.text().contains("the-secret-text"));
    }
    std::fs::remove_dir_all(&secret_dir).unwrap();
    let inside = format!("include = [\"calendars/cn.toml\"]\n{}", TINY.as_str());
    assert_eq!(server.post_text("/v1/check", &inside).json()["ok"], true);

    // Save: refused when it does not check, written atomically and served when it does.
    let before = std::fs::read_to_string(server.policy_path()).unwrap();
    let refused = server.request("PUT", "/v1/policy", "text/plain", broken.as_bytes());
    assert_eq!(refused.status, 422);
    assert_eq!(
        std::fs::read_to_string(server.policy_path()).unwrap(),
        before
    );
    let saved_text = with_version(&before, "saved-1");
    let saved = server.request("PUT", "/v1/policy", "text/plain", saved_text.as_bytes());
    assert_eq!(saved.status, 200, "{}", saved.text());
    assert_eq!(
        saved.json(),
        json!({"saved": true, "name": "after-sales default", "version": "saved-1"})
    );
    assert_eq!(
        std::fs::read_to_string(server.policy_path()).unwrap(),
        saved_text
    );
    assert_eq!(server.version(), "saved-1");
    assert_eq!(server.get("/v1/policy").json()["source"], saved_text);
    // No temporary file is left behind.
    let left: Vec<_> = std::fs::read_dir(&server.dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn saving_needs_allow_write() {
    let server = Server::start(&[]);
    let before = std::fs::read_to_string(server.policy_path()).unwrap();
    let r = server.request(
        "PUT",
        "/v1/policy",
        "text/plain",
        with_version(&before, "x").as_bytes(),
    );
    assert_eq!(r.status, 403);
    assert_eq!(r.json()["kind"], "write_forbidden");
    assert_eq!(
        std::fs::read_to_string(server.policy_path()).unwrap(),
        before
    );
}

// ---------------------------------------------------------------------------------------
// Bad tickets and bad bodies

#[test]
fn a_bad_ticket_is_a_400_alone_and_an_entry_in_a_batch() {
    let server = Server::start(&[]);
    let good = &sample_tickets()[0];

    let one = server.post_json("/v1/evaluate", &json!({"id": "X-1"}));
    assert_eq!(one.status, 400);
    let e = one.json();
    assert_eq!(e["ticket"], "X-1");
    assert_eq!(e["kind"], "field");
    assert!(e["error"].as_str().unwrap().contains("created_at"), "{e}");

    let batch = server.post_json(
        "/v1/evaluate",
        &json!([good, {"id": "X-2", "created_at": "yesterday"}, good]),
    );
    assert_eq!(batch.status, 200);
    let b = batch.json();
    assert_eq!(b[0]["ticket"], "FB202405001");
    assert_eq!(b[1]["ticket"], "X-2");
    assert_eq!(b[1]["kind"], "field");
    assert!(b[1]["error"].is_string());
    assert_eq!(b[2]["ticket"], "FB202405001");

    let lines = format!("{good}\nnot json at all\n{good}\n");
    let r = server.request(
        "POST",
        "/v1/triage",
        "application/x-ndjson",
        lines.as_bytes(),
    );
    assert_eq!(r.status, 200);
    let entries: Vec<Value> = r
        .text()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(entries.len(), 3);
    assert_eq!(entries[1]["kind"], "json");
    assert_eq!(entries[1]["ticket"], Value::Null);
    assert_eq!(entries[2]["category"], "complaint");

    let huge = json!({"id": "X-3", "created_at": "2025-10-15T09:00:00+08:00",
                      "subject": "x".repeat(70_000)});
    let r = server.post_json("/v1/explain", &huge);
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["kind"], "limit");

    let m = server.get("/metrics").text();
    assert_eq!(
        metric(&m, "aftercare_ticket_errors_total{kind=\"field\"}"),
        2.0
    );
    assert_eq!(
        metric(&m, "aftercare_ticket_errors_total{kind=\"json\"}"),
        1.0
    );
    assert_eq!(
        metric(&m, "aftercare_ticket_errors_total{kind=\"limit\"}"),
        1.0
    );
    assert_eq!(
        metric(&m, "aftercare_decisions_total{endpoint=\"evaluate\"}"),
        2.0
    );
    assert_eq!(
        metric(&m, "aftercare_decisions_total{endpoint=\"triage\"}"),
        2.0
    );
}

#[test]
fn a_large_batch_is_answered_whole_in_order_with_bad_tickets_in_place() {
    let server = Server::start(&[]);
    // Large enough to be decided off the async threads, and split across idle cores.
    let mut lines: Vec<String> = big_batch(200).lines().map(str::to_string).collect();
    let bad = [0, 99, 100, 101, 199];
    for i in bad {
        lines[i] = format!(r#"{{"id": "bad-{i}"}}"#);
    }
    let path = format!("/v1/evaluate?trace=false&now={}", NOW.replace('+', "%2B"));
    let ndjson = lines.join("\n");
    assert!(ndjson.len() > 64 * 1024);
    let r = server.request("POST", &path, "application/x-ndjson", ndjson.as_bytes());
    assert_eq!(r.status, 200);
    let answers: Vec<Value> = r
        .text()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(answers.len(), 200);
    for (i, a) in answers.iter().enumerate() {
        if bad.contains(&i) {
            assert_eq!(a["ticket"], format!("bad-{i}"));
            assert_eq!(a["kind"], "field", "{a}");
        } else {
            assert_eq!(a["ticket"], format!("B-{i}"));
            assert!(a["priority"].is_string(), "{a}");
        }
    }
    // The same tickets as an array: the same answers; one of them alone: the same decision.
    let array = format!("[{}]", lines.join(","));
    let r = server.request("POST", &path, "application/json", array.as_bytes());
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), Value::Array(answers.clone()));
    let one = server.request("POST", &path, "application/json", lines[150].as_bytes());
    assert_eq!(one.json(), answers[150]);

    let m = server.get("/metrics").text();
    assert_eq!(
        metric(&m, "aftercare_decisions_total{endpoint=\"evaluate\"}"),
        2.0 * 195.0 + 1.0
    );
    assert_eq!(
        metric(&m, "aftercare_ticket_errors_total{kind=\"field\"}"),
        10.0
    );
}

#[test]
fn bad_bodies_are_400_with_an_error() {
    let server = Server::start(&[]);
    let good = sample_tickets()[0].to_string();
    let cases: &[(&str, &str, &str, &[u8])] = &[
        ("POST", "/v1/evaluate", "application/json", b"{\"id\": "),
        ("POST", "/v1/evaluate", "application/json", b"[{\"id\": 1},"),
        ("POST", "/v1/evaluate", "application/json", b"42"),
        ("POST", "/v1/evaluate", "application/json", b""),
        (
            "POST",
            "/v1/evaluate",
            "application/json",
            b"{\"id\": \"\xff\xfe\"}",
        ),
        (
            "POST",
            "/v1/evaluate?now=yesterday",
            "application/json",
            good.as_bytes(),
        ),
        (
            "POST",
            "/v1/evaluate?trace=maybe",
            "application/json",
            good.as_bytes(),
        ),
        ("POST", "/v1/diff", "application/json", b"{\"tickets\": []}"),
        (
            "POST",
            "/v1/diff",
            "application/json",
            b"{\"policy\": \"\", \"tickets\": 7}",
        ),
        ("POST", "/v1/draft/evaluate", "application/json", b"[]"),
        (
            "POST",
            "/v1/draft/explain",
            "application/json",
            b"{\"policy\": \"\"}",
        ),
        (
            "POST",
            "/v1/draft/test",
            "application/json",
            b"{\"policy\": \"\"}",
        ),
        ("POST", "/v1/check", "text/plain", b"\xff\xfe"),
        ("POST", "/v1/test", "text/plain", b"[[case]\nname ="),
    ];
    for (method, path, ct, body) in cases {
        let r = server.request(method, path, ct, body);
        assert_eq!(
            r.status,
            400,
            "{path} {:?}: {}",
            String::from_utf8_lossy(body),
            r.text()
        );
        let e = r.json();
        assert!(e["error"].as_str().is_some_and(|m| !m.is_empty()), "{e}");
    }
    assert_eq!(
        server
            .request("POST", "/v1/test", "text/plain", b"[[case]\nname =")
            .json()["kind"],
        "invalid_cases"
    );
    assert!(server.get("/healthz").status == 200, "still serving");
}

// ---------------------------------------------------------------------------------------
// Limits

#[test]
fn bodies_over_the_limit_are_413() {
    let server = Server::start(&["--max-body", "4KiB"]);
    let big = big_batch(20);
    assert!(big.len() > 4096);
    let r = server.request(
        "POST",
        "/v1/evaluate",
        "application/x-ndjson",
        big.as_bytes(),
    );
    assert_eq!(r.status, 413);
    assert_eq!(r.json()["kind"], "body_too_large");
    let small = sample_tickets()[0].to_string();
    assert_eq!(
        server
            .request("POST", "/v1/evaluate", "application/json", small.as_bytes())
            .status,
        200
    );
    let m = server.get("/metrics").text();
    assert_eq!(
        metric(&m, "aftercare_errors_total{kind=\"body_too_large\"}"),
        1.0
    );
}

#[test]
fn a_slow_request_times_out_with_503() {
    let server = Server::start(&["--timeout", "200ms"]);
    let batch = big_batch(50);
    // A body that never finishes arriving: the time limit covers reading it too.
    let held = HeldRequest::start(
        &server.addr,
        "/v1/evaluate",
        "application/x-ndjson",
        batch.as_bytes(),
    );
    let r = held.finish_after(Duration::from_secs(2));
    assert_eq!(r.status, 503, "{}", r.text());
    assert_eq!(r.json()["kind"], "timeout");
    assert_eq!(server.get("/healthz").status, 200);
    let m = server.get("/metrics").text();
    assert_eq!(metric(&m, "aftercare_errors_total{kind=\"timeout\"}"), 1.0);
}

#[test]
fn requests_over_the_concurrency_limit_are_503() {
    let server = Server::start(&["--max-concurrency", "1", "--timeout", "110s"]);
    let batch = big_batch(50);
    // Held, it keeps the only place; but a probe can race it to the place first (and the
    // held one is refused), so a round whose probe got in starts over.
    let start = Instant::now();
    let mut wait = Duration::from_millis(50);
    let (held, refused) = loop {
        let held = HeldRequest::start(
            &server.addr,
            "/v1/evaluate?trace=false",
            "application/x-ndjson",
            batch.as_bytes(),
        );
        std::thread::sleep(wait);
        let r = server.get("/healthz");
        if r.status == 503 {
            break (held, r);
        }
        wait *= 2;
        assert!(
            start.elapsed() < PATIENCE,
            "no request was refused while another was in flight"
        );
    };
    assert_eq!(refused.json()["kind"], "overloaded");
    assert_eq!(refused.header("retry-after"), Some("1"));
    let answered = held.finish();
    assert_eq!(answered.status, 200, "{}", answered.text());
    assert_eq!(answered.text().lines().count(), 50);
    // The place is free again once the request is answered.
    server.wait_for("the place to be free", |s| s.get("/healthz").status == 200);
}

// ---------------------------------------------------------------------------------------
// Reload

#[test]
fn watch_reloads_good_keeps_the_old_policy_on_bad_and_half_written() {
    let server = Server::start(&["--watch"]);
    let path = server.policy_path();
    let original = std::fs::read_to_string(&path).unwrap();
    let old = server.version();

    // Good: served as soon as it is written.
    std::fs::write(&path, with_version(&original, "w-2")).unwrap();
    server.wait_for("the new version", |s| s.version() == "w-2");
    assert_eq!(server.get("/readyz").json()["reload"]["ok"], true);

    // Bad: the old policy keeps serving; readyz, metrics and the log say so.
    std::fs::write(
        &path,
        with_version(&original, "w-3").replace("[sla]", "[sla"),
    )
    .unwrap();
    server.wait_for("a failed reload", |s| {
        s.get("/readyz").json()["reload"]["ok"] == false
    });
    assert_eq!(server.version(), "w-2");
    let ready = server.get("/readyz").json();
    assert_eq!(ready["ready"], true);
    assert!(ready["reload"]["diagnostics"][0]
        .as_str()
        .unwrap()
        .contains("default.toml:"));
    let m = server.get("/metrics").text();
    assert_eq!(metric(&m, "aftercare_reload_failing"), 1.0);
    assert!(
        metric(
            &m,
            "aftercare_reloads_total{trigger=\"watch\",outcome=\"failed\"}"
        ) >= 1.0
    );
    assert!(
        metric(
            &m,
            "aftercare_reloads_total{trigger=\"watch\",outcome=\"ok\"}"
        ) >= 1.0
    );
    server.wait_for("the failed reload's log line", |s| {
        s.log().contains("the previous policy is still serving")
    });
    let decided = server
        .post_json("/v1/evaluate", &sample_tickets()[0])
        .json();
    assert_eq!(decided["policy"]["version"], "w-2");

    // Half-written: the first half alone fails to load, the old policy serves meanwhile;
    // the rest completes it.
    let full = with_version(&original, "w-4");
    let cut = full.len() / 2;
    let cut = (cut..full.len())
        .find(|i| full.is_char_boundary(*i))
        .unwrap();
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(&path)
        .unwrap();
    file.write_all(&full.as_bytes()[..cut]).unwrap();
    file.sync_all().unwrap();
    let failed = |s: &Server| {
        metric(
            &s.get("/metrics").text(),
            "aftercare_reloads_total{trigger=\"watch\",outcome=\"failed\"}",
        )
    };
    let before = failed(&server);
    server.wait_for("the half-written file's failed reload", |s| {
        failed(s) > before
    });
    assert_eq!(server.version(), "w-2");
    file.write_all(&full.as_bytes()[cut..]).unwrap();
    file.sync_all().unwrap();
    drop(file);
    server.wait_for("the completed file", |s| s.version() == "w-4");
    assert_eq!(server.get("/readyz").json()["reload"]["ok"], true);
    let m = server.get("/metrics").text();
    assert_eq!(metric(&m, "aftercare_reload_failing"), 0.0);
    assert!(m.contains("aftercare_policy_info{name=\"after-sales default\",version=\"w-4\"} 1"));
    assert_ne!(old, "w-4");
}

#[test]
fn sighup_reloads() {
    let server = Server::start(&[]);
    let path = server.policy_path();
    let original = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, with_version(&original, "h-2")).unwrap();
    // Without --watch nothing happens until the signal.
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(server.version(), "2025.10");
    server.signal("HUP");
    server.wait_for("the reload on SIGHUP", |s| s.version() == "h-2");

    std::fs::write(&path, "[policy\n").unwrap();
    server.signal("HUP");
    server.wait_for("the failed reload", |s| {
        s.get("/readyz").json()["reload"]["ok"] == false
    });
    assert_eq!(server.version(), "h-2");
    let m = server.get("/metrics").text();
    assert_eq!(
        metric(
            &m,
            "aftercare_reloads_total{trigger=\"signal\",outcome=\"ok\"}"
        ),
        1.0
    );
    assert_eq!(
        metric(
            &m,
            "aftercare_reloads_total{trigger=\"signal\",outcome=\"failed\"}"
        ),
        1.0
    );
}

// ---------------------------------------------------------------------------------------
// Shutdown

#[test]
fn sigterm_finishes_requests_in_flight_and_exits_0() {
    let mut server = Server::start(&["--timeout", "110s"]);
    let batch = big_batch(50);
    let held = HeldRequest::start(
        &server.addr,
        "/v1/evaluate?trace=false",
        "application/x-ndjson",
        batch.as_bytes(),
    );
    // Wait until the batch is in flight (this metrics request is the other one).
    server.wait_for("the batch in flight", |s| {
        metric(
            &s.get("/metrics").text(),
            "aftercare_http_requests_in_flight",
        ) >= 2.0
    });
    server.signal("TERM");
    let answered = held.finish();
    assert_eq!(answered.status, 200, "{}", answered.text());
    assert_eq!(answered.text().lines().count(), 50);
    assert_eq!(server.wait_exit(), Some(0));
    assert!(TcpStream::connect(&server.addr).is_err(), "still listening");
    server.wait_for("the log of the shutdown", |s| s.log().contains("stopped"));
    assert!(server.log().contains("shutting down"));
}

#[test]
fn sigint_stops_cleanly() {
    let mut server = Server::start(&[]);
    assert_eq!(server.get("/healthz").status, 200);
    server.signal("INT");
    assert_eq!(server.wait_exit(), Some(0));
}

// ---------------------------------------------------------------------------------------
// Personal data

#[test]
fn no_personal_data_in_logs_or_metrics() {
    let server = Server::start_in(
        policy_folder(),
        &["--log-format", "json"],
        &[("RUST_LOG", "debug")],
    );
    let tickets = sample_tickets();
    let mut personal: Vec<String> = Vec::new();
    for t in &tickets {
        for (section, field) in [
            ("customer", "name"),
            ("customer", "contact"),
            ("product", "order_no"),
            ("product", "serial_no"),
        ] {
            if let Some(v) = t[section][field].as_str() {
                personal.push(v.to_string());
            }
        }
    }
    assert!(personal.len() > 50);
    let q = format!("?now={}", NOW.replace('+', "%2B"));
    for path in ["/v1/evaluate", "/v1/triage", "/v1/explain"] {
        server.request(
            "POST",
            &format!("{path}{q}"),
            "application/x-ndjson",
            samples().as_bytes(),
        );
        server.post_json(&format!("{path}{q}"), &tickets[3]);
    }
    // Bad tickets carrying personal data, alone and in batches.
    let mut bad = tickets[5].clone();
    bad["created_at"] = json!("not a time");
    server.post_json("/v1/evaluate", &bad);
    server.post_json("/v1/evaluate", &json!([bad, tickets[6]]));
    let mut unreadable = tickets[7].to_string();
    unreadable.truncate(unreadable.len() - 2);
    server.request(
        "POST",
        "/v1/evaluate",
        "application/json",
        unreadable.as_bytes(),
    );
    server.request(
        "POST",
        "/v1/evaluate",
        "application/x-ndjson",
        unreadable.as_bytes(),
    );
    // Personal data in a URL: only the matched route is logged.
    let name = tickets[1]["customer"]["name"].as_str().unwrap().to_string();
    let in_url: String = name.bytes().map(|b| format!("%{b:02X}")).collect();
    server.get(&format!("/v1/customers/{in_url}"));
    server.get(&format!("/v1/evaluate?customer={in_url}"));
    let serving = std::fs::read_to_string(server.policy_path()).unwrap();
    server.post_json(
        "/v1/diff",
        &json!({"policy": serving, "tickets": samples(), "now": NOW}),
    );
    server.post_json(
        "/v1/draft/evaluate",
        &json!({"policy": TINY.as_str(), "tickets": tickets, "now": NOW}),
    );
    server.post_json(
        "/v1/draft/explain",
        &json!({"policy": TINY.as_str(), "ticket": bad, "now": NOW}),
    );
    let metrics = server.get("/metrics").text();
    let log = server.settled_log();
    assert!(log.contains("\"route\":\"/v1/evaluate\""), "{log}");
    assert!(log.contains("\"route\":\"unmatched\""), "{log}");
    for p in &personal {
        assert!(!log.contains(p.as_str()), "the log shows {p:?}:\n{log}");
        assert!(!metrics.contains(p.as_str()), "the metrics show {p:?}");
    }
    assert!(!log.contains(&in_url));
}

// ---------------------------------------------------------------------------------------
// The OpenAPI document

/// Every route the server answers is documented, and every documented operation answers its
/// documented example with a documented status and content type.
#[test]
fn the_openapi_document_matches_the_server() {
    let server = Server::start(&[]);
    let served = server.get("/v1/openapi.json");
    assert_eq!(served.status, 200);
    let doc = served.json();
    assert_eq!(
        doc,
        serde_json::from_str::<Value>(aftercare::server::OPENAPI).unwrap()
    );
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));

    let mut documented = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            documented.push((method.to_ascii_uppercase(), path.clone(), op.clone()));
        }
    }
    let mut routes: Vec<(String, String)> = aftercare::server::ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    let mut listed: Vec<(String, String)> = documented
        .iter()
        .map(|(m, p, _)| (m.clone(), p.clone()))
        .collect();
    routes.sort();
    listed.sort();
    assert_eq!(
        routes, listed,
        "documented operations vs the server's routes"
    );

    for (method, path, op) in &documented {
        let mut url = path.clone();
        let params: Vec<String> = op["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["in"] == "query" && p.get("example").is_some())
            .map(|p| {
                let v = p["example"].as_str().unwrap().replace('+', "%2B");
                format!("{}={v}", p["name"].as_str().unwrap())
            })
            .collect();
        if !params.is_empty() {
            url = format!("{url}?{}", params.join("&"));
        }
        let responses = op["responses"].as_object().unwrap();
        let bodies: Vec<(String, Vec<u8>)> = match op["requestBody"]["content"].as_object() {
            None => vec![(String::new(), Vec::new())],
            Some(content) => content
                .iter()
                .map(|(ct, c)| {
                    let example = c
                        .get("example")
                        .unwrap_or_else(|| panic!("{method} {path} {ct}: no example"));
                    let bytes = match example {
                        Value::String(s) => s.clone().into_bytes(),
                        other => other.to_string().into_bytes(),
                    };
                    (ct.clone(), bytes)
                })
                .collect(),
        };
        for (ct, body) in bodies {
            let r = server.request(method, &url, &ct, &body);
            let status = r.status.to_string();
            let documented = responses.get(&status).unwrap_or_else(|| {
                panic!(
                    "{method} {path} ({ct}) answered {status}, not documented: {}",
                    r.text()
                )
            });
            // Success for the examples, except saving, which this server refuses.
            let expected = if method == "PUT" { "403" } else { "200" };
            assert_eq!(status, expected, "{method} {path} ({ct}): {}", r.text());
            let got = r
                .header("content-type")
                .unwrap_or("")
                .split(';')
                .next()
                .unwrap()
                .to_string();
            let types: Vec<&String> = documented["content"]
                .as_object()
                .map(|c| c.keys().collect())
                .unwrap_or_default();
            assert!(
                types.iter().any(|t| **t == got),
                "{method} {path}: content-type {got} not in {types:?}"
            );
            if got == "application/json" {
                // The body follows the documented schema.
                let schema = &documented["content"]["application/json"]["schema"];
                let errors = crate::schema::validate(&with_root(&doc, schema), &r.json());
                assert!(errors.is_empty(), "{method} {path} ({ct}): {errors:#?}");
            }
            // Documented response headers are sent.
            if let Some(headers) = documented["headers"].as_object() {
                for h in headers.keys() {
                    assert!(r.header(h).is_some(), "{method} {path}: no {h} header");
                }
            }
        }
    }
}

/// `schema` with the document's components beside it, so that its `#/components/…`
/// references resolve: the validator resolves `$ref` against the schema it is given and
/// skips `definitions`, so the components go there and the references follow.
fn with_root(doc: &Value, schema: &Value) -> Value {
    fn moved(v: &Value) -> Value {
        match v {
            Value::Object(o) => Value::Object(
                o.iter()
                    .map(|(k, v)| match (k.as_str(), v) {
                        ("$ref", Value::String(r)) => (
                            k.clone(),
                            Value::String(r.replacen(
                                "#/components/",
                                "#/definitions/components/",
                                1,
                            )),
                        ),
                        _ => (k.clone(), moved(v)),
                    })
                    .collect(),
            ),
            Value::Array(a) => Value::Array(a.iter().map(moved).collect()),
            other => other.clone(),
        }
    }
    let mut root = moved(schema);
    if let Some(o) = root.as_object_mut() {
        o.insert(
            "definitions".into(),
            json!({ "components": moved(&doc["components"]) }),
        );
    }
    root
}

/// The documented 200 `application/json` schema of `POST path`.
fn response_schema(doc: &Value, path: &str) -> Value {
    with_root(
        doc,
        &doc["paths"][path]["post"]["responses"]["200"]["content"]["application/json"]["schema"],
    )
}

/// Real answers for the bundled samples — decisions with the default policy's model labels
/// and agents' transfers and overrides, explanations with their model sections, a diff with
/// changed labels — follow the documented schemas, which are closed where the contract is:
/// a field the server sends and the document lacks fails.
#[test]
fn real_answers_follow_the_documented_schemas() {
    let server = Server::start(&[]);
    let doc: Value = serde_json::from_str(aftercare::server::OPENAPI).unwrap();
    let samples: Vec<Value> =
        std::fs::read_to_string(manifest().join("policies/samples/tickets.jsonl"))
            .unwrap()
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
    let body = Value::Array(samples.clone());

    let r = server.post_json(
        "/v1/evaluate?now=2025-10-15T12:00:00%2B08:00&trace=true",
        &body,
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let decisions = r.json();
    let schema = response_schema(&doc, "/v1/evaluate");
    let errors = crate::schema::validate(&schema, &decisions);
    assert!(errors.is_empty(), "{errors:#?}");
    let all = decisions.as_array().unwrap();
    // What the schema is checked on: labels, agents with transfers and overrides, owners.
    assert!(all
        .iter()
        .all(|d| d["labels"]["sentiment"]["label"].is_string()));
    assert!(all.iter().any(|d| d["agents"]["transfers"]
        .as_array()
        .is_some_and(|t| !t.is_empty())));
    assert!(all
        .iter()
        .any(|d| d["agents"]["overrides"]["priority"].is_object()));

    // A field the document does not name fails, and so does a decision without a required one.
    let one = all[0].clone();
    let mut extra = one.clone();
    extra["labelz"] = json!({});
    let decision = with_root(&doc, &json!({"$ref": "#/components/schemas/Decision"}));
    assert!(crate::schema::validate(&decision, &one).is_empty());
    assert!(!crate::schema::validate(&decision, &extra).is_empty());
    let mut lacking = doc.clone();
    lacking["components"]["schemas"]["Decision"]["properties"]
        .as_object_mut()
        .unwrap()
        .remove("labels");
    let without_labels = with_root(&lacking, &json!({"$ref": "#/components/schemas/Decision"}));
    assert!(!crate::schema::validate(&without_labels, &one).is_empty());
    let mut lacking = doc.clone();
    lacking["components"]["schemas"]["Agents"]["properties"]
        .as_object_mut()
        .unwrap()
        .remove("overrides");
    let agents = all.iter().find(|d| d.get("agents").is_some()).unwrap();
    let without = with_root(&lacking, &json!({"$ref": "#/components/schemas/Decision"}));
    assert!(!crate::schema::validate(&without, agents).is_empty());

    let r = server.post_json("/v1/explain?now=2025-10-15T12:00:00%2B08:00", &body);
    assert_eq!(r.status, 200, "{}", r.text());
    let explanations = r.json();
    let errors = crate::schema::validate(&response_schema(&doc, "/v1/explain"), &explanations);
    assert!(errors.is_empty(), "{errors:#?}");
    let all = explanations.as_array().unwrap();
    assert!(all.iter().all(|e| e["models"][0]["for"].is_array()));
    assert!(all.iter().any(|e| e.get("agents").is_some()));

    // The serving policy against itself with its sentiment model renamed: every ticket's
    // labels change.
    let policy = std::fs::read_to_string(manifest().join("policies/default.toml")).unwrap();
    let candidate = policy
        .replace("[models.sentiment]", "[models.mood]")
        .replace("model.sentiment", "model.mood");
    let r = server.post_json(
        "/v1/diff",
        &json!({"policy": candidate, "tickets": samples, "now": "2025-10-15T12:00:00+08:00"}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let report = r.json();
    let errors = crate::schema::validate(&response_schema(&doc, "/v1/diff"), &report);
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(report["changed"]["labels"], samples.len());
    assert!(report["examples"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["field"] == "label"));
}
