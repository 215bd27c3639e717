//! schemathesis (PyPI) over the hub's own OpenAPI document, signed in as the owner: every
//! operation, its documented examples, the coverage phase's edge values and a bounded
//! fuzzing phase. No answer may be a server error, and every answer must match the schema
//! the document gives for its status.

use std::process::Command;

use e2e::chat::session_cookie;
use e2e::{python, Hub};

#[tokio::test]
async fn schemathesis_finds_no_server_error_and_no_answer_off_its_schema() {
    let hub = Hub::start_demo().unwrap();
    let cookie = session_cookie(&hub, "owner").await.unwrap();
    let st = python().with_file_name("st");
    let report = tempfile::tempdir().unwrap();
    let out = tokio::task::spawn_blocking(move || {
        // `timeout` bounds the run whatever schemathesis does; five cases per operation and
        // phase, a fixed seed so a failure reproduces.
        Command::new("timeout")
            .arg("900")
            .arg(st)
            .args(["run", &hub.url("/api/v1/openapi.json")])
            .args(["-H", &format!("Cookie: {cookie}")])
            .args(["-c", "not_a_server_error,response_schema_conformance"])
            .args(["-n", "5", "--seed", "11", "-w", "2"])
            .args(["--phases", "examples,coverage,fuzzing"])
            .args(["--request-timeout", "20", "--no-color"])
            // No example database in the work tree: each run starts from the seed alone.
            .args(["--generation-database", "none"])
            // Signing out would end the owner's session for the rest of the run; the
            // device event stream is an answer that never ends, by design.
            .args(["--exclude-path", "/api/v1/auth/logout"])
            .args(["--exclude-path", "/api/v1/devices/events"])
            .args(["--report", "junit", "--report-dir"])
            .arg(report.path())
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let summary: Vec<&str> = stdout
        .lines()
        .skip_while(|l| !l.contains("SUMMARY"))
        .collect();
    assert!(
        out.status.success(),
        "schemathesis failed ({:?}):\n{}\n{}",
        out.status,
        stdout,
        String::from_utf8_lossy(&out.stderr)
    );
    let tested: usize = summary
        .iter()
        .find_map(|l| l.trim().strip_prefix("Tested: "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0);
    assert!(
        tested >= 90,
        "schemathesis tested {tested} operations:\n{}",
        summary.join("\n")
    );
    println!("{}", summary.join("\n"));
}
