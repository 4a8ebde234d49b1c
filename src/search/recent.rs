//! What was last computed from a text, kept for when the same text comes again: the words
//! of a question or passage sentence, a question's meaning vector. Two generations: when
//! the newer is full it becomes the older and the older is dropped, and a text found in the
//! older moves to the newer. So what is in use stays, and memory is bounded.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

pub struct Recent<V> {
    /// Texts per generation.
    capacity: usize,
    generations: Mutex<[HashMap<Box<str>, V>; 2]>,
}

impl<V: Clone> Recent<V> {
    pub fn new(capacity: usize) -> Self {
        Recent {
            capacity,
            generations: Mutex::default(),
        }
    }

    /// What was kept for `text`.
    pub fn get(&self, text: &str) -> Option<V> {
        let mut generations = self.lock();
        if let Some(value) = generations[0].get(text) {
            return Some(value.clone());
        }
        let (key, value) = generations[1].remove_entry(text)?;
        Self::keep(&mut generations, self.capacity, key, value.clone());
        Some(value)
    }

    pub fn insert(&self, text: &str, value: V) {
        Self::keep(&mut self.lock(), self.capacity, text.into(), value);
    }

    /// What was kept for `text`, or `compute`'s result, kept.
    pub fn get_or(&self, text: &str, compute: impl FnOnce() -> V) -> V {
        if let Some(value) = self.get(text) {
            return value;
        }
        let value = compute();
        self.insert(text, value.clone());
        value
    }

    /// [`Recent::get_or`] for a computation that can fail (nothing is kept then). Two
    /// threads may compute the same text at once: both get a correct value, one is kept.
    pub fn get_or_try<E>(
        &self,
        text: &str,
        compute: impl FnOnce() -> Result<V, E>,
    ) -> Result<V, E> {
        if let Some(value) = self.get(text) {
            return Ok(value);
        }
        let value = compute()?;
        self.insert(text, value.clone());
        Ok(value)
    }

    /// Forgets everything (the benchmark's "new question").
    pub fn clear(&self) {
        *self.lock() = Default::default();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, [HashMap<Box<str>, V>; 2]> {
        self.generations
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn keep(generations: &mut [HashMap<Box<str>, V>; 2], capacity: usize, key: Box<str>, value: V) {
        if generations[0].len() >= capacity {
            generations[1] = std::mem::take(&mut generations[0]);
        }
        generations[0].insert(key, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_what_is_in_use_and_at_most_two_generations() {
        let recent = Recent::new(2);
        recent.insert("a", 1);
        recent.insert("b", 2);
        recent.insert("c", 3); // a, b become the older generation
        assert_eq!(recent.get("a"), Some(1)); // moves to the newer: [c, a]
        recent.insert("d", 4); // [c, a] older, [d] newer: b is gone
        assert_eq!(recent.get("b"), None);
        assert_eq!(recent.get("c"), Some(3));
        assert_eq!(recent.get("a"), Some(1));
        assert_eq!(recent.get("d"), Some(4));
        let total: usize = recent.lock().iter().map(HashMap::len).sum();
        assert!(total <= 4, "{total} kept");
        assert_eq!(recent.get_or("f", || 6), 6);
        assert_eq!(recent.get_or("f", || 7), 6);
        let computed: Result<i32, ()> = recent.get_or_try("e", || Ok(5));
        assert_eq!(computed, Ok(5));
        assert_eq!(
            recent.get_or_try::<()>("e", || panic!("computed twice")),
            Ok(5)
        );
        recent.clear();
        assert_eq!(recent.get("e"), None);
    }
}
