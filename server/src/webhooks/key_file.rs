//! The server key encrypting webhook secrets: read from `--secret-key-file`,
//! else from `<data-dir>/secret-key`, made at random (mode 0600) on first use.
//!
//! The key lives outside the database on purpose: a database dump alone
//! cannot forge webhook signatures. The price: replicas must share the file,
//! and losing it makes the stored secrets useless (recreate the webhooks).

use std::path::{Path, PathBuf};

use app::store::WebhookKey;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rand::RngCore as _;

/// The default file name inside the data directory.
pub const DEFAULT_FILE: &str = "secret-key";

/// The key from `given`, else from the data directory's file (created if missing).
pub fn load_or_create(given: Option<&Path>, data_dir: &Path) -> Result<WebhookKey, String> {
    let path: PathBuf = match given {
        Some(path) => path.to_owned(),
        None => data_dir.join(DEFAULT_FILE),
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => parse(&text).map_err(|e| format!("{}: {e}", path.display())),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound && given.is_none() => create(&path),
        Err(error) => Err(format!("reading the secret key {}: {error}", path.display())),
    }
}

fn parse(text: &str) -> Result<WebhookKey, String> {
    let bytes = STANDARD.decode(text.trim()).map_err(|_| "the secret key is not base64".to_owned())?;
    let bytes: [u8; 32] = bytes.try_into().map_err(|_| "the secret key must be 32 bytes (base64)".to_owned())?;
    Ok(WebhookKey::from_bytes(bytes))
}

fn create(path: &Path) -> Result<WebhookKey, String> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("creating {}: {e}", parent.display()))?;
    }
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = options
        .open(path)
        .and_then(|mut file| std::io::Write::write_all(&mut file, format!("{}\n", STANDARD.encode(bytes)).as_bytes()));
    match written {
        Ok(()) => {
            tracing::info!("created the webhook secret key {} (keep it with the database)", path.display());
            Ok(WebhookKey::from_bytes(bytes))
        }
        // Another process on this data directory made it first.
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
            let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
            parse(&text)
        }
        Err(error) => Err(format!("creating the secret key {}: {error}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_created_key_is_read_back_and_private() {
        let dir = tempfile::tempdir().unwrap();
        load_or_create(None, dir.path()).unwrap();
        let written = std::fs::read_to_string(dir.path().join(DEFAULT_FILE)).unwrap();
        load_or_create(None, dir.path()).unwrap();
        assert_eq!(std::fs::read_to_string(dir.path().join(DEFAULT_FILE)).unwrap(), written, "kept, not replaced");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(DEFAULT_FILE)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(load_or_create(Some(&dir.path().join("missing")), dir.path()).is_err(), "a given file must exist");
        std::fs::write(dir.path().join("short"), "c2hvcnQ=").unwrap();
        assert!(load_or_create(Some(&dir.path().join("short")), dir.path()).is_err());
    }
}
