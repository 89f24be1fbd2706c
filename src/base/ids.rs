//! Typed indices into the run's tables, so a file id is never used where
//! an occurrence id is meant, and [`IdVec`], a table indexed by one.

use std::marker::PhantomData;
use std::ops::{Deref, DerefMut, Index, IndexMut};

/// An index into one kind of table.
pub trait Id: Copy {
    fn new(index: usize) -> Self;
    fn index(self) -> usize;
}

macro_rules! id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
        pub struct $name(u32);

        impl Id for $name {
            fn new(index: usize) -> Self {
                // Runs are bounded far below 2^32 files or objects (file
                // size and node limits); saturate rather than wrap.
                $name(u32::try_from(index).unwrap_or(u32::MAX))
            }

            fn index(self) -> usize {
                self.0 as usize
            }
        }

        impl $name {
            pub fn new(index: usize) -> Self {
                <Self as Id>::new(index)
            }

            pub fn index(self) -> usize {
                <Self as Id>::index(self)
            }
        }
    };
}

id! {
    /// A repository of the run: an index into `Workspace::repos`; `0` is
    /// the repository being checked.
    RepoId
}

id! {
    /// A file of the run: an index into `Workspace::files`.
    FileId
}

id! {
    /// A document of a file: its position among the file's documents.
    DocId
}

impl DocId {
    /// A file's first document (a kustomization's only one).
    pub const FIRST: DocId = DocId(0);
}

id! {
    /// An object the graph reached: an index into `Graph::occurrences`.
    OccurrenceId
}

id! {
    /// A platform registration the graph followed: an index into
    /// `Graph::registrations`.
    RegistrationId
}

id! {
    /// A step of a rendering — the patch, transformer or generator that
    /// set a value: an index into `render::Rendered::steps`.
    StepId
}

/// A table whose rows are addressed by one kind of [`Id`]. Reads like a
/// slice; indexing takes only its own id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdVec<I, T> {
    rows: Vec<T>,
    id: PhantomData<fn(I)>,
}

impl<I: Id, T> IdVec<I, T> {
    pub fn new() -> Self {
        Self::from(Vec::new())
    }

    /// Adds a row; returns its id.
    pub fn push(&mut self, row: T) -> I {
        self.rows.push(row);
        I::new(self.rows.len() - 1)
    }

    pub fn get(&self, id: I) -> Option<&T> {
        self.rows.get(id.index())
    }

    /// Rows with their ids.
    pub fn enumerate(&self) -> impl Iterator<Item = (I, &T)> {
        self.rows
            .iter()
            .enumerate()
            .map(|(i, row)| (I::new(i), row))
    }

    pub fn ids(&self) -> impl Iterator<Item = I> {
        (0..self.rows.len()).map(I::new)
    }
}

impl<I: Id, T> Default for IdVec<I, T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<I, T> From<Vec<T>> for IdVec<I, T> {
    fn from(rows: Vec<T>) -> Self {
        IdVec {
            rows,
            id: PhantomData,
        }
    }
}

impl<I, T> FromIterator<T> for IdVec<I, T> {
    fn from_iter<It: IntoIterator<Item = T>>(iter: It) -> Self {
        Self::from(iter.into_iter().collect::<Vec<T>>())
    }
}

impl<I, T> Deref for IdVec<I, T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.rows
    }
}

impl<I, T> DerefMut for IdVec<I, T> {
    fn deref_mut(&mut self) -> &mut [T] {
        &mut self.rows
    }
}

impl<I: Id, T> Index<I> for IdVec<I, T> {
    type Output = T;
    fn index(&self, id: I) -> &T {
        &self.rows[id.index()]
    }
}

impl<I: Id, T> IndexMut<I> for IdVec<I, T> {
    fn index_mut(&mut self, id: I) -> &mut T {
        &mut self.rows[id.index()]
    }
}

impl<'a, I, T> IntoIterator for &'a IdVec<I, T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.rows.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_is_indexed_by_its_own_id() {
        let mut files: IdVec<FileId, &str> = IdVec::new();
        let a = files.push("a.yaml");
        let b = files.push("b.yaml");
        assert_eq!((a.index(), b.index()), (0, 1));
        assert_eq!(files[b], "b.yaml");
        assert_eq!(
            files.enumerate().map(|(id, _)| id).collect::<Vec<_>>(),
            [a, b]
        );
        assert_eq!(files.len(), 2);
    }
}
