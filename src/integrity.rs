//! Model files are checked against the SHA-256 digests listed in `SHA256SUMS` beside them
//! before they are loaded: a damaged or swapped file (a bad download, a flipped block on
//! disk) would load and write wrong answers with confidence. `scripts/fetch-model.sh`
//! checks downloads against the same list.

use std::collections::HashSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{LazyLock, Mutex};
use std::time::SystemTime;

use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};

/// The list of digests, in `sha256sum`'s format, in the model's folder.
pub const DIGESTS: &str = "SHA256SUMS";

/// Files already found whole in this process, by path, size and modification time: the
/// tests' many in-process services and each knowledge release read the same files again.
static CHECKED: LazyLock<Mutex<HashSet<(PathBuf, u64, SystemTime)>>> =
    LazyLock::new(Mutex::default);

/// Checks `path` against its line in `SHA256SUMS` in the same folder. A file that is not
/// listed, or whose digest differs, is an error that names both digests and the fix.
pub fn check_model_file(path: &Path) -> Result<()> {
    let metadata = std::fs::metadata(path).with_context(|| {
        format!(
            "model file {} cannot be read (run scripts/fetch-model.sh)",
            path.display()
        )
    })?;
    let key = (
        std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()),
        metadata.len(),
        metadata.modified().unwrap_or(SystemTime::UNIX_EPOCH),
    );
    if CHECKED
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .contains(&key)
    {
        return Ok(());
    }
    check_digest(path)?;
    CHECKED
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(key);
    Ok(())
}

fn check_digest(path: &Path) -> Result<()> {
    let name = path
        .file_name()
        .with_context(|| format!("{} is not a file name", path.display()))?
        .to_string_lossy()
        .into_owned();
    let list = path.with_file_name(DIGESTS);
    let listed = std::fs::read_to_string(&list).with_context(|| {
        format!(
            "{} cannot be checked: {} cannot be read (each model file needs its SHA-256 there)",
            path.display(),
            list.display()
        )
    })?;
    let Some(expected) = expected_digest(&listed, &name, &list)? else {
        bail!(
            "{} cannot be checked: {} has no SHA-256 for {name} (add the line `sha256sum {name}` prints)",
            path.display(),
            list.display()
        );
    };
    let found = sha256_of(path)?;
    if found != expected {
        bail!(
            "{} is damaged or not the expected file: its SHA-256 is {found}, {} expects {expected} \
             (run scripts/fetch-model.sh to fetch it again)",
            path.display(),
            list.display()
        );
    }
    Ok(())
}

/// The digest `list` gives for `name`; a malformed line is an error with its number.
fn expected_digest(list: &str, name: &str, origin: &Path) -> Result<Option<String>> {
    for (number, line) in list.lines().enumerate() {
        let line = line.trim_end();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let parsed = line
            .split_once(' ')
            .map(|(digest, rest)| (digest, rest.trim_start().trim_start_matches('*')))
            .filter(|(digest, file)| {
                digest.len() == 64
                    && digest.bytes().all(|b| b.is_ascii_hexdigit())
                    && !file.is_empty()
            });
        let Some((digest, file)) = parsed else {
            bail!(
                "{} line {}: expected `<64 hex digits>  <file name>`, found {line:?}",
                origin.display(),
                number + 1
            );
        };
        if file == name {
            return Ok(Some(digest.to_ascii_lowercase()));
        }
    }
    Ok(None)
}

/// The SHA-256 of a file, in lowercase hex, read in blocks (model files are hundreds of MB).
pub fn sha256_of(path: &Path) -> Result<String> {
    let mut file = std::fs::File::open(path)
        .with_context(|| format!("{} cannot be opened", path.display()))?;
    let mut hasher = Sha256::new();
    let mut block = vec![0u8; 1 << 20];
    loop {
        let read = file
            .read(&mut block)
            .with_context(|| format!("reading {}", path.display()))?;
        if read == 0 {
            break;
        }
        hasher.update(&block[..read]);
    }
    Ok(format!("{:x}", hasher.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder_with(contents: &[u8], list: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("model.gguf");
        std::fs::write(&path, contents).unwrap();
        std::fs::write(dir.path().join(DIGESTS), list).unwrap();
        (dir, path)
    }

    const ABC: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    #[test]
    fn a_listed_file_with_its_digest_passes() {
        let (_dir, path) = folder_with(b"abc", &format!("# models\n{ABC}  model.gguf\n"));
        check_model_file(&path).unwrap();
        // sha256sum's binary mode marks the name with '*'.
        let (_dir, path) = folder_with(b"abc", &format!("{} *model.gguf\n", ABC.to_uppercase()));
        check_model_file(&path).unwrap();
    }

    #[test]
    fn a_changed_byte_is_refused_with_both_digests() {
        let (_dir, path) = folder_with(b"abd", &format!("{ABC}  model.gguf\n"));
        let e = format!("{:#}", check_model_file(&path).unwrap_err());
        assert!(e.contains("damaged") && e.contains(ABC), "{e}");
        assert!(e.contains(&sha256_of(&path).unwrap()), "{e}");
    }

    #[test]
    fn an_unlisted_file_or_a_bad_list_is_refused() {
        let (_dir, path) = folder_with(b"abc", &format!("{ABC}  other.gguf\n"));
        let e = format!("{:#}", check_model_file(&path).unwrap_err());
        assert!(e.contains("no SHA-256 for model.gguf"), "{e}");
        let (_dir, path) = folder_with(b"abc", "abc  model.gguf\n");
        let e = format!("{:#}", check_model_file(&path).unwrap_err());
        assert!(e.contains("line 1"), "{e}");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("model.gguf");
        std::fs::write(&path, b"abc").unwrap();
        let e = format!("{:#}", check_model_file(&path).unwrap_err());
        assert!(e.contains("SHA256SUMS cannot be read"), "{e}");
    }
}
