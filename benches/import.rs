//! Import throughput: 1,000,000 purchase events for 50,000 customers from one CSV file.
//! A plain bench binary (one long run, not criterion samples): prints rows per second.
//!
//! Run: `cargo bench --bench import` (optionally `-- ROWS`).

use std::io::Write;
use std::time::Instant;

use chrono::{TimeZone, Utc};
use crmbot::import::{self, ImportOptions};
use crmbot::store::{Store, StoreOptions};

fn main() {
    let rows: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("events.csv");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).expect("create csv"));
    writeln!(file, "customer_id,at,kind,amount,quantity").unwrap();
    let start = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
    for i in 0..rows {
        let at = start + chrono::Duration::minutes(i as i64);
        writeln!(
            file,
            "{},{},purchase,{}.{:02},{}",
            i % 50_000 + 1,
            at.to_rfc3339(),
            i % 200 + 1,
            i % 100,
            i % 3 + 1
        )
        .unwrap();
    }
    file.flush().unwrap();
    drop(file);
    let store = Store::open(&StoreOptions::at(dir.path().join("store"))).expect("store");
    let options = ImportOptions {
        create_customers: true,
        ..Default::default()
    };
    let t = Instant::now();
    let report = import::import_events(&store, &path, &options, chrono::Utc::now(), &mut |_| {})
        .expect("import");
    let elapsed = t.elapsed();
    assert_eq!(report.imported as usize, rows);
    println!(
        "import events: {rows} rows in {:.1} s = {:.0} rows/s (durable at the end; store {} MB)",
        elapsed.as_secs_f64(),
        rows as f64 / elapsed.as_secs_f64(),
        store.size_on_disk().unwrap_or(0) / 1_000_000
    );
    let t = Instant::now();
    let again = import::import_events(&store, &path, &options, chrono::Utc::now(), &mut |_| {})
        .expect("re-import");
    println!(
        "re-import of the same file: {} new, {} already present, {:.1} s",
        again.imported,
        again.already_present,
        t.elapsed().as_secs_f64()
    );
}
