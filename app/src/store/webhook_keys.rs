//! Webhook secrets: made here, kept encrypted with the server key, and used
//! to sign each request the Standard Webhooks way.
//!
//! A secret is stored as `nonce || ChaCha20-Poly1305(secret)` under a key the
//! server reads from a file (or the environment), not from the database: a
//! dump of the database alone cannot forge signatures. Every process serving
//! one database (replicas) must be given the same key.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use hmac::{Hmac, Mac};
use rand::RngCore as _;
use sha2::Sha256;

/// Standard Webhooks' prefix of a secret's text.
pub const SECRET_PREFIX: &str = "whsec_";
/// Bound to every ciphertext, so a blob made for something else does not decrypt as a secret.
const CONTEXT: &[u8] = b"plume webhook secret v1";
const NONCE_BYTES: usize = 12;

/// The server key that encrypts webhook secrets (32 bytes).
#[derive(Clone)]
pub struct WebhookKey(Key);

impl std::fmt::Debug for WebhookKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookKey(…)")
    }
}

impl WebhookKey {
    /// From 32 bytes of key material.
    pub fn from_bytes(bytes: [u8; 32]) -> WebhookKey {
        WebhookKey(Key::from(bytes))
    }

    /// A fresh random key (a store opened without one: secrets then last as
    /// long as the process).
    pub fn random() -> WebhookKey {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        WebhookKey::from_bytes(bytes)
    }

    /// `nonce || ciphertext` of `secret`.
    pub(super) fn seal(&self, secret: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_BYTES];
        rand::rng().fill_bytes(&mut nonce);
        let sealed = ChaCha20Poly1305::new(&self.0)
            .encrypt(&Nonce::from(nonce), Payload { msg: secret, aad: CONTEXT })
            .expect("encrypting a short secret cannot fail");
        [nonce.as_slice(), &sealed].concat()
    }

    /// The secret inside `blob`; `None` when it was sealed with another key
    /// (a server started with the wrong `--secret-key-file`).
    pub(super) fn open(&self, blob: &[u8]) -> Option<Vec<u8>> {
        let (nonce, sealed) = blob.split_at_checked(NONCE_BYTES)?;
        let nonce = Nonce::from(<[u8; NONCE_BYTES]>::try_from(nonce).ok()?);
        ChaCha20Poly1305::new(&self.0).decrypt(&nonce, Payload { msg: sealed, aad: CONTEXT }).ok()
    }
}

/// A fresh secret: its raw bytes and its Standard Webhooks text (`whsec_` + base64).
pub(super) fn new_secret() -> (Vec<u8>, String) {
    let mut secret = vec![0u8; 32];
    rand::rng().fill_bytes(&mut secret);
    let text = format!("{SECRET_PREFIX}{}", STANDARD.encode(&secret));
    (secret, text)
}

/// The `webhook-signature` value of one request: `v1,` + base64 of
/// HMAC-SHA256 over `{id}.{timestamp}.{body}` keyed with the secret's bytes.
pub fn sign(secret: &[u8], event_id: &str, timestamp: i64, body: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(format!("{event_id}.{timestamp}.").as_bytes());
    mac.update(body.as_bytes());
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_round_trip_under_their_key_only() {
        let key = WebhookKey::random();
        let (secret, text) = new_secret();
        assert!(text.starts_with(SECRET_PREFIX));
        let blob = key.seal(&secret);
        assert_eq!(key.open(&blob), Some(secret));
        assert_eq!(WebhookKey::random().open(&blob), None);
    }

    #[test]
    fn signature_matches_the_standard_webhooks_example() {
        // The example of the Standard Webhooks specification.
        let secret = STANDARD.decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let body = r#"{"test": 2432232314}"#;
        assert_eq!(
            sign(&secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }
}
