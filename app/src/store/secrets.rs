//! Random tokens handed out once (public links, sessions, API keys, invite
//! links) and the only thing the database keeps of them: their SHA-256.
//! A presented token is found by its hash and the hashes are compared again
//! in constant time, so neither the lookup nor the comparison leaks it.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore as _;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq as _;

/// A fresh token: 32 random bytes (256 bits), URL-safe base64.
pub fn new_token() -> String {
    let mut secret = [0u8; 32];
    rand::rng().fill_bytes(&mut secret);
    URL_SAFE_NO_PAD.encode(secret)
}

/// SHA-256 of a token's text.
pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Whether two hashes are equal, in time that does not depend on where they differ.
pub fn same_hash(stored: &[u8], presented: &[u8]) -> bool {
    bool::from(stored.ct_eq(presented))
}

impl super::Store {
    /// The server secret `name`: the one stored, else `candidate`, stored now
    /// (the first process to ask decides; every later one, on any replica,
    /// gets the same).
    pub async fn shared_secret(&self, name: &str, candidate: &str) -> super::Result<String> {
        sqlx::query("INSERT INTO server_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
            .bind(name)
            .bind(candidate)
            .execute(&self.pool)
            .await?;
        Ok(sqlx::query_scalar("SELECT value FROM server_secrets WHERE name = $1")
            .bind(name)
            .fetch_one(&self.pool)
            .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_hashed() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(token_hash(&a).len(), 32);
        assert!(same_hash(&token_hash(&a), &token_hash(&a)));
        assert!(!same_hash(&token_hash(&a), &token_hash(&b)));
    }
}
