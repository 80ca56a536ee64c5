//! The HTML report in a real browser: the default scenario's `report.html`
//! opened in headless Chromium, driven through chromedriver with the W3C
//! WebDriver protocol over plain HTTP on 127.0.0.1.
//!
//! Needs Debian's `chromium` and `chromium-driver`. Without them the test
//! fails when `CI=true` (CI must install them) and is skipped otherwise.
//! With `PATROLSIM_REPORT_SHOTS=DIR` it also saves the screenshots it takes
//! (the canvas and the whole page, before and after pressing play) into DIR.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use patrolsim::analysis::coverage::Coverage;
use patrolsim::report_html::{base64, write_report};
use patrolsim::scenario::load;
use patrolsim::sim::{self, Prepared};

use crate::common::{root, temp_dir};

const CHROMIUM: &str = "/usr/bin/chromium";
/// Longest wait for one HTTP exchange with chromedriver.
const HTTP_TIMEOUT: Duration = Duration::from_secs(60);
/// Longest wait for chromedriver to come up, and for the page to be ready.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// `name` on the PATH, or in /usr/bin.
fn program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/bin")])
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// Chromium and chromedriver, or `None` (the test is skipped) when either
/// is missing outside CI. In CI a missing browser fails the test.
fn browser() -> Option<(PathBuf, PathBuf)> {
    let chromium = Path::new(CHROMIUM);
    let driver = program("chromedriver");
    match (chromium.is_file(), driver) {
        (true, Some(d)) => Some((chromium.to_path_buf(), d)),
        (has_chromium, driver) => {
            let mut missing = Vec::new();
            if !has_chromium {
                missing.push(format!("chromium ({CHROMIUM})"));
            }
            if driver.is_none() {
                missing.push("chromedriver (on the PATH or in /usr/bin)".to_string());
            }
            let msg = format!(
                "{} not installed; install Debian's packages with `apt-get install -y chromium chromium-driver`",
                missing.join(" and ")
            );
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("the browser test needs a browser in CI: {msg} (.ci/run must install them)");
            }
            println!("skipped: {msg}");
            None
        }
    }
}

/// Find `needle` in `hay`.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Decode a chunked body; `None` until the last chunk has arrived.
fn dechunk(mut b: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let eol = find(b, b"\r\n")?;
        let line = std::str::from_utf8(&b[..eol]).ok()?;
        let size = usize::from_str_radix(line.split(';').next()?.trim(), 16).ok()?;
        b = &b[eol + 2..];
        if size == 0 {
            return Some(out);
        }
        if b.len() < size + 2 {
            return None;
        }
        out.extend_from_slice(&b[..size]);
        b = &b[size + 2..];
    }
}

/// One HTTP/1.1 exchange with 127.0.0.1:`port`: status and JSON body.
fn http(
    port: u16,
    method: &str,
    path: &str,
    body: Option<&Value>,
    timeout: Duration,
) -> Result<(u16, Value), String> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5))
        .map_err(|e| format!("connect to {addr}: {e}"))?;
    let io = |e: std::io::Error| format!("{method} {path}: {e}");
    s.set_read_timeout(Some(timeout)).map_err(io)?;
    s.set_write_timeout(Some(timeout)).map_err(io)?;
    let body = body.map(Value::to_string).unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json; charset=utf-8\r\nAccept: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(request.as_bytes()).map_err(io)?;
    let deadline = Instant::now() + timeout;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 64 * 1024];
    let body = loop {
        if Instant::now() > deadline {
            return Err(format!(
                "{method} {path}: no complete answer within {timeout:?}"
            ));
        }
        let n = s.read(&mut chunk).map_err(io)?;
        buf.extend_from_slice(&chunk[..n]);
        let Some(end) = find(&buf, b"\r\n\r\n") else {
            if n == 0 {
                return Err(format!(
                    "{method} {path}: connection closed before the headers"
                ));
            }
            continue;
        };
        let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
        let rest = &buf[end + 4..];
        let header = |name: &str| {
            head.lines()
                .find_map(|l| l.strip_prefix(name).map(|v| v.trim().to_string()))
        };
        if header("transfer-encoding:").is_some_and(|v| v.contains("chunked")) {
            if let Some(b) = dechunk(rest) {
                break b;
            }
        } else if let Some(len) = header("content-length:").and_then(|v| v.parse::<usize>().ok()) {
            if rest.len() >= len {
                break rest[..len].to_vec();
            }
        } else if n == 0 {
            break rest.to_vec();
        }
        if n == 0 {
            return Err(format!("{method} {path}: connection closed mid-body"));
        }
    };
    let status_line = String::from_utf8_lossy(&buf[..find(&buf, b"\r\n").unwrap_or(0)]).to_string();
    let status: u16 = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| format!("{method} {path}: bad status line {status_line:?}"))?;
    let value = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| format!("{method} {path}: answer is not JSON ({e})"))?
    };
    Ok((status, value))
}

