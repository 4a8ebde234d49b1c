//! Japanese retrieval: lindera (IPADIC) analysis and a tantivy index over the knowledge base.

pub mod analysis;
pub mod dictionary;
mod facts;
pub mod fusion;
pub mod index;
pub mod recent;
pub mod vectors;
mod words;

pub use analysis::Analyzer;
pub use index::{Fusion, Hit, Passage, SearchIndex};
pub use vectors::{Closeness, QueryVectors, Vectors};
