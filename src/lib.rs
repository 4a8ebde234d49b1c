//! Shikaku (シカク): the helpdesk assistant for online insurance-eligibility verification.
//!
//! See `ARCHITECTURE` in the design notes: adapters call [`assistant::Assistant::answer`],
//! which retrieves from the [`knowledge`] base through [`search`] and cites its sources.

pub mod analytics;
pub mod assistant;
pub mod auth;
pub mod bench;
pub mod channels;
pub mod config;
pub mod conversation;
pub mod eval;
pub mod handoff;
pub mod knowledge;
pub mod llm;
pub mod publishing;
pub mod search;
pub mod server;
pub mod store;
pub mod text;
