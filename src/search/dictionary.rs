//! Builds lindera's IPADIC from the MeCab IPADIC sources that Debian ships
//! (`mecab-ipadic`), so nothing is downloaded at build time.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use lindera::dictionary::{DictionaryBuilder, Metadata};

/// Where Debian's `mecab-ipadic` puts the EUC-JP sources.
pub const DEBIAN_IPADIC_SOURCE: &str = "/usr/share/mecab/dic/ipadic";

/// The build metadata of lindera-ipadic 6.2.0 (MIT), which matches the MeCab IPADIC
/// column layout. lindera is pinned to that version because the built format is versioned.
const IPADIC_METADATA: &str = r#"{
  "name": "ipadic",
  "encoding": "UTF-8",
  "default_word_cost": -10000,
  "default_left_context_id": 0,
  "default_right_context_id": 0,
  "default_field_value": "*",
  "flexible_csv": true,
  "skip_invalid_cost_or_id": false,
  "normalize_details": true,
  "dictionary_schema": { "fields": [
    "surface", "left_context_id", "right_context_id", "cost",
    "part_of_speech", "part_of_speech_subcategory_1", "part_of_speech_subcategory_2",
    "part_of_speech_subcategory_3", "conjugation_form", "conjugation_type",
    "base_form", "reading", "pronunciation"
  ] },
  "user_dictionary_schema": { "fields": ["surface", "part_of_speech", "reading"] }
}"#;

/// True when `dir` holds a built dictionary.
pub fn is_built(dir: &Path) -> bool {
    dir.join("metadata.json").is_file() && dir.join("dict.words").is_file()
}

/// Decodes the EUC-JP sources to UTF-8 in a scratch folder and builds the dictionary into
/// `out`. The result appears under `out` only when the build succeeded.
pub fn build(source: &Path, out: &Path) -> Result<()> {
    if !source.join("matrix.def").is_file() {
        bail!(
            "{} has no IPADIC sources (matrix.def); install Debian's package mecab-ipadic \
             or pass the folder that holds them",
            source.display()
        );
    }
    let parent = out.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    let scratch = tempfile::Builder::new()
        .prefix(".ipadic-build-")
        .tempdir_in(parent)
        .context("creating a scratch folder for the dictionary build")?;
    let utf8 = scratch.path().join("src");
    let built = scratch.path().join("dict");
    std::fs::create_dir_all(&utf8)?;
    for entry in
        std::fs::read_dir(source).with_context(|| format!("reading {}", source.display()))?
    {
        let path = entry?.path();
        let is_source = path.extension().is_some_and(|e| e == "csv" || e == "def");
        if !is_source {
            continue;
        }
        let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        let (text, _, had_errors) = encoding_rs::EUC_JP.decode(&bytes);
        if had_errors {
            bail!("{} is not valid EUC-JP", path.display());
        }
        let name = path.file_name().map(PathBuf::from).unwrap_or_default();
        std::fs::write(utf8.join(name), text.as_bytes())?;
    }
    let metadata: Metadata = serde_json::from_str(IPADIC_METADATA).context("IPADIC metadata")?;
    DictionaryBuilder::new(metadata)
        .build_dictionary(&utf8, &built)
        .map_err(|e| anyhow::anyhow!("building the lindera dictionary: {e}"))?;
    if out.exists() {
        std::fs::remove_dir_all(out).with_context(|| format!("replacing {}", out.display()))?;
    }
    std::fs::rename(&built, out)
        .with_context(|| format!("moving the dictionary to {}", out.display()))?;
    Ok(())
}
