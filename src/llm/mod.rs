//! The local language model: Gemma 3 on candle, with its tokenizer, on the CPU.

pub mod gemma3;
pub mod generate;
pub mod prompt;
#[allow(unsafe_code)] // the SIMD kernels
pub mod q8;
pub mod tokenizer;
mod vocabulary;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use candle_core::quantized::gguf_file::Content;

pub use gemma3::{Cache, Gemma3, argmax};
pub use tokenizer::GemmaTokenizer;

/// The model Shikaku fetches (`scripts/fetch-model.sh`).
pub const DEFAULT_MODEL_FILE: &str = "models/gemma-3-270m-q4_k_m.gguf";
/// Positions the model keeps: prompt and answer together.
pub const DEFAULT_CONTEXT: usize = 2048;

/// candle's error with its first line only: with `RUST_BACKTRACE` set, candle puts a whole
/// backtrace into the message, which is no help in a warning.
pub(crate) fn brief(e: candle_core::Error) -> anyhow::Error {
    anyhow::anyhow!(
        "{}",
        e.to_string().lines().next().unwrap_or("unknown error")
    )
}

/// A loaded model with its tokenizer.
pub struct Model {
    pub path: PathBuf,
    pub name: String,
    pub tokenizer: GemmaTokenizer,
    pub gemma: Gemma3,
}

impl Model {
    /// Loads a GGUF of a supported architecture. A missing, truncated or foreign file is
    /// an error that says which.
    pub fn load(path: &Path, context: usize) -> Result<Model> {
        let mut file = std::fs::File::open(path).with_context(|| {
            format!(
                "model file {} cannot be opened (run scripts/fetch-model.sh)",
                path.display()
            )
        })?;
        let length = file.metadata()?.len();
        let mut content = Content::read(&mut file).map_err(|e| {
            anyhow::anyhow!(
                "{} is not a readable GGUF file: {:#}",
                path.display(),
                brief(e)
            )
        })?;
        let needed = content
            .tensor_infos
            .values()
            .map(|t| {
                let elements = t.shape.elem_count();
                let bytes = elements / t.ggml_dtype.block_size() * t.ggml_dtype.type_size();
                content.tensor_data_offset + t.offset + bytes as u64
            })
            .max()
            .unwrap_or(0);
        if length < needed {
            bail!(
                "model file {} is truncated: its tensors need {needed} bytes, the file has {length}",
                path.display()
            );
        }
        let name = content
            .metadata
            .get("general.name")
            .and_then(|v| v.to_string().ok().cloned())
            .unwrap_or_else(|| {
                path.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            });
        let tokenizer = GemmaTokenizer::from_gguf(&content)?;
        // The vocabulary's arrays (tens of MB as read) are not needed once the tokenizer
        // holds them: dropped before the weights are read, the peak is the weights'.
        content
            .metadata
            .retain(|key, _| !key.starts_with("tokenizer."));
        let gemma = Gemma3::from_gguf(&content, &mut file, context)?;
        Ok(Model {
            path: path.to_path_buf(),
            name,
            tokenizer,
            gemma,
        })
    }

    /// Greedy continuation of `prompt` (BOS added), at most `max_tokens`, stopping at EOS.
    pub fn greedy(&self, prompt: &str, max_tokens: usize) -> Result<Vec<u32>> {
        let ids = self.tokenizer.encode(prompt, true)?;
        let mut cache = self.gemma.new_cache()?;
        let mut logits = self.gemma.forward(&ids, &mut cache)?;
        let mut out = Vec::new();
        for _ in 0..max_tokens {
            let next = argmax(&logits);
            if next == self.tokenizer.eos {
                break;
            }
            out.push(next);
            logits = self.gemma.forward(&[next], &mut cache)?;
        }
        Ok(out)
    }
}
