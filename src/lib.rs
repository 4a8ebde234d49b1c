//! Shikaku (シカク): the helpdesk assistant for online insurance-eligibility verification.
//!
//! `ARCHITECTURE.md` at the project root draws the path of a message: an adapter (the
//! widget's HTTP API, LINE, Telegram, the command line) hands it to the
//! [`conversation`] service, which stores it and asks the [`assistant`]; the assistant
//! retrieves from the [`knowledge`] base through [`search`] and cites its sources.

// `unsafe` only where the kernels are: `llm::q8` and the model's attention kernel
// (`llm::gemma3`), each allowed there by name; each unsafe fn documents its # Safety.
#![deny(unsafe_code)]

pub mod accounts;
pub mod analytics;
pub mod assistant;
pub mod auth;
pub mod bench;
pub mod channels;
pub mod cli;
pub mod conversation;
pub mod copy;
pub mod domain;
pub mod embedding;
pub mod eval;
pub mod handoff;
pub mod http;
pub mod integrity;
pub mod judge;
pub mod knowledge;
pub mod llm;
pub mod metrics;
pub mod publishing;
pub mod search;
pub mod settings;
pub mod startup;
pub mod store;
pub mod text;
pub mod training;
