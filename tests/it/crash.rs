//! Crash safety: the real binary is SIGKILLed repeatedly during an import and during chat
//! traffic; after restarts every acknowledged event and message is present exactly once.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;

use crate::common::{crmbot, demo_store};

#[test]
fn killed_imports_leave_every_event_exactly_once_after_the_final_run() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let csv = dir.path().join("events.csv");
    let rows = 20_000;
    let mut text = String::from("customer_id,at,amount\n");
    for i in 0..rows {
        // Some identical rows on purpose: they are distinct purchases and must all be kept.
        let minute = if i % 1000 == 7 { i - 1 } else { i };
        text.push_str(&format!(
            "{},2025-01-01T00:00:00Z,{}.00\n",
            minute % 500 + 1,
            if i % 1000 == 7 {
                (i - 1) % 97 + 1
            } else {
                i % 97 + 1
            }
        ));
    }
    std::fs::write(&csv, text).unwrap();
    for delay_ms in [150u64, 400, 900] {
        let mut child = crmbot(&store)
            .args([
                "import",
                "events",
                csv.to_str().unwrap(),
                "--create-customers",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill();
        child.wait().unwrap();
    }
    let out = crmbot(&store)
        .args([
            "import",
            "events",
            csv.to_str().unwrap(),
            "--create-customers",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        report["imported"].as_u64().unwrap() + report["already_present"].as_u64().unwrap(),
        rows as u64
    );
    let verify: Value = serde_json::from_slice(
        &crmbot(&store)
            .args(["verify", "--json"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert_eq!(verify["events"], rows, "{verify}");
    assert_eq!(verify["problems"].as_array().unwrap().len(), 0, "{verify}");
}

#[test]
fn killed_chats_keep_every_acknowledged_message_exactly_once() {
    let (_dir, store) = demo_store(50);
    let mut acknowledged = Vec::new();
    let mut n = 0;
    for round in 0..4 {
        let mut child = crmbot(&store)
            .args(["chat", "--as", "customer:42"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        for _ in 0..(5 + round * 3) {
            n += 1;
            let text = format!("where is my order? (message {n})");
            writeln!(stdin, "{text}").unwrap();
            stdin.flush().unwrap();
            let mut reply = String::new();
            stdout.read_line(&mut reply).unwrap();
            if reply.starts_with("bot: ") {
                acknowledged.push(text);
            }
        }
        // One more message in flight when the process dies: it may or may not be stored.
        n += 1;
        let _ = writeln!(stdin, "where is my order? (message {n})");
        child.kill().unwrap();
        child.wait().unwrap();
    }
    let out = crmbot(&store)
        .args(["customer", "42", "--json", "--recent", "500"])
        .output()
        .unwrap();
    let customer: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for i in customer["interactions"].as_array().unwrap() {
        if i["direction"] == "inbound"
            && let Some(t) = i["text"].as_str()
        {
            *seen.entry(t.to_owned()).or_default() += 1;
        }
    }
    assert!(acknowledged.len() >= 20);
    for text in &acknowledged {
        assert_eq!(seen.get(text), Some(&1), "{text}");
    }
    assert!(seen.values().all(|c| *c == 1), "no message twice");
    let verify: Value = serde_json::from_slice(
        &crmbot(&store)
            .args(["verify", "--json"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert_eq!(verify["problems"].as_array().unwrap().len(), 0, "{verify}");
}
