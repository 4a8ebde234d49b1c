//! The integration tests, as one test crate (`cargo test --test e2e`): one build and one
//! link of `common` and the tests instead of one per file. Each module is one area; its
//! tests run as threads of this one process, so none may rely on process-wide state
//! (environment variables, the current directory, a fixed port): each test has its own
//! data folder, server on port 0 and PostgreSQL database.

// First, and with `#[macro_use]`, so that every module below can invoke `on_both_databases!`.
#[macro_use]
mod common;

mod accounts;
mod agent;
mod channels;
mod cli;
mod desk;
mod editor;
mod embedding;
mod faq_form;
mod hostile;
mod judge;
mod knowledge;
mod llm;
mod llm_tiny;
mod outages;
mod privacy;
mod server;
mod understanding;
