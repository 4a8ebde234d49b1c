//! Japanese retrieval: lindera (IPADIC) analysis and a tantivy index over the knowledge base.

pub mod analysis;
pub mod dictionary;
pub mod index;

pub use analysis::Analyzer;
pub use index::{Hit, Passage, SearchIndex};
