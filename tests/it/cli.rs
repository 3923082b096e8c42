//! The real `crmbot` binary, driven as a user would: piped chat, customer report,
//! a SIGKILL right after the last reply, a second process on the same store, bad input.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use crate::common::demo_store;

/// A `crmbot` command in the repository root (for intents/ and config/), with a small
/// demo data set so that seeding is quick.
fn crmbot(store: &Path) -> Command {
    let mut cmd = crate::common::crmbot(store);
    cmd.env("CRMBOT_DEMO_CUSTOMERS", "120");
    cmd
}

fn run_with_input(mut cmd: Command, input: &[u8]) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

fn customer_json(store: &Path, id: u64) -> Value {
    let out = crmbot(store)
        .args(["customer", &id.to_string(), "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn latest_order_id(customer: &Value) -> String {
    customer["recent_events"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|e| e["kind"] == "purchase")
        .map(|e| e["order_id"].as_str().unwrap().to_owned())
        .expect("the demo customer has orders")
}

#[test]
fn piped_chat_answers_every_line_from_the_store_and_logs_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let mut cmd = crmbot(&store);
    cmd.args(["chat", "--as", "customer:42"]);
    let out = run_with_input(
        cmd,
        b"hi\nwhere is my order?\nthis is terrible, nothing works\n",
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("seeded 120 demo customers"), "{stderr}");
    let replies: Vec<&str> = stdout.lines().filter(|l| l.starts_with("bot: ")).collect();
    assert!(replies.len() >= 3, "{stdout}");

    let customer = customer_json(&store, 42);
    let order = latest_order_id(&customer);
    assert!(
        replies[1].contains(&order),
        "the order answer names {order}: {stdout}"
    );

    let interactions = customer["interactions"].as_array().unwrap();
    let inbound: Vec<&Value> = interactions
        .iter()
        .filter(|i| i["direction"] == "inbound" && i["chat"] == "customer:42")
        .collect();
    let texts: Vec<&str> = inbound
        .iter()
        .map(|i| i["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        texts,
        [
            "hi",
            "where is my order?",
            "this is terrible, nothing works"
        ]
    );
    for i in &inbound {
        assert!(i["at"].is_string() && i["intent"].is_string());
        let s = i["sentiment"].as_f64().unwrap();
        assert!((-1.0..=1.0).contains(&s));
    }
    assert!(inbound[2]["sentiment"].as_f64().unwrap() < 0.0);
    let outbound = interactions
        .iter()
        .filter(|i| i["direction"] == "outbound" && i["chat"] == "customer:42")
        .count();
    assert!(outbound >= 3);
}

#[test]
fn acknowledged_messages_survive_sigkill_right_after_the_reply() {
    let (_dir, store) = demo_store(60);
    let mut child = crmbot(&store)
        .args(["chat", "--as", "customer:42"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let lines = [
        "hi",
        "where is my order?",
        "this is terrible, nothing works",
    ];
    for line in lines {
        writeln!(stdin, "{line}").unwrap();
        stdin.flush().unwrap();
        let mut reply = String::new();
        stdout.read_line(&mut reply).unwrap();
        assert!(reply.starts_with("bot: "), "{reply}");
    }
    // The last reply was printed: kill at once, without any chance to flush.
    child.kill().unwrap();
    child.wait().unwrap();
    let customer = customer_json(&store, 42);
    let texts: Vec<&str> = customer["interactions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["direction"] == "inbound" && i["chat"] == "customer:42")
        .map(|i| i["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, lines);
}

#[test]
fn a_second_process_on_the_same_store_gets_a_clear_error() {
    let (_dir, store) = demo_store(50);
    let mut holder = crmbot(&store)
        .args(["chat", "--as", "customer:42"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = holder.stdin.take().unwrap();
    let mut stdout = BufReader::new(holder.stdout.take().unwrap());
    writeln!(stdin, "hi").unwrap();
    let mut reply = String::new();
    stdout.read_line(&mut reply).unwrap();
    let second = crmbot(&store).args(["customer", "42"]).output().unwrap();
    drop(stdin);
    holder.wait().unwrap();
    assert!(!second.status.success());
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(
        stderr.contains("in use by another crmbot process"),
        "{stderr}"
    );
    assert!(stderr.contains(&format!("pid {}", holder.id())), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn bad_input_on_stdin_gets_a_reply_per_line_and_exit_zero() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let mut input = Vec::new();
    input.extend_from_slice(b"\n");
    input.extend_from_slice(&vec![b'a'; 100 * 1024]);
    input.extend_from_slice(b"\n");
    input.extend_from_slice(b"caf\xe9 \xff\xfe\n");
    input.extend_from_slice(b"/as customer:abc\n");
    input.extend_from_slice(b"hi\n");
    let mut cmd = crmbot(&store);
    cmd.args(["chat", "--as", "customer:42"]);
    let out = run_with_input(cmd, &input);
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("Please type a message."), "{stdout}");
    assert!(stdout.contains("too long (102400 characters"), "{stdout}");
    assert!(stdout.contains("not valid text"), "{stdout}");
    assert!(
        stdout.contains("expected customer:ID or staff:NAME"),
        "{stdout}"
    );
    assert!(stdout.contains("Hello"), "{stdout}");
}

#[test]
fn unknown_customer_and_corrupt_config_fail_clearly() {
    let (dir, store) = demo_store(20);
    let out = crmbot(&store).args(["customer", "4242"]).output().unwrap();
    assert!(!out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        format!("error: there is no customer 4242 in {}", store.display())
    );

    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[engine]\nmax_message_chars = \"lots\"\n").unwrap();
    let out = crmbot(&store)
        .arg("--config")
        .arg(&bad)
        .args(["customer", "1"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("bad.toml"), "{stderr}");
    assert!(stderr.contains("max_message_chars"), "{stderr}");
    assert!(stderr.contains("expected usize"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    assert!(!stderr.contains("panicked"));

    std::fs::write(&bad, "[store]\nnot_a_key = 1\n").unwrap();
    let out = crmbot(&store)
        .arg("--config")
        .arg(&bad)
        .args(["customer", "1"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown field `not_a_key`"));
}

#[test]
fn staff_and_customers_switch_in_one_console_session() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let mut cmd = crmbot(&store);
    cmd.args(["chat", "--as", "customer:42"]);
    let script = "I want to talk to a person\n/as staff:alice\n/tickets\n/claim 1\n/reply 1 Hello from Alice\n/resolve 1\n/as customer:42\nhi\n";
    let out = run_with_input(cmd, script.as_bytes());
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("ticket #1"), "{stdout}");
    assert!(
        stdout.contains("bot → console customer:42: alice: Hello from Alice"),
        "{stdout}"
    );
    assert!(stdout.contains("Ticket #1 is resolved."), "{stdout}");
}

#[test]
fn angry_customer_to_resolved_ticket_with_csat_in_one_piped_session() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let mut cmd = crmbot(&store);
    cmd.args(["chat", "--as", "customer:42"]);
    let script = "\
this is terrible and awful, the worst service ever, I hate it
/as staff:alice
/tickets
/claim 1
/reply 1 I'm so sorry, I've sent a replacement today
/resolve 1 replacement sent
/as customer:42
5
quick and helpful, thanks
/as customer:43
I want to cancel my subscription
/as customer:42
I want to cancel my subscription
";
    let out = run_with_input(cmd, script.as_bytes());
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("(ticket #1)"), "{stdout}");
    assert!(stdout.contains("#1 P2 open customer 42"), "{stdout}");
    assert!(
        stdout.contains("bot → console customer:42: alice: I'm so sorry"),
        "{stdout}"
    );
    assert!(
        stdout.contains("bot → console customer:42: Your ticket #1 is resolved. How satisfied"),
        "{stdout}"
    );

    let tickets = crmbot(&store).args(["tickets", "--json"]).output().unwrap();
    let tickets: Value = serde_json::from_slice(&tickets.stdout).unwrap();
    let t = &tickets[0];
    assert_eq!(t["state"], "resolved");
    assert_eq!(t["assignee"], "alice");
    assert_eq!(t["priority"], 2);
    let reasons = t["reasons"].as_array().unwrap();
    assert!(
        reasons
            .iter()
            .any(|r| r.as_str().unwrap().starts_with("angry message")),
        "{t}"
    );
    for stamp in ["opened", "sla_due", "claimed_at", "resolved_at"] {
        assert!(t[stamp].is_string(), "{stamp}: {t}");
    }
    // The ticket with its transcript, as kept at the resolve.
    let shown = crmbot(&store)
        .args(["tickets", "--id", "1", "--transcript"])
        .output()
        .unwrap();
    let shown = String::from_utf8(shown.stdout).unwrap();
    for expected in [
        "#1 P2 resolved",
        "Resolution note: replacement sent",
        "customer: this is terrible and awful",
        "staff: I'm so sorry, I've sent a replacement today",
    ] {
        assert!(shown.contains(expected), "{expected:?} in {shown}");
    }
    let unknown = crmbot(&store)
        .args(["tickets", "--id", "99", "--transcript"])
        .output()
        .unwrap();
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("there is no ticket #99"));
    let customer = customer_json(&store, 42);
    let csat: Vec<&Value> = customer["recent_events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "survey" && e["survey"] == "csat")
        .collect();
    assert_eq!(csat.len(), 1);
    assert_eq!(csat[0]["score"], 5);

    let report = crmbot(&store)
        .args(["report", "offers", "--json"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&report.stdout).unwrap();
    let stay = report
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["offer"] == "stay20")
        .unwrap();
    // Only customers 42 and 43 asked to cancel; each eligible one is counted in one group.
    let count = |kind: &str| -> u64 {
        [42, 43]
            .iter()
            .map(|id| {
                customer_json(&store, *id)["recent_events"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|e| e["kind"] == kind && e["offer"] == "stay20")
                    .count() as u64
            })
            .sum()
    };
    assert_eq!(
        stay["shown"].as_u64().unwrap(),
        count("offer_shown"),
        "{report}"
    );
    assert_eq!(
        stay["held_out"].as_u64().unwrap(),
        count("offer_held_out"),
        "{report}"
    );
}

#[test]
fn train_then_charts_at_risk_and_evaluations_from_the_command_line() {
    let (dir, store) = demo_store(200);
    let before = crmbot(&store).args(["at-risk"]).output().unwrap();
    assert!(
        String::from_utf8_lossy(&before.stderr).contains("not trained yet: run `crmbot train`")
    );
    let train = crmbot(&store).args(["train", "--json"]).output().unwrap();
    assert!(
        train.status.success(),
        "{}",
        String::from_utf8_lossy(&train.stderr)
    );
    let outcome: Value = serde_json::from_slice(&train.stdout).unwrap();
    assert!(outcome["churn_auc"].as_f64().unwrap() > 0.6, "{outcome}");
    let list = crmbot(&store)
        .args(["at-risk", "--top", "5", "--json"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&list.stdout).unwrap();
    let list = &report["customers"];
    let total = report["at_risk"].as_u64().unwrap() as usize;
    assert_eq!(list.as_array().unwrap().len(), total.min(5), "{report}");
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .all(|l| l["churn_probability"].as_f64().unwrap()
                >= report["threshold"].as_f64().unwrap()),
        "only customers at or above the threshold: {report}"
    );
    let loss: Vec<f64> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["expected_loss"].as_f64().unwrap())
        .collect();
    assert!(
        loss.windows(2).all(|w| w[0] >= w[1]),
        "ranked by expected loss: {loss:?}"
    );
    // Revenue retention on recurring revenue: GRR ≤ 100 %, and MRR at the end is the
    // start's MRR × NRR plus the new subscribers' MRR.
    let kpi = crmbot(&store)
        .args(["report", "kpi", "--json"])
        .output()
        .unwrap();
    let kpi: Value = serde_json::from_slice(&kpi.stdout).unwrap();
    let find = |name: &str| {
        kpi["kpis"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["name"] == name)
            .unwrap_or_else(|| panic!("{name} in {kpi}"))
            .clone()
    };
    let grr = find("gross revenue retention")["value"].as_f64().unwrap();
    let nrr = find("net revenue retention")["value"].as_f64().unwrap();
    let mrr = find("MRR at period end");
    let new = find("MRR from new subscribers")["value"].as_f64().unwrap();
    let (end, start) = (
        mrr["value"].as_f64().unwrap(),
        mrr["previous"].as_f64().unwrap(),
    );
    assert!(grr <= 1.0 && grr <= nrr + 1e-12, "{kpi}");
    assert!((start * nrr + new - end).abs() < 0.01, "{kpi}");
    assert!(find("churn rate (subscribers)")["definition"].is_string());
    for kind in ["segments", "risk", "funnel", "sentiment"] {
        let png = dir.path().join(format!("{kind}.png"));
        let out = crmbot(&store)
            .args(["report", "chart", kind, "--out", png.to_str().unwrap()])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{kind}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            std::fs::read(&png).unwrap().starts_with(b"\x89PNG"),
            "{kind}"
        );
    }
    let baskets = dir.path().join("baskets.csv");
    std::fs::write(
        &baskets,
        "milk,bread\nmilk,bread,eggs\nbread,eggs\nmilk,bread\nbeer,chips\n",
    )
    .unwrap();
    let rules = crmbot(&store)
        .args([
            "eval",
            "rules",
            "--baskets",
            baskets.to_str().unwrap(),
            "--min-support",
            "0.4",
            "--min-confidence",
            "0.7",
            "--json",
        ])
        .output()
        .unwrap();
    let rules: Value = serde_json::from_slice(&rules.stdout).unwrap();
    // {milk} → bread (support 0.6, confidence 1), {eggs} → bread (0.4, 1), {bread} → milk
    // (0.6, 0.75) and, as arules counts them, {} → bread (0.8, 0.8).
    assert_eq!(rules["rules"], 4, "{rules}");
    let intents = crmbot(&store)
        .args(["eval", "intents", "--json"])
        .output()
        .unwrap();
    let intents: Value = serde_json::from_slice(&intents.stdout).unwrap();
    assert!(intents["accuracy"].as_f64().unwrap() > 0.85, "{intents}");
}

#[test]
fn chat_works_away_from_the_source_tree_with_the_built_in_intents() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let mut cmd = crmbot(&store);
    cmd.current_dir(dir.path())
        .args(["chat", "--as", "customer:42"]);
    let out = run_with_input(cmd, b"where is my order?\n");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("Your latest order"), "{stdout}");
}

#[test]
fn output_into_a_closed_pipe_ends_quietly_instead_of_panicking() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("scores.csv");
    std::fs::write(&data, "text,score\ngreat service,2.5\nawful,-3\n").unwrap();
    let mut child = crmbot(&dir.path().join("store"))
        .args(["eval", "sentiment", "--data", data.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Like `crmbot eval … | head -0`: the reader is gone before anything is written.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn snippets_are_saved_listed_and_removed_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let run = |args: &[&str]| crmbot(&store).args(args).output().unwrap();
    let added = run(&[
        "snippets",
        "add",
        "sent",
        "--lang",
        "en",
        "Hi",
        "{first_name},",
        "your",
        "refund",
        "is",
        "on",
        "its",
        "way.",
    ]);
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    let added = run(&[
        "snippets",
        "add",
        "sent",
        "--lang",
        "zh",
        "{first_name}，您的退款已经发出。",
    ]);
    assert!(added.status.success());
    let listed = String::from_utf8(run(&["snippets", "list"]).stdout).unwrap();
    assert!(
        listed.contains("sent [en] Hi {first_name}, your refund is on its way."),
        "{listed}"
    );
    assert!(
        listed.contains("sent [zh] {first_name}，您的退款已经发出。"),
        "{listed}"
    );
    let bad = run(&["snippets", "add", "x", "--lang", "fr", "bonjour"]);
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("en, zh"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
    assert!(run(&["snippets", "remove", "sent"]).status.success());
    let gone = run(&["snippets", "remove", "sent"]);
    assert!(!gone.status.success());
    assert!(String::from_utf8_lossy(&gone.stderr).contains("no snippet called sent"));
    let listed = String::from_utf8(run(&["snippets", "list"]).stdout).unwrap();
    assert!(listed.contains("No snippets."), "{listed}");
}

#[test]
fn a_customer_session_never_shows_staff_messages_and_unknown_staff_are_agents() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let mut cmd = crmbot(&store);
    cmd.args(["chat", "--as", "customer:42"]);
    let script = "\
I want to talk to a person
/as staff:zoe
/atrisk
/as staff:alice
/atrisk 3
";
    let out = run_with_input(cmd, script.as_bytes());
    let stdout = String::from_utf8(out.stdout).unwrap();
    let (as_customer, rest) = stdout.split_once("(you are now staff:zoe)").unwrap();
    assert!(as_customer.contains("(ticket #1)"), "{as_customer}");
    assert!(
        !as_customer.contains("New ticket #1"),
        "the staff card is not shown to the customer: {as_customer}"
    );
    let (as_zoe, as_alice) = rest.split_once("(you are now staff:alice)").unwrap();
    assert!(
        as_zoe.contains("New ticket #1"),
        "shown once staff: {as_zoe}"
    );
    assert!(as_zoe.contains("zoe is not on the staff list, so has agent rights"));
    assert!(
        as_zoe.contains("that needs the manager role; you are agent"),
        "{as_zoe}"
    );
    assert!(!as_alice.contains("needs the manager role"), "{as_alice}");
    assert!(!as_alice.contains("not on the staff list"), "{as_alice}");
}
