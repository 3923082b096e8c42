//! CSV and JSON-lines importers: any bytes must parse into rows, and every row must either
//! become a customer or an event or be named as bad, never panic.
#![no_main]

use std::path::Path;

use chrono::{TimeZone, Utc};
use crmbot::import::{ColumnMap, read_csv, read_json_lines, row_to_customer, row_to_event};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let map = ColumnMap::default();
    let now = Utc.with_ymd_and_hms(2026, 11, 27, 0, 0, 0).unwrap();
    let mut all = Vec::new();
    if let Ok(rows) = read_csv(Path::new("fuzz.csv"), data, &map) {
        all.push(rows);
    }
    all.push(read_json_lines(data, &map));
    for rows in all {
        for (_, fields) in &rows.records {
            let _ = row_to_event(fields);
            let _ = row_to_customer(fields, None, now);
        }
    }
});