/// A running chromedriver, shut down (and killed if need be) on drop.
struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    fn start(program: &Path, log: &Path) -> Driver {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port on 127.0.0.1")
            .port();
        let child = Command::new(program)
            .arg(format!("--port={port}"))
            .arg(format!("--log-path={}", log.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", program.display()));
        let mut driver = Driver { child, port };
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Ok((200, v)) = http(port, "GET", "/status", None, Duration::from_secs(5)) {
                if v["value"]["ready"] == json!(true) {
                    return driver;
                }
            }
            if let Ok(Some(status)) = driver.child.try_wait() {
                panic!(
                    "chromedriver exited at start ({status}); see {}",
                    log.display()
                );
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver not ready on port {port} within {START_TIMEOUT:?}; see {}",
                log.display()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let (status, v) = http(self.port, method, path, body.as_ref(), HTTP_TIMEOUT)
            .unwrap_or_else(|e| panic!("WebDriver: {e}"));
        assert_eq!(status, 200, "WebDriver {method} {path}: {v}");
        v["value"].clone()
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // chromedriver's own shutdown quits its browsers; kill it if it lingers.
        let _ = http(self.port, "GET", "/shutdown", None, Duration::from_secs(5));
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A browser session, quit on drop.
struct Session<'d> {
    driver: &'d Driver,
    id: String,
}

impl<'d> Session<'d> {
    fn new(driver: &'d Driver, profile: &Path) -> Session<'d> {
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--force-device-scale-factor=1",
            "--hide-scrollbars",
            "--window-size=1280,1000",
        ]
        .iter()
        .map(|s| s.to_string())
        .chain([format!("--user-data-dir={}", profile.display())])
        .collect::<Vec<_>>();
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "pageLoadStrategy": "normal",
            "timeouts": {"script": 30000, "pageLoad": 60000, "implicit": 0},
            "goog:chromeOptions": {"binary": CHROMIUM, "args": args}
        }}});
        let v = driver.call("POST", "/session", Some(caps));
        let id = v["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session id in {v}"))
            .to_string();
        Session { driver, id }
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        self.driver
            .call(method, &format!("/session/{}{path}", self.id), body)
    }

    fn script(&self, script: &str) -> Value {
        self.call(
            "POST",
            "/execute/sync",
            Some(json!({"script": script, "args": []})),
        )
    }

    /// The WebDriver id of the element `css` selects.
    fn element(&self, css: &str) -> String {
        let v = self.call(
            "POST",
            "/element",
            Some(json!({"using": "css selector", "value": css})),
        );
        v["element-6066-11e4-a52e-4f735466cecf"]
            .as_str()
            .unwrap_or_else(|| panic!("no element for {css}: {v}"))
            .to_string()
    }

    /// A PNG screenshot of one element.
    fn element_png(&self, element: &str) -> Vec<u8> {
        let v = self.call("GET", &format!("/element/{element}/screenshot"), None);
        png_of(&v)
    }

    /// A PNG of the whole page (beyond the window), through Chrome's
    /// DevTools protocol.
    fn full_page_png(&self) -> Vec<u8> {
        let size = self.script(
            "return [document.documentElement.scrollWidth, document.documentElement.scrollHeight];",
        );
        let v = self.call(
            "POST",
            "/goog/cdp/execute",
            Some(json!({"cmd": "Page.captureScreenshot", "params": {
                "format": "png",
                "captureBeyondViewport": true,
                "clip": {"x": 0, "y": 0, "width": size[0], "height": size[1], "scale": 1}
            }})),
        );
        png_of(&v["data"])
    }

    /// Poll `script` until it returns true, at most `timeout`.
    fn wait_for(&self, script: &str, timeout: Duration, what: &str) {
        let deadline = Instant::now() + timeout;
        while self.script(script) != json!(true) {
            assert!(Instant::now() < deadline, "{what}: not within {timeout:?}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Session<'_> {
    fn drop(&mut self) {
        let path = format!("/session/{}", self.id);
        let _ = http(
            self.driver.port,
            "DELETE",
            &path,
            None,
            Duration::from_secs(15),
        );
    }
}

/// Standard base64 decoding (padding and whitespace ignored).
fn unbase64(s: &str) -> Vec<u8> {
    let val = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("not base64: {:?}", c as char),
    };
    let (mut out, mut acc, mut bits) = (Vec::new(), 0u32, 0u32);
    for &c in s.as_bytes() {
        if c == b'=' || c.is_ascii_whitespace() {
            continue;
        }
        acc = (acc << 6) | val(c) as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

/// A screenshot answer as PNG bytes (checked to be a PNG).
fn png_of(v: &Value) -> Vec<u8> {
    let png = unbase64(v.as_str().unwrap_or_else(|| panic!("no screenshot in {v}")));
    assert!(
        png.starts_with(b"\x89PNG\r\n\x1a\n"),
        "the screenshot is not a PNG"
    );
    png
}

/// A `file://` URL of an absolute path.
fn file_url(p: &Path) -> String {
    let mut url = String::from("file://");
    for b in p.to_string_lossy().bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' | b'~' => {
                url.push(b as char)
            }
            _ => url.push_str(&format!("%{b:02X}")),
        }
    }
    url
}

