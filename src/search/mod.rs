//! Japanese retrieval: lindera (IPADIC) analysis and a tantivy index over the knowledge base.

pub mod analysis;
pub mod dictionary;
pub mod fusion;
pub mod index;
pub mod vectors;

pub use analysis::Analyzer;
pub use index::{Fusion, Hit, Passage, SearchIndex};
pub use vectors::{Closeness, Vectors};
