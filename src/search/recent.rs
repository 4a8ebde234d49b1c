//! What was last computed from a text, kept for when the same text comes again: the words
//! of a question or passage sentence, a question's meaning vector. Two generations: when
//! the newer is full it becomes the older and the older is dropped, and a text found in the
//! older moves to the newer. So what is in use stays, and memory is bounded.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

pub struct Recent<V> {
    /// Texts per generation.
    capacity: usize,
    generations: Mutex<[HashMap<Box<str>, V>; 2]>,
    /// Texts being computed by [`Recent::get_or_try`], each with the turn its askers wait for.
    computing: Mutex<HashMap<Box<str>, Arc<Mutex<()>>>>,
}

impl<V: Clone> Recent<V> {
    pub fn new(capacity: usize) -> Self {
        Recent {
            capacity,
            generations: Mutex::default(),
            computing: Mutex::default(),
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

    /// [`Recent::get_or`] for a computation that can fail (nothing is kept then). One
    /// computation per text at a time: threads asking for a text being computed wait for it
    /// and take its value. A thousand users asking one new question at once cost one
    /// embedding, not a thousand in turn (`scripts/streams.sh`: 7.7 s before).
    pub fn get_or_try<E>(
        &self,
        text: &str,
        compute: impl FnOnce() -> Result<V, E>,
    ) -> Result<V, E> {
        if let Some(value) = self.get(text) {
            return Ok(value);
        }
        let turn = self
            .computing
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(text.into())
            .or_default()
            .clone();
        let result = {
            let _mine = turn.lock().unwrap_or_else(PoisonError::into_inner);
            // Computed while this thread waited its turn?
            match self.get(text) {
                Some(value) => Ok(value),
                None => compute().inspect(|value| self.insert(text, value.clone())),
            }
        };
        self.computing
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(text);
        result
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

    #[test]
    fn a_text_asked_for_by_many_threads_at_once_is_computed_once() {
        let recent = Arc::new(Recent::new(16));
        let computed = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (recent, computed) = (recent.clone(), computed.clone());
                std::thread::spawn(move || {
                    recent.get_or_try::<()>("新しい質問", || {
                        computed.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        std::thread::sleep(std::time::Duration::from_millis(100));
                        Ok(42)
                    })
                })
            })
            .collect();
        for thread in threads {
            assert_eq!(thread.join().unwrap(), Ok(42));
        }
        assert_eq!(computed.load(std::sync::atomic::Ordering::SeqCst), 1);
        // A failure keeps nothing: the next asker computes again.
        assert_eq!(recent.get_or_try::<&str>("失敗", || Err("no")), Err("no"));
        assert_eq!(recent.get_or_try::<&str>("失敗", || Ok(1)), Ok(1));
    }
}
