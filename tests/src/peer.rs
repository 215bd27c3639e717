//! Python protocol peers that serve (an SMTP sink, a CRM endpoint, a customer backend):
//! each prints "listening PORT" and then one JSON line per thing it received.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::Duration;

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

    /// The next JSON line; panics (naming `what`) after 20 s.
    pub fn next(&self, what: &str) -> Value {
        self.lines
            .recv_timeout(Duration::from_secs(20))
            .unwrap_or_else(|_| panic!("no {what} arrived"))
    }
}
