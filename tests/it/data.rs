//! Data in and out through the real binary: imports with bad rows, idempotent re-imports,
//! export and erasure of a customer, backup and restore.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

use crate::common::{BIN, demo_store};

fn crmbot(store: &Path, args: &[&str]) -> Output {
    crate::common::crmbot(store).args(args).output().unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// 1,000 event rows for customers 1..=10 with three bad ones (rows 101, 501 and 901 of data).
fn events_csv(dir: &Path) -> std::path::PathBuf {
    let mut csv = String::from("customer_id,at,kind,amount,order_id\n");
    for i in 0..1000 {
        let customer = i % 10 + 1;
        let line = match i {
            100 => format!("{customer},2026-13-45,purchase,10.00,X{i}\n"),
            500 => format!("{customer},2026-01-02,purchase,ten dollars,X{i}\n"),
            900 => format!("99,2026-01-02,purchase,10.00,X{i}\n"),
            _ => format!(
                "{customer},2026-01-{:02}T10:00:00Z,purchase,{}.50,X{i}\n",
                i % 28 + 1,
                i % 90 + 5
            ),
        };
        csv.push_str(&line);
    }
    let path = dir.join("events.csv");
    std::fs::write(&path, csv).unwrap();
    path
}

fn customers_csv(dir: &Path) -> std::path::PathBuf {
    let mut csv = String::from("id,name,email,plan,country\n");
    for id in 1..=10 {
        csv.push_str(&format!(
            "{id},Person {id},person{id}@example.com,basic,NZ\n"
        ));
    }
    let path = dir.join("customers.csv");
    std::fs::write(&path, csv).unwrap();
    path
}

#[test]
fn a_file_with_bad_rows_imports_all_or_nothing_and_never_twice() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let customers = customers_csv(dir.path());
    let out = crmbot(
        &store,
        &["import", "customers", customers.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("10 imported"));

    let events = events_csv(dir.path());
    let file = events.to_str().unwrap();
    let out = crmbot(&store, &["import", "events", file]);
    assert!(!out.status.success());
    let report = stdout(&out);
    assert!(report.contains("row 102, column at:"), "{report}");
    assert!(
        report.contains("row 502, column amount: expected an amount"),
        "{report}"
    );
    assert!(
        report.contains("row 902, column customer_id: unknown customer 99"),
        "{report}"
    );
    assert!(stderr(&out).contains("nothing was imported: 3 bad rows"));
    let verify = crmbot(&store, &["verify", "--json"]);
    let v: Value = serde_json::from_slice(&verify.stdout).unwrap();
    assert_eq!(v["events"], 0, "all or nothing");

    let out = crmbot(&store, &["import", "events", file, "--skip-bad", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["imported"], 997);
    assert_eq!(r["bad_rows"].as_array().unwrap().len(), 3);

    let out = crmbot(&store, &["import", "events", file, "--skip-bad", "--json"]);
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["imported"], 0);
    assert_eq!(r["already_present"], 997);
    let v: Value = serde_json::from_slice(&crmbot(&store, &["verify", "--json"]).stdout).unwrap();
    assert_eq!(v["events"], 997);
    assert_eq!(v["problems"].as_array().unwrap().len(), 0);
}

#[test]
fn column_maps_and_json_lines_import() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let shopify = dir.path().join("shopify.csv");
    std::fs::write(
        &shopify,
        "Customer ID,First Name,Last Name,Email,Accepts Email Marketing\n7,Ada,Lovelace,ADA@example.com,yes\n",
    )
    .unwrap();
    let out = crmbot(
        &store,
        &[
            "import",
            "customers",
            shopify.to_str().unwrap(),
            "--preset",
            "shopify",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let jsonl = dir.path().join("events.jsonl");
    std::fs::write(
        &jsonl,
        "{\"customer_id\": 7, \"at\": \"2026-02-01\", \"kind\": \"survey\", \"survey\": \"nps\", \"score\": 9}\n{\"customer_id\": 7, \"at\": \"2026-02-02\", \"kind\": \"survey\", \"survey\": \"csat\", \"score\": 9}\n",
    )
    .unwrap();
    let out = crmbot(&store, &["import", "events", jsonl.to_str().unwrap()]);
    assert!(
        stdout(&out).contains("row 2, column score: expected 1 to 5, got 9"),
        "{}",
        stdout(&out)
    );
    let out = crmbot(&store, &["customer", "7", "--json"]);
    let c: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(c["customer"]["name"], "Ada Lovelace");
    assert_eq!(c["customer"]["email"], "ada@example.com");
    assert_eq!(c["customer"]["consent"]["marketing"], true);
    let missing = crmbot(
        &store,
        &[
            "import",
            "customers",
            shopify.to_str().unwrap(),
            "--map",
            "id=Client",
        ],
    );
    assert!(stderr(&missing).contains("column \"Client\" (mapped to id) is not in the header"));
}

#[test]
fn erasure_removes_personal_data_and_texts_and_is_audited() {
    let (_dir, store) = demo_store(50);
    let chat = Command::new(BIN)
        .current_dir(crate::common::repo())
        .args([
            "--store",
            store.to_str().unwrap(),
            "chat",
            "--as",
            "customer:42",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(b"hi, my name is on file\n")?;
            child.wait_with_output()
        })
        .unwrap();
    assert!(chat.status.success());
    let before = stdout(&crmbot(&store, &["export", "--customer", "42"]));
    let name = serde_json::from_str::<Value>(&before).unwrap()["customer"]["name"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(before.contains("customer42@example.com") && before.contains("hi, my name is on file"));

    let refused = crmbot(&store, &["erase", "--customer", "42"]);
    assert!(!refused.status.success());
    assert!(stderr(&refused).contains("needs confirmation: pass --yes"));
    let out = crmbot(&store, &["erase", "--customer", "42", "--yes"]);
    assert!(out.status.success(), "{}", stderr(&out));

    for args in [
        &["export", "--customer", "42"][..],
        &["customer", "42", "--json"][..],
    ] {
        let text = stdout(&crmbot(&store, args));
        assert!(!text.contains("customer42@example.com"), "{text}");
        assert!(!text.contains("hi, my name is on file"), "{text}");
        assert!(!text.contains(&name), "{text}");
    }
    let export: Value =
        serde_json::from_str(&stdout(&crmbot(&store, &["export", "--customer", "42"]))).unwrap();
    assert_eq!(export["customer"]["erased"], true);
    assert!(
        export["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "purchase"),
        "aggregates kept"
    );
    assert!(
        export["audit"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["action"] == "customer.erase")
    );
}

#[test]
fn backup_and_restore_round_trip() {
    let (dir, store) = demo_store(30);
    let backup = dir.path().join("backup");
    let out = crmbot(&store, &["backup", backup.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let again = crmbot(&store, &["backup", backup.to_str().unwrap()]);
    assert!(stderr(&again).contains("already exists"));
    let restored = dir.path().join("restored");
    let out = crmbot(&restored, &["restore", backup.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let a = stdout(&crmbot(&store, &["customer", "7", "--json"]));
    let b = stdout(&crmbot(&restored, &["customer", "7", "--json"]));
    assert_eq!(a, b);
    let v: Value =
        serde_json::from_slice(&crmbot(&restored, &["verify", "--json"]).stdout).unwrap();
    assert_eq!(v["problems"].as_array().unwrap().len(), 0);
    let onto_existing = crmbot(&store, &["restore", backup.to_str().unwrap()]);
    assert!(!onto_existing.status.success());
}

fn files_contain(dir: &Path, needle: &[u8]) -> bool {
    std::fs::read_dir(dir).unwrap().any(|entry| {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files_contain(&path, needle)
        } else {
            let bytes = std::fs::read(&path).unwrap_or_default();
            bytes.windows(needle.len()).any(|w| w == needle)
        }
    })
}

#[test]
fn message_texts_can_be_encrypted_at_rest() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let key = "0f".repeat(32);
    let chat = |key: Option<&str>, input: &[u8]| {
        use std::io::Write;
        let mut cmd = Command::new(BIN);
        cmd.current_dir(crate::common::repo())
            .env("CRMBOT_DEMO_CUSTOMERS", "50")
            .env_remove("CRMBOT_MESSAGE_KEY")
            .args([
                "--store",
                store.to_str().unwrap(),
                "chat",
                "--as",
                "customer:42",
            ])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        if let Some(key) = key {
            cmd.env("CRMBOT_MESSAGE_KEY", key);
        }
        let mut child = cmd.spawn().unwrap();
        child.stdin.take().unwrap().write_all(input).unwrap();
        child.wait_with_output().unwrap()
    };
    assert!(
        chat(Some(&key), b"my secret parcel zebra-17 is late\n")
            .status
            .success()
    );
    assert!(
        !files_contain(&store, b"zebra-17"),
        "the text is not stored in the clear"
    );
    let with_key = Command::new(BIN)
        .env("CRMBOT_MESSAGE_KEY", &key)
        .args([
            "--store",
            store.to_str().unwrap(),
            "customer",
            "42",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(stdout(&with_key).contains("zebra-17"));
    let without = Command::new(BIN)
        .env_remove("CRMBOT_MESSAGE_KEY")
        .args([
            "--store",
            store.to_str().unwrap(),
            "customer",
            "42",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(!without.status.success());
    assert!(
        stderr(&without).contains("set CRMBOT_MESSAGE_KEY"),
        "{}",
        stderr(&without)
    );
    let bad_key = Command::new(BIN)
        .env("CRMBOT_MESSAGE_KEY", "xyz")
        .args(["--store", store.to_str().unwrap(), "customer", "42"])
        .output()
        .unwrap();
    assert!(stderr(&bad_key).contains("CRMBOT_MESSAGE_KEY is invalid"));
}

#[test]
fn retention_removes_old_texts_and_keeps_their_sentiment() {
    let (dir, store) = demo_store(40);
    let config = dir.path().join("retention.toml");
    std::fs::write(&config, "[privacy]\nretention_days = 90\n").unwrap();
    let out = Command::new(BIN)
        .args([
            "--store",
            store.to_str().unwrap(),
            "--config",
            config.to_str().unwrap(),
            "retention",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let removed: u64 = stdout(&out)
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    assert!(removed > 0, "{}", stdout(&out));
    let export: Value =
        serde_json::from_str(&stdout(&crmbot(&store, &["export", "--customer", "7"]))).unwrap();
    let cutoff = chrono::Utc::now() - chrono::Duration::days(90);
    for i in export["interactions"].as_array().unwrap() {
        let at: chrono::DateTime<chrono::Utc> = i["at"].as_str().unwrap().parse().unwrap();
        if at < cutoff {
            assert!(i["text"].is_null(), "{i}");
            assert!(i["sentiment"].is_number(), "sentiment is kept: {i}");
        }
    }
}
