//! The model module on a tiny Gemma 3 GGUF with random weights that the test writes itself:
//! fast, and no download.

use std::path::Path;

use candle_core::quantized::gguf_file::{self, Value};
use candle_core::quantized::{GgmlDType, QTensor};
use candle_core::{Device, Tensor};
use shikaku::llm::Model;

const HIDDEN: usize = 64;
const HEAD_DIM: usize = 32;
const HEADS: usize = 2;
const FFN: usize = 128;
const LAYERS: usize = 6;
/// Small enough that a 10-token prompt crosses it.
const WINDOW: u32 = 4;

fn tokens() -> (Vec<String>, Vec<i32>) {
    let mut tokens = vec![
        "<pad>".to_string(),
        "<eos>".into(),
        "<bos>".into(),
        "<unk>".into(),
    ];
    let mut types = vec![3, 3, 3, 2];
    for b in 0..=255u8 {
        tokens.push(format!("<0x{b:02X}>"));
        types.push(6);
    }
    for t in ["▁", "a", "b", "c", "ab", "bc", "abc", "▁a", "▁ab"] {
        tokens.push(t.to_string());
        types.push(1);
    }
    (tokens, types)
}

fn write_tiny(path: &Path, architecture: &str) {
    let device = Device::Cpu;
    let (tokens, types) = tokens();
    let vocab = tokens.len();
    let random = |rows: usize, cols: usize, scale: f64| {
        let t = (Tensor::randn(0f32, 1f32, (rows, cols), &device).unwrap() * scale).unwrap();
        QTensor::quantize(&t, GgmlDType::Q8_0).unwrap()
    };
    let norm = |n: usize| {
        QTensor::quantize(
            &Tensor::ones(n, candle_core::DType::F32, &device).unwrap(),
            GgmlDType::F32,
        )
        .unwrap()
    };
    let mut named: Vec<(String, QTensor)> = vec![
        ("token_embd.weight".into(), random(vocab, HIDDEN, 0.05)),
        ("output_norm.weight".into(), norm(HIDDEN)),
    ];
    for i in 0..LAYERS {
        let p = format!("blk.{i}");
        named.push((
            format!("{p}.attn_q.weight"),
            random(HEADS * HEAD_DIM, HIDDEN, 0.1),
        ));
        named.push((format!("{p}.attn_k.weight"), random(HEAD_DIM, HIDDEN, 0.1)));
        named.push((format!("{p}.attn_v.weight"), random(HEAD_DIM, HIDDEN, 0.1)));
        named.push((
            format!("{p}.attn_output.weight"),
            random(HIDDEN, HEADS * HEAD_DIM, 0.1),
        ));
        named.push((format!("{p}.ffn_gate.weight"), random(FFN, HIDDEN, 0.1)));
        named.push((format!("{p}.ffn_up.weight"), random(FFN, HIDDEN, 0.1)));
        named.push((format!("{p}.ffn_down.weight"), random(HIDDEN, FFN, 0.1)));
        for n in [
            "attn_norm",
            "post_attention_norm",
            "ffn_norm",
            "post_ffw_norm",
        ] {
            named.push((format!("{p}.{n}.weight"), norm(HIDDEN)));
        }
        named.push((format!("{p}.attn_q_norm.weight"), norm(HEAD_DIM)));
        named.push((format!("{p}.attn_k_norm.weight"), norm(HEAD_DIM)));
    }
    let metadata: Vec<(String, Value)> = vec![
        (
            "general.architecture".into(),
            Value::String(architecture.into()),
        ),
        (
            "general.name".into(),
            Value::String("tiny random gemma3".into()),
        ),
        ("gemma3.block_count".into(), Value::U32(LAYERS as u32)),
        ("gemma3.embedding_length".into(), Value::U32(HIDDEN as u32)),
        ("gemma3.context_length".into(), Value::U32(128)),
        (
            "gemma3.attention.head_count".into(),
            Value::U32(HEADS as u32),
        ),
        ("gemma3.attention.head_count_kv".into(), Value::U32(1)),
        (
            "gemma3.attention.key_length".into(),
            Value::U32(HEAD_DIM as u32),
        ),
        (
            "gemma3.attention.layer_norm_rms_epsilon".into(),
            Value::F32(1e-6),
        ),
        ("gemma3.attention.sliding_window".into(), Value::U32(WINDOW)),
        ("gemma3.rope.freq_base".into(), Value::F32(1_000_000.0)),
        ("tokenizer.ggml.model".into(), Value::String("llama".into())),
        (
            "tokenizer.ggml.tokens".into(),
            Value::Array(tokens.iter().map(|t| Value::String(t.clone())).collect()),
        ),
        (
            "tokenizer.ggml.scores".into(),
            Value::Array((0..tokens.len()).map(|i| Value::F32(-(i as f32))).collect()),
        ),
        (
            "tokenizer.ggml.token_type".into(),
            Value::Array(types.iter().map(|t| Value::I32(*t)).collect()),
        ),
        ("tokenizer.ggml.bos_token_id".into(), Value::U32(2)),
        ("tokenizer.ggml.eos_token_id".into(), Value::U32(1)),
    ];
    let metadata_refs: Vec<(&str, &Value)> =
        metadata.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let tensor_refs: Vec<(&str, &QTensor)> = named.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let mut file = std::fs::File::create(path).unwrap();
    gguf_file::write(&mut file, &metadata_refs, &tensor_refs).unwrap();
}

