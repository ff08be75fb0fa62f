//! The feedback-token signing secret: given (`--feedback-secret`), or made
//! once at random and kept in the database, so that every `plume` process
//! on it (replicas behind a load balancer) signs and verifies alike.

use std::path::Path;

use app::store::Store;
use rand::RngCore;

/// File name of the secret earlier versions kept in the data directory: it
/// becomes the stored secret, so that tokens already handed out stay valid.
pub const LEGACY_SECRET_FILE: &str = "feedback-secret";
/// Shortest accepted secret, in bytes (HS256 wants at least 256 bits).
pub const MIN_SECRET_BYTES: usize = 32;
/// The secret's name in the database.
const NAME: &str = "feedback-token";

/// The secret to sign with: `given` if any, else the database's (stored on
/// first use: the data directory's legacy file, or a new random one).
pub async fn load_or_create(given: Option<&str>, data_dir: &Path, store: &Store) -> Result<Vec<u8>, String> {
    if let Some(secret) = given {
        if secret.len() < MIN_SECRET_BYTES {
            return Err(format!("--feedback-secret must be at least {MIN_SECRET_BYTES} bytes long"));
        }
        return Ok(secret.as_bytes().to_vec());
    }
    let legacy = data_dir.join(LEGACY_SECRET_FILE);
    let candidate = match std::fs::read_to_string(&legacy) {
        Ok(text) if text.trim().len() >= MIN_SECRET_BYTES => text.trim().to_owned(),
        Ok(_) => return Err(format!("{} is shorter than {MIN_SECRET_BYTES} bytes", legacy.display())),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            let mut bytes = [0u8; 32];
            rand::rng().fill_bytes(&mut bytes);
            app::ids::hex_id(&bytes)
        }
        Err(error) => return Err(format!("reading {}: {error}", legacy.display())),
    };
    let secret =
        store.shared_secret(NAME, &candidate).await.map_err(|e| format!("reading the feedback secret: {e}"))?;
    if secret.len() < MIN_SECRET_BYTES {
        return Err(format!("the stored feedback secret is shorter than {MIN_SECRET_BYTES} bytes"));
    }
    Ok(secret.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn store(dir: &Path) -> Store {
        Store::open(&Store::sqlite_url_in(dir).unwrap()).await.unwrap().0
    }

    #[tokio::test]
    async fn a_generated_secret_is_kept_in_the_database() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(dir.path()).await;
        let first = load_or_create(None, dir.path(), &store).await.unwrap();
        assert_eq!(first.len(), 64);
        assert_eq!(load_or_create(None, dir.path(), &store).await.unwrap(), first, "a second start reads the same");
        assert!(!dir.path().join(LEGACY_SECRET_FILE).exists(), "no file beside one process");
    }

    #[tokio::test]
    async fn an_earlier_versions_file_becomes_the_stored_secret() {
        let dir = tempfile::tempdir().unwrap();
        let old = "y".repeat(64);
        std::fs::write(dir.path().join(LEGACY_SECRET_FILE), &old).unwrap();
        let store = store(dir.path()).await;
        assert_eq!(load_or_create(None, dir.path(), &store).await.unwrap(), old.as_bytes());
        std::fs::remove_file(dir.path().join(LEGACY_SECRET_FILE)).unwrap();
        assert_eq!(load_or_create(None, dir.path(), &store).await.unwrap(), old.as_bytes());
    }

    #[tokio::test]
    async fn a_given_secret_wins_and_must_be_long_enough() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(dir.path()).await;
        assert!(load_or_create(Some("short"), dir.path(), &store).await.is_err());
        let long = "x".repeat(40);
        assert_eq!(load_or_create(Some(&long), dir.path(), &store).await.unwrap(), long.as_bytes());
    }
}
