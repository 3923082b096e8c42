//! Byte layouts of the store's keys. Big-endian integers keep sled's byte order equal to
//! numeric order, so "a customer's events in time order" and "everything since T" are
//! range scans.

use chrono::{DateTime, TimeZone, Utc};

use crate::domain::CustomerId;

/// Milliseconds since the epoch, shifted so negative times still sort first.
pub fn time_bytes(at: DateTime<Utc>) -> [u8; 8] {
    ((at.timestamp_millis() as u64) ^ (1 << 63)).to_be_bytes()
}

pub fn time_from_bytes(bytes: &[u8]) -> DateTime<Utc> {
    let raw = u64::from_be_bytes(bytes[..8].try_into().expect("8 bytes")) ^ (1 << 63);
    Utc.timestamp_millis_opt(raw as i64)
        .single()
        .unwrap_or_default()
}

pub fn customer_bytes(id: CustomerId) -> [u8; 8] {
    id.0.to_be_bytes()
}

pub fn customer_from_bytes(bytes: &[u8]) -> CustomerId {
    CustomerId(u64::from_be_bytes(bytes[..8].try_into().expect("8 bytes")))
}

/// `customer | time | seq`: a customer's records in time order.
pub fn by_customer(id: CustomerId, at: DateTime<Utc>, seq: u64) -> [u8; 24] {
    let mut key = [0u8; 24];
    key[..8].copy_from_slice(&customer_bytes(id));
    key[8..16].copy_from_slice(&time_bytes(at));
    key[16..].copy_from_slice(&seq.to_be_bytes());
    key
}

/// `time | customer | seq`: everybody's records in time order (index of the key above).
pub fn by_time(id: CustomerId, at: DateTime<Utc>, seq: u64) -> [u8; 24] {
    let mut key = [0u8; 24];
    key[..8].copy_from_slice(&time_bytes(at));
    key[8..16].copy_from_slice(&customer_bytes(id));
    key[16..].copy_from_slice(&seq.to_be_bytes());
    key
}

/// Turns a `by_time` key back into the matching `by_customer` key.
pub fn time_key_to_customer_key(key: &[u8]) -> [u8; 24] {
    let mut out = [0u8; 24];
    out[..8].copy_from_slice(&key[8..16]);
    out[8..16].copy_from_slice(&key[..8]);
    out[16..].copy_from_slice(&key[16..24]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_order_is_byte_order_including_before_1970() {
        let a = Utc.with_ymd_and_hms(1960, 1, 1, 0, 0, 0).unwrap();
        let b = Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0).unwrap();
        let c = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 1).unwrap();
        assert!(time_bytes(a) < time_bytes(b) && time_bytes(b) < time_bytes(c));
        assert_eq!(time_from_bytes(&time_bytes(a)), a);
    }

    #[test]
    fn keys_convert_between_orders() {
        let at = Utc.with_ymd_and_hms(2025, 5, 1, 12, 0, 0).unwrap();
        let k = by_time(CustomerId(7), at, 9);
        assert_eq!(
            time_key_to_customer_key(&k),
            by_customer(CustomerId(7), at, 9)
        );
    }
}
