//! Counters of wrong link codes, kept in the store so that neither a new code, a new chat
//! user nor a restart resets them. Keys are opaque (the engine passes hashes), so the
//! store holds no email in clear for them.

use serde::{Serialize, de::DeserializeOwned};

use super::{Result, Store, decode, encode};

fn key(name: &str) -> Vec<u8> {
    format!("link_guard:{name}").into_bytes()
}

impl Store {
    /// The counter stored under `name`, if any.
    pub fn link_guard<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>> {
        self.inner
            .meta
            .get(key(name))?
            .map(|v| decode("link guard", &v))
            .transpose()
    }

    /// Stores the counter under `name`; the caller makes it durable.
    pub fn put_link_guard<T: Serialize>(&self, name: &str, value: &T) -> Result<()> {
        self.inner.meta.insert(key(name), encode(value))?;
        Ok(())
    }

    /// Forgets the counter under `name` (after a successful link).
    pub fn clear_link_guard(&self, name: &str) -> Result<()> {
        self.inner.meta.remove(key(name))?;
        Ok(())
    }
}
