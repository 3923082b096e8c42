//! Optional encryption of message texts at rest (ChaCha20-Poly1305, key from
//! `CRMBOT_MESSAGE_KEY`). A sealed text is stored as `enc1:` followed by the hex of a random
//! 12-byte nonce and the ciphertext; everything else about an interaction stays readable
//! for the models and reports.

use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use rand::RngCore;

const PREFIX: &str = "enc1:";

/// A 256-bit key for message texts.
#[derive(Clone)]
pub struct MessageKey(Key);

impl MessageKey {
    /// Parses 64 hexadecimal characters.
    pub fn from_hex(text: &str) -> Result<MessageKey, String> {
        let text = text.trim();
        if text.len() != 64 {
            return Err(format!(
                "expected 64 hexadecimal characters, got {}",
                text.len()
            ));
        }
        let mut bytes = [0u8; 32];
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = u8::from_str_radix(&text[2 * i..2 * i + 2], 16)
                .map_err(|_| "expected hexadecimal characters (0-9, a-f)".to_owned())?;
        }
        Ok(MessageKey(bytes.into()))
    }
}

impl std::fmt::Debug for MessageKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MessageKey(<secret>)")
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect()
}

/// Encrypts a text.
pub fn seal(key: &MessageKey, text: &str) -> String {
    let cipher = ChaCha20Poly1305::new(&key.0);
    let mut nonce = [0u8; 12];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let sealed = cipher
        .encrypt(Nonce::from_slice(&nonce), text.as_bytes())
        .expect("ChaCha20-Poly1305 encryption cannot fail for in-memory data");
    format!("{PREFIX}{}{}", hex(&nonce), hex(&sealed))
}

/// Whether a stored text is sealed.
pub fn is_sealed(text: &str) -> bool {
    text.starts_with(PREFIX)
}

/// Decrypts a sealed text; plain texts pass through.
pub fn open(key: Option<&MessageKey>, text: String) -> Result<String, String> {
    let Some(body) = text.strip_prefix(PREFIX) else {
        return Ok(text);
    };
    let key = key.ok_or("message texts are encrypted: set CRMBOT_MESSAGE_KEY to read them")?;
    let bytes = unhex(body)
        .filter(|b| b.len() > 12)
        .ok_or("a sealed message text is damaged")?;
    let (nonce, sealed) = bytes.split_at(12);
    let plain = ChaCha20Poly1305::new(&key.0)
        .decrypt(Nonce::from_slice(nonce), sealed)
        .map_err(|_| "a message text does not open with this CRMBOT_MESSAGE_KEY".to_owned())?;
    String::from_utf8(plain).map_err(|_| "a sealed message text is not UTF-8".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_texts_open_only_with_their_key() {
        let key = MessageKey::from_hex(&"ab".repeat(32)).unwrap();
        let other = MessageKey::from_hex(&"cd".repeat(32)).unwrap();
        let sealed = seal(&key, "where is my order?");
        assert!(is_sealed(&sealed) && !sealed.contains("order"));
        assert_ne!(
            sealed,
            seal(&key, "where is my order?"),
            "a fresh nonce each time"
        );
        assert_eq!(
            open(Some(&key), sealed.clone()).unwrap(),
            "where is my order?"
        );
        assert!(open(Some(&other), sealed.clone()).is_err());
        assert!(
            open(None, sealed)
                .unwrap_err()
                .contains("CRMBOT_MESSAGE_KEY")
        );
        assert_eq!(open(None, "plain".into()).unwrap(), "plain");
        assert!(MessageKey::from_hex("abc").is_err());
    }
}
