//! HTTP request bodies of the ingest API: any bytes that are JSON become rows the same way
//! the API reads them, and every row is accepted or rejected without a panic.
#![no_main]

use chrono::{TimeZone, Utc};
use crmbot::import::{Rows, row_to_customer, row_to_event};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let now = Utc.with_ymd_and_hms(2026, 11, 27, 0, 0, 0).unwrap();
    let rows = Rows::from_json(&value);
    for (_, fields) in &rows.records {
        let _ = row_to_event(fields);
        let _ = row_to_customer(fields, None, now);
    }
});
