//! Hash maps and sets for the run's own keys — paths, object names, file
//! and document ids — hashed with foldhash instead of the standard
//! SipHash. Hashing those keys with SipHash was 8% of a run's instructions
//! (callgrind, real-shaped corpus); foldhash is seeded per process as the
//! standard hasher is, so keys cannot be chosen to collide.

pub type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
pub type FastSet<T> = std::collections::HashSet<T, foldhash::fast::RandomState>;

/// An empty [`FastMap`] with room for `n` entries.
pub fn map_with_capacity<K, V>(n: usize) -> FastMap<K, V> {
    FastMap::with_capacity_and_hasher(n, Default::default())
}

/// An empty [`FastSet`] with room for `n` entries.
pub fn set_with_capacity<T>(n: usize) -> FastSet<T> {
    FastSet::with_capacity_and_hasher(n, Default::default())
}