#[test]
fn base64_round_trips() {
    let data: Vec<u8> = (0..1000u32).map(|i| (i * 7919 % 256) as u8).collect();
    for n in [0, 1, 2, 3, 4, 5, 999, 1000] {
        assert_eq!(unbase64(&base64(&data[..n])), &data[..n]);
    }
}

#[test]
fn report_in_headless_chromium() {
    let Some((_chromium, chromedriver)) = browser() else {
        return;
    };
    let dir = temp_dir("report-browser");

    // The default scenario's report, through the library.
    let scn = load::from_path(&root().join("scenarios/default.toml")).unwrap();
    let prepared = Prepared::new(&scn);
    let (outcome, trace) = sim::run_traced(&scn, &prepared, 0).unwrap();
    patrolsim::report::write_outputs(&dir, &outcome).unwrap();
    let coverage = Coverage::of(&scn, 5);
    let plots = patrolsim::plot::write_all(&dir, &scn, &prepared, &outcome, &coverage).unwrap();
    let html = write_report(&dir, &scn, &prepared, &outcome, &trace, &plots).unwrap();
    assert_eq!(html, dir.join("report.html"));
    let bytes = std::fs::metadata(&html).unwrap().len();
    println!("report.html: {bytes} bytes ({:.2} MB)", bytes as f64 / 1e6);
    assert!(
        bytes < 10_000_000,
        "report.html is {bytes} bytes, over 10 MB"
    );
    let stems: Vec<String> = plots
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(stems.len(), 7, "{stems:?}");
    // No temporary file left beside it.
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    let s = &outcome.summary;
    let response_verdict = format!(
        "{} the 5-minute response target: {} of calls reached within 5:00, goal 90.0%.",
        if s.target.meets { "MEETS" } else { "MISSES" },
        patrolsim::report::pct(s.target.compliance)
    );
    let loop_verdict = format!(
        "{} the 15-minute patrol loop: {} of {} loops close within 15:00",
        if s.patrol.meets == Some(true) {
            "MEETS"
        } else {
            "MISSES"
        },
        s.patrol.loops_meeting,
        s.patrol.loops
    );

    // The browser.
    let profile = dir.join("chromium-profile");
    std::fs::create_dir_all(&profile).unwrap();
    let driver = Driver::start(&chromedriver, &dir.join("chromedriver.log"));
    let session = Session::new(&driver, &profile);
    session.call("POST", "/url", Some(json!({ "url": file_url(&html) })));
    session.wait_for(
        "return document.readyState === 'complete' && document.body.getAttribute('data-ready') === '1';",
        START_TIMEOUT,
        "the page and its playback ready",
    );

    let title = session.call("GET", "/title", None);
    assert_eq!(title, json!("patrolsim report: default"));

    let verdict = session.script("return document.getElementById('verdict').innerText;");
    let verdict = verdict.as_str().unwrap_or_default();
    assert!(
        verdict.contains(&response_verdict),
        "verdict {verdict:?} lacks {response_verdict:?}"
    );
    assert!(
        verdict.contains(&loop_verdict),
        "verdict {verdict:?} lacks {loop_verdict:?}"
    );

    // One decoded picture per plot.
    let images = session.script(
        "return Array.from(document.querySelectorAll('img.plot')).map(function (i) { return [i.getAttribute('data-plot'), i.complete, i.naturalWidth, i.naturalHeight]; });",
    );
    let images = images.as_array().expect("an array of images");
    let found: Vec<&str> = images.iter().filter_map(|i| i[0].as_str()).collect();
    assert_eq!(found, stems, "plots in the page");
    for i in images {
        assert_eq!(i[1], json!(true), "{i} not loaded");
        assert!(i[2].as_u64().unwrap_or(0) > 0, "{i} not decoded");
        assert!(i[3].as_u64().unwrap_or(0) > 0, "{i} not decoded");
    }

    // Nothing from outside the page.
    let external = session.script(
        "return Array.from(document.querySelectorAll('[src],[href]')).map(function (e) { return e.getAttribute('src') || e.getAttribute('href'); }).filter(function (u) { return !/^(data:|#)/.test(u); }).concat(performance.getEntriesByType('resource').map(function (r) { return r.name; }).filter(function (u) { return !/^data:/.test(u); }));",
    );
    assert_eq!(external, json!([]), "references outside the page");

    // Playback: press play and the frame changes, the slider moves.
    let canvas = session.element("#playback");
    let slider = || {
        session
            .script("return Number(document.getElementById('slider').value);")
            .as_f64()
            .unwrap()
    };
    let shots = std::env::var_os("PATROLSIM_REPORT_SHOTS").map(PathBuf::from);
    if let Some(d) = &shots {
        std::fs::create_dir_all(d).unwrap();
        std::fs::write(d.join("page-before.png"), session.full_page_png()).unwrap();
    }
    let before = session.element_png(&canvas);
    let t0 = slider();
    let play = session.element("#play");
    session.call("POST", &format!("/element/{play}/click"), Some(json!({})));
    std::thread::sleep(Duration::from_millis(1500));
    let after = session.element_png(&canvas);
    let t1 = slider();
    let label = session.script("return document.getElementById('play').textContent;");
    if let Some(d) = &shots {
        std::fs::write(d.join("canvas-before.png"), &before).unwrap();
        std::fs::write(d.join("canvas-after.png"), &after).unwrap();
        std::fs::write(d.join("page-after.png"), session.full_page_png()).unwrap();
    }
    if let Some(d) = &shots {
        // The evening rush, paused, for a look at calls and units at work.
        session.script(
            "var p = document.getElementById('play'); if (p.textContent.indexOf('Pause') >= 0) p.click(); var s = document.getElementById('slider'); s.value = 19 * 3600; s.dispatchEvent(new Event('input')); return true;",
        );
        std::fs::write(d.join("canvas-evening.png"), session.element_png(&canvas)).unwrap();
        std::fs::write(d.join("page-evening.png"), session.full_page_png()).unwrap();
    }
    assert_ne!(
        before, after,
        "the canvas did not change after pressing play"
    );
    assert!(
        t1 > t0,
        "the slider did not move after pressing play ({t0} -> {t1})"
    );
    assert!(
        label.as_str().is_some_and(|l| l.contains("Pause")),
        "the play button reads {label} while playing"
    );

    drop(session);
    drop(driver);
    let _ = std::fs::remove_dir_all(&dir);
}
