//! Passwords: argon2id hashes (the `argon2` crate's defaults, OWASP's
//! recommended parameters), computed off the async threads. Unknown users
//! are checked against a dummy hash, so a login takes as long whether or not
//! the account exists.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};

use app::model::accounts::MIN_PASSWORD_LENGTH;

/// Hashing and checking passwords.
#[derive(Debug)]
pub struct Passwords {
    /// A hash of a random password: what unknown users are checked against.
    dummy: String,
}

impl Default for Passwords {
    fn default() -> Self {
        Passwords::new()
    }
}

impl Passwords {
    /// Computes the dummy hash (once, at start).
    pub fn new() -> Passwords {
        Passwords { dummy: hash_now(&app::store::new_token()).unwrap_or_default() }
    }

    /// The argon2id PHC string of `password`, after checking its length.
    pub async fn hash(&self, password: String) -> Result<String, String> {
        check_length(&password)?;
        tokio::task::spawn_blocking(move || hash_now(&password)).await.map_err(|e| e.to_string())?
    }

    /// Whether `password` matches `stored`; with `stored` `None` (no such
    /// user, or no password set yet) the dummy is checked and the answer is `false`.
    pub async fn verify(&self, password: String, stored: Option<String>) -> bool {
        let known = stored.is_some();
        let hash = stored.unwrap_or_else(|| self.dummy.clone());
        let matches = tokio::task::spawn_blocking(move || {
            PasswordHash::new(&hash)
                .is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
        })
        .await
        .unwrap_or(false);
        known && matches
    }
}

/// The password is long enough (and not absurdly long: argon2 reads it all).
pub fn check_length(password: &str) -> Result<(), String> {
    let length = password.chars().count();
    if length < MIN_PASSWORD_LENGTH {
        return Err(format!("A password needs at least {MIN_PASSWORD_LENGTH} characters"));
    }
    if password.len() > 1024 {
        return Err("A password may have at most 1024 bytes".to_owned());
    }
    Ok(())
}

fn hash_now(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default().hash_password(password.as_bytes(), &salt).map(|hash| hash.to_string()).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_and_verify() {
        let passwords = Passwords::new();
        let hash = passwords.hash("correct horse battery".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(!hash.contains("correct horse"));
        assert!(passwords.verify("correct horse battery".into(), Some(hash.clone())).await);
        assert!(!passwords.verify("wrong horse battery".into(), Some(hash)).await);
        assert!(!passwords.verify("anything at all".into(), None).await);
        assert!(passwords.hash("short".into()).await.is_err());
    }
}
