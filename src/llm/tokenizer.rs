//! The Gemma tokenizer rebuilt from the GGUF's own vocabulary.
//!
//! The GGUF holds a SentencePiece-style vocabulary with scores and no merges
//! (`tokenizer.ggml.model = "llama"`). A byte-fallback BPE whose merges are derived from
//! the vocabulary — every split of a normal piece into two normal pieces, ranked by the
//! piece's score — reproduces llama.cpp's token ids (see `tests/e2e/llm.rs`).

use anyhow::{Context, Result, bail};
use candle_core::quantized::gguf_file::Content;
use tokenizers::decoders::byte_fallback::ByteFallback;
use tokenizers::decoders::fuse::Fuse;
use tokenizers::decoders::sequence::Sequence;
use tokenizers::models::bpe::BPE;
use tokenizers::normalizers::replace::Replace;
use tokenizers::{AddedToken, DecoderWrapper, Tokenizer};

/// llama.cpp's token types.
const NORMAL: i32 = 1;
const CONTROL: i32 = 3;
const USER_DEFINED: i32 = 4;

pub struct GemmaTokenizer {
    inner: Tokenizer,
    pub bos: u32,
    pub eos: u32,
}

fn metadata<'a>(
    content: &'a Content,
    key: &str,
) -> Result<&'a candle_core::quantized::gguf_file::Value> {
    content
        .metadata
        .get(key)
        .with_context(|| format!("the GGUF has no {key}"))
}

impl GemmaTokenizer {
    pub fn from_gguf(content: &Content) -> Result<Self> {
        let model = metadata(content, "tokenizer.ggml.model")?.to_string()?;
        if model != "llama" {
            bail!(
                "unsupported tokenizer model \"{model}\" (expected \"llama\", SentencePiece-style)"
            );
        }
        let tokens: Vec<String> = metadata(content, "tokenizer.ggml.tokens")?
            .to_vec()?
            .iter()
            .map(|v| v.to_string().cloned())
            .collect::<candle_core::Result<_>>()?;
        let scores: Vec<f32> = metadata(content, "tokenizer.ggml.scores")?
            .to_vec()?
            .iter()
            .map(|v| v.to_f32())
            .collect::<candle_core::Result<_>>()?;
        let types: Vec<i32> = metadata(content, "tokenizer.ggml.token_type")?
            .to_vec()?
            .iter()
            .map(|v| v.to_i32())
            .collect::<candle_core::Result<_>>()?;
        if scores.len() != tokens.len() || types.len() != tokens.len() {
            bail!(
                "tokenizer arrays differ in length: {} tokens, {} scores, {} types",
                tokens.len(),
                scores.len(),
                types.len()
            );
        }
        let bos = metadata(content, "tokenizer.ggml.bos_token_id")?.to_u32()?;
        let eos = metadata(content, "tokenizer.ggml.eos_token_id")?.to_u32()?;

        let mut vocab = tokenizers::models::bpe::Vocab::with_capacity(tokens.len());
        for (id, token) in tokens.iter().enumerate() {
            vocab.entry(token.clone()).or_insert(id as u32);
        }
        let is_normal = |piece: &str| {
            vocab
                .get(piece)
                .is_some_and(|&id| types[id as usize] == NORMAL)
        };
        let mut ranked: Vec<(f32, u32, String, String)> = Vec::new();
        for (id, piece) in tokens.iter().enumerate() {
            if types[id] != NORMAL || piece.chars().count() < 2 {
                continue;
            }
            for (split, _) in piece.char_indices().skip(1) {
                let (left, right) = piece.split_at(split);
                if is_normal(left) && is_normal(right) {
                    ranked.push((scores[id], id as u32, left.to_string(), right.to_string()));
                }
            }
        }
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let merges = ranked.into_iter().map(|(_, _, l, r)| (l, r)).collect();

        let bpe = BPE::builder()
            .vocab_and_merges(vocab, merges)
            .byte_fallback(true)
            .build()
            .map_err(|e| anyhow::anyhow!("building the BPE model: {e}"))?;
        let mut inner = Tokenizer::new(bpe);
        inner
            .with_normalizer(Some(
                Replace::new(" ", "▁").map_err(|e| anyhow::anyhow!("{e}"))?,
            ))
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        inner.with_decoder(Some(Sequence::new(vec![
            DecoderWrapper::Replace(Replace::new("▁", " ").map_err(|e| anyhow::anyhow!("{e}"))?),
            DecoderWrapper::ByteFallback(ByteFallback::new()),
            DecoderWrapper::Fuse(Fuse::new()),
        ])));
        // Control tokens (<start_of_turn>) are special; user-defined ones are matched as text.
        let of_type = |kind: i32, special: bool| -> Vec<AddedToken> {
            tokens
                .iter()
                .zip(&types)
                .filter(|(_, t)| **t == kind)
                .map(|(s, _)| AddedToken::from(s.clone(), special))
                .collect()
        };
        inner
            .add_special_tokens(of_type(CONTROL, true))
            .map_err(|e| anyhow::anyhow!("adding control tokens: {e}"))?;
        inner
            .add_tokens(of_type(USER_DEFINED, false))
            .map_err(|e| anyhow::anyhow!("adding user-defined tokens: {e}"))?;
        Ok(GemmaTokenizer { inner, bos, eos })
    }

    /// Token ids of `text`, with BOS first when asked. Control tokens written in the text
    /// (`<start_of_turn>`) are parsed as such.
    pub fn encode(&self, text: &str, add_bos: bool) -> Result<Vec<u32>> {
        let encoding = self
            .inner
            .encode(text, false)
            .map_err(|e| anyhow::anyhow!("tokenizing: {e}"))?;
        let mut ids = Vec::with_capacity(encoding.len() + 1);
        if add_bos {
            ids.push(self.bos);
        }
        ids.extend_from_slice(encoding.get_ids());
        Ok(ids)
    }

    pub fn decode(&self, ids: &[u32]) -> Result<String> {
        self.inner
            .decode(ids, false)
            .map_err(|e| anyhow::anyhow!("decoding: {e}"))
    }
}
