//! The feedback-token signing secret: given (`--feedback-secret`), or made
//! once at random and kept in the data directory, readable by its owner only.

use std::io::Write;
use std::path::Path;

use rand::RngCore;

/// File name of the generated secret inside the data directory.
pub const SECRET_FILE: &str = "feedback-secret";
/// Shortest accepted secret, in bytes (HS256 wants at least 256 bits).
pub const MIN_SECRET_BYTES: usize = 32;

/// The secret to sign with: `given` if any, else the one stored in `data_dir`
/// (created with mode 0600 on first use).
pub fn load_or_create(given: Option<&str>, data_dir: &Path) -> Result<Vec<u8>, String> {
    if let Some(secret) = given {
        if secret.len() < MIN_SECRET_BYTES {
            return Err(format!("--feedback-secret must be at least {MIN_SECRET_BYTES} bytes long"));
        }
        return Ok(secret.as_bytes().to_vec());
    }
    let path = data_dir.join(SECRET_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) if text.trim().len() >= MIN_SECRET_BYTES => return Ok(text.trim().as_bytes().to_vec()),
        Ok(_) => return Err(format!("{} is shorter than {MIN_SECRET_BYTES} bytes", path.display())),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => return Err(format!("reading {}: {error}", path.display())),
    }
    // Private like the database's directory (when `--database-url` puts that elsewhere).
    let mut dir = std::fs::DirBuilder::new();
    dir.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut dir, 0o700);
    dir.create(data_dir).map_err(|e| format!("creating {}: {e}", data_dir.display()))?;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret = app::ids::hex_id(&bytes);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&path).map_err(|e| format!("creating {}: {e}", path.display()))?;
    file.write_all(secret.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| format!("writing {}: {e}", path.display()))?;
    tracing::info!("generated a feedback-token secret in {}", path.display());
    Ok(secret.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_secret_is_private_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let first = load_or_create(None, dir.path()).unwrap();
        assert_eq!(first.len(), 64);
        assert_eq!(load_or_create(None, dir.path()).unwrap(), first, "the second start reads the same secret");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(SECRET_FILE)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_given_secret_wins_and_must_be_long_enough() {
        let dir = tempfile::tempdir().unwrap();
        assert!(load_or_create(Some("short"), dir.path()).is_err());
        let long = "x".repeat(40);
        assert_eq!(load_or_create(Some(&long), dir.path()).unwrap(), long.as_bytes());
        assert!(!dir.path().join(SECRET_FILE).exists());
    }
}