fn tiny() -> (tempfile::TempDir, Model) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tiny.gguf");
    write_tiny(&path, "gemma3");
    let model = Model::load(&path, 64).unwrap();
    (dir, model)
}

#[test]
fn loads_config_and_tokenizer_from_the_gguf() {
    let (_dir, model) = tiny();
    let c = &model.gemma.config;
    assert_eq!(
        (c.layers, c.heads, c.kv_heads, c.head_dim, c.hidden),
        (LAYERS, HEADS, 1, HEAD_DIM, HIDDEN)
    );
    assert_eq!((c.sliding_window, c.context), (WINDOW as usize, 64));
    assert_eq!(model.name, "tiny random gemma3");
    let ids = model.tokenizer.encode("abc ab", true).unwrap();
    assert_eq!(ids[0], 2, "BOS first");
    assert_eq!(model.tokenizer.decode(&ids[1..]).unwrap(), "abc ab");
    // A character outside the vocabulary falls back to its UTF-8 bytes.
    let ids = model.tokenizer.encode("é", false).unwrap();
    assert_eq!(ids, vec![4 + 0xC3, 4 + 0xA9]);
}

#[test]
fn decoding_one_token_at_a_time_equals_a_full_prefill() {
    let (_dir, model) = tiny();
    // 12 tokens: longer than the sliding window, so local layers must drop old keys in
    // the prefill mask and in the decode step alike.
    let ids: Vec<u32> = vec![2, 260, 261, 262, 263, 264, 265, 266, 267, 268, 260, 261];
    let mut full = model.gemma.new_cache().unwrap();
    let expected = model.gemma.forward(&ids, &mut full).unwrap();
    let mut step = model.gemma.new_cache().unwrap();
    model.gemma.forward(&ids[..7], &mut step).unwrap();
    let mut got = Vec::new();
    for id in &ids[7..] {
        got = model.gemma.forward(&[*id], &mut step).unwrap();
    }
    assert_eq!(step.len, ids.len());
    let worst = expected
        .iter()
        .zip(&got)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(worst < 1e-3, "logits differ by {worst}");
    assert!(
        expected.iter().any(|v| *v != expected[0]),
        "logits are not all equal"
    );
}

#[test]
fn greedy_generation_is_deterministic_and_bounded() {
    let (_dir, model) = tiny();
    let a = model.greedy("ab", 8).unwrap();
    let b = model.greedy("ab", 8).unwrap();
    assert_eq!(a, b);
    assert!(a.len() <= 8);
}

#[test]
fn the_context_limit_is_an_error_not_a_panic() {
    let (_dir, model) = tiny();
    let mut cache = model.gemma.new_cache().unwrap();
    let too_long = vec![5u32; 65];
    let e = model
        .gemma
        .forward(&too_long, &mut cache)
        .unwrap_err()
        .to_string();
    assert!(e.contains("context full"), "{e}");
}

#[test]
fn missing_truncated_and_foreign_files_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let missing = Model::load(&dir.path().join("none.gguf"), 64)
        .err()
        .unwrap()
        .to_string();
    assert!(missing.contains("cannot be opened"), "{missing}");

    let path = dir.path().join("tiny.gguf");
    write_tiny(&path, "gemma3");
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() - 100]).unwrap();
    let truncated = Model::load(&path, 64).err().unwrap().to_string();
    assert!(truncated.contains("truncated"), "{truncated}");

    std::fs::write(&path, b"not a gguf at all").unwrap();
    let garbage = Model::load(&path, 64).err().unwrap().to_string();
    assert!(garbage.contains("not a readable GGUF"), "{garbage}");

    write_tiny(&path, "llama");
    let foreign = Model::load(&path, 64).err().unwrap().to_string();
    assert!(
        foreign.contains("unsupported model architecture \"llama\""),
        "{foreign}"
    );
}
