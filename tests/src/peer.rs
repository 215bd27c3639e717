//! Python protocol peers that serve (an SMTP sink, a CRM endpoint, a customer backend):
//! each prints "listening PORT" and then one JSON line per thing it received.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::Value;

pub struct Peer {
    child: Child,
    pub port: u16,
    lines: Receiver<Value>,
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Peer {
    /// Starts `tests/peers/<script>` in the test venv and waits for its port.
    pub fn start(script: &str, args: &[&str]) -> anyhow::Result<Peer> {
        let mut child = Command::new(crate::python())
            .arg(crate::workspace().join("tests/peers").join(script))
            .args(args)
            .stdout(Stdio::piped())
            .spawn()
            .with_context(|| format!("cannot start {script}"))?;
        let mut out = BufReader::new(child.stdout.take().context("no stdout")?);
        let mut first = String::new();
        out.read_line(&mut first)?;
        let port = first
            .trim()
            .strip_prefix("listening ")
            .and_then(|p| p.parse().ok())
            .with_context(|| format!("{script} said {first:?}, not where it listens"))?;
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in out.lines().map_while(Result::ok) {
                if let Ok(v) = serde_json::from_str(&line) {
                    if tx.send(v).is_err() {
                        break;
                    }
                }
            }
        });
        Ok(Peer { child, port, lines })
    }

    /// The next JSON line within `wait`, if one comes.
    pub fn next_within(&self, wait: Duration) -> Option<Value> {
        self.lines.recv_timeout(wait).ok()
    }

    /// The next JSON line; panics (naming `what`) after 20 s.
    pub fn next(&self, what: &str) -> Value {
        self.lines
            .recv_timeout(Duration::from_secs(20))
            .unwrap_or_else(|_| panic!("no {what} arrived"))
    }
}

/// A process spoken to in lines: commands on its stdin, answers on its stdout (the
/// device emulator, the tuyamock and miIO peers).
pub struct LinePeer {
    child: Child,
    stdin: Option<std::process::ChildStdin>,
    lines: Receiver<String>,
    name: String,
}

impl Drop for LinePeer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl LinePeer {
    pub fn start(program: &std::path::Path, args: &[&str]) -> anyhow::Result<LinePeer> {
        let mut child = Command::new(program)
            .args(args)
            .env("PYTHONUNBUFFERED", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .with_context(|| format!("cannot start {}", program.display()))?;
        let stdin = child.stdin.take().context("no stdin")?;
        let out = BufReader::new(child.stdout.take().context("no stdout")?);
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in out.lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let name = format!("{} {}", program.display(), args.join(" "));
        Ok(LinePeer {
            child,
            stdin: Some(stdin),
            lines,
            name,
        })
    }

    /// A Python peer from `tests/peers/` in the device venv.
    pub fn python(script: &str, args: &[&str]) -> anyhow::Result<LinePeer> {
        let path = crate::workspace().join("tests/peers").join(script);
        let mut all = vec![path.to_str().context("path")?];
        all.extend_from_slice(args);
        LinePeer::start(&crate::device_python(), &all)
    }

    pub fn say(&mut self, line: &str) {
        use std::io::Write;
        if let Some(stdin) = self.stdin.as_mut() {
            let _ = writeln!(stdin, "{line}");
            let _ = stdin.flush();
        }
    }

    /// Ends the process's input (what `done` readers wait for).
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// The rest of the next line that starts with `prefix ` (others are skipped); panics
    /// after 20 s.
    pub fn expect(&self, prefix: &str) -> String {
        self.expect_by(prefix, Instant::now() + Duration::from_secs(20))
    }

    /// As [`LinePeer::expect`], but panics at `deadline`: one deadline for a loop reading
    /// many lines, however many come.
    pub fn expect_by(&self, prefix: &str, deadline: Instant) -> String {
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self
                .lines
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("{} never said {prefix:?}", self.name));
            if let Some(rest) = line.strip_prefix(prefix) {
                return rest.trim().to_owned();
            }
        }
    }

    /// The rest of a line starting with `prefix ` if one comes within `wait`; `None` when
    /// none does (for what a peer must not say).
    pub fn said_within(&self, prefix: &str, wait: Duration) -> Option<String> {
        let deadline = Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    if let Some(rest) = line.strip_prefix(prefix) {
                        return Some(rest.trim().to_owned());
                    }
                }
                Err(_) => return None,
            }
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Kills the process at once (SIGKILL), as a power cut would.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
