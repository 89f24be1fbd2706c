//! The cache of results (`--cache-dir`, off with `--no-cache`): a run
//! whose every input is unchanged returns the report of the run that last
//! saw those inputs, without parsing, rendering or checking anything.
//!
//! What a report depends on, and how each is compared:
//! - the binary (its version, size and modification time), the options
//!   that change what is checked, the effective config and the
//!   repositories: the *settings*, compared as text;
//! - every YAML file the walk found (the set, in order, and each one's
//!   content);
//! - everything else the run looked at on disk ([`crate::workspace::DiskReads`]: a
//!   generator's files, a chart's `values.schema.json`, whether a
//!   referenced path exists) and each repository's imported CRD schemas.
//!
//! A file's content is identified by a 128-bit hash. As Git's index does,
//! its size and modification time stand in for the hash when they are
//! unchanged and the file was last modified well before the run that
//! wrote the entry began (a change within the same timestamp tick would
//! otherwise go unseen); any other file is read and hashed again.
//!
//! One entry per settings, named by their hash: switching between two
//! configs or rule selections keeps both. Every write goes to a new file
//! renamed into place, so a reader never sees half an entry; an entry that
//! cannot be read or decoded is a miss, never an error.

use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::xxh3_128;

use crate::base::finding::Finding;
use crate::base::source::SourceText;
use crate::report::{Report, RepositoryBase};
use crate::schema::crd::IMPORT_DIR;
use crate::workspace::discover::SourceFile;
use crate::workspace::Workspace;

/// Bump when the entry format changes (the binary's identity changes with
/// every build anyway; this guards a hand-copied cache).
const FORMAT: u32 = 1;

/// A file modified less than this before the run that wrote an entry began
/// is hashed again rather than trusted by its time stamp: file systems
/// keep times to a tick (ext4: a few milliseconds, FAT: 2 seconds).
const RACY: Duration = Duration::from_secs(2);

/// Entries kept in a cache directory; the least recently written beyond
/// this are removed when a new one is written.
const MAX_ENTRIES: usize = 64;

/// The cache of one run: where its entry lives, what it was keyed on, and
/// the entry a previous run wrote for the same settings.
pub(super) struct Cache {
    dir: PathBuf,
    entry: PathBuf,
    settings: String,
    /// When this run began to walk: files modified after it may have been
    /// read in either state.
    walked_at: u128,
    previous: Option<Entry>,
}

impl Cache {
    /// The cache in `dir` for a run with these settings (see the module
    /// doc); call before the walk.
    pub(super) fn new(dir: &Path, settings: String) -> Cache {
        wait_for_writes();
        let name = format!("{:032x}.json", xxh3_128(settings.as_bytes()));
        let entry = dir.join(name);
        let previous = fs::read(&entry)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Entry>(&bytes).ok())
            .filter(|e| e.format == FORMAT && e.settings == settings);
        Cache {
            entry,
            dir: dir.to_path_buf(),
            settings,
            walked_at: nanos(SystemTime::now()),
            previous,
        }
    }

    /// The previous report, when no directory the previous run walked has
    /// changed (so a walk would find the same files) and no input has:
    /// no walk needed. `None` leaves the question to [`Cache::after_walk`]
    /// when the directories could not vouch for the listing.
    pub(super) fn before_walk(&mut self) -> Option<Report> {
        let previous = self.previous.as_ref()?;
        let trusted_before = previous.trusted_before();
        let listed = previous
            .dirs
            .par_iter()
            .all(|dir| dir.unchanged(trusted_before));
        if !listed {
            return None;
        }
        let previous = self.previous.take()?;
        previous
            .inputs_unchanged()
            .then(|| previous.report.into_report())?
    }

    /// The previous report, when the walk found the same files and no
    /// input changed.
    pub(super) fn after_walk(&mut self, sources: &[SourceFile]) -> Option<Report> {
        let previous = self.previous.take()?;
        let mut found: Vec<&Path> = sources.iter().map(|s| s.abs.as_path()).collect();
        found.sort_unstable();
        let mut kept: Vec<&Path> = previous.files.iter().map(|s| s.path.as_path()).collect();
        kept.sort_unstable();
        let same_files = found == kept;
        (same_files && previous.inputs_unchanged()).then(|| previous.report.into_report())?
    }

    /// Writes the entry for this run's report, with the directories the
    /// walk entered; the entry is serialized and written on a thread of its
    /// own (see [`wait_for_writes`]). Failing to write is not an error of
    /// the run: the next run is simply not faster.
    pub(super) fn store(&self, ws: &Workspace, dirs: &[PathBuf], report: &Report) {
        // Stamped after the checks: taking the stamps on a thread beside
        // them was measured slower (they already use every core).
        let Some((files, dirs)) = stamps(ws, dirs) else {
            return;
        };
        let entry = Entry {
            format: FORMAT,
            settings: self.settings.clone(),
            walked_at: self.walked_at,
            disk: disk_probes(ws, &dirs, self.walked_at),
            files,
            dirs,
            report: CachedReport::of(report),
        };
        let (dir, path) = (self.dir.clone(), self.entry.clone());
        let write = std::thread::spawn(move || {
            let Ok(json) = serde_json::to_vec(&entry) else {
                return;
            };
            if fs::create_dir_all(&dir).is_ok() && write_new(&dir, &path, &json).is_ok() {
                prune(&dir, MAX_ENTRIES);
            }
        });
        if let Ok(mut pending) = PENDING.lock() {
            pending.push(write);
        }
    }
}

/// The stamps of the walked files and of the directories entered; `None`
/// when one of them is gone.
fn stamps(ws: &Workspace, dirs: &[PathBuf]) -> Option<(Vec<Stamp>, Vec<Stamp>)> {
    let files = ws
        .files
        .par_iter()
        .map(|f| {
            // The text the run read, whatever the file holds by now.
            let hash = f
                .problem
                .is_none()
                .then(|| xxh3_128(f.source.text.as_bytes()));
            Stamp::of(&f.file.abs, hash)
        })
        .collect::<Option<Vec<_>>>()?;
    let dirs = dirs
        .par_iter()
        .map(|dir| Stamp::of(dir, None))
        .collect::<Option<Vec<_>>>()?;
    Some((files, dirs))
}

/// Entries being written. Serializing one is a sizeable share of a run
/// (the masked sources of every file with a finding), so it is done while
/// the caller prints the report; a process waits for it before exiting.
static PENDING: Mutex<Vec<JoinHandle<()>>> = Mutex::new(Vec::new());

/// Waits until every cache entry this process began to write is written
/// (or failed). The CLI calls it before exiting; each run calls it before
/// reading the cache, so a run sees the entry of the run before it.
pub fn wait_for_writes() {
    let pending = PENDING.lock().map(|mut p| std::mem::take(&mut *p));
    for write in pending.unwrap_or_default() {
        let _ = write.join();
    }
}

/// The path, size, modification time and content hash of a file.
#[derive(Serialize, Deserialize)]
struct Stamp {
    path: PathBuf,
    len: u64,
    modified: u128,
    /// `None` for a file whose content the run could not use (too large,
    /// not UTF-8): only an unchanged time stamp vouches for it.
    hash: Option<u128>,
}

impl Stamp {
    /// The stamp of the file at `path` now, with `hash`.
    fn of(path: &Path, hash: Option<u128>) -> Option<Stamp> {
        let meta = fs::metadata(path).ok()?;
        Some(Stamp {
            path: path.to_path_buf(),
            len: meta.len(),
            modified: nanos(meta.modified().ok()?),
            hash,
        })
    }

    fn unchanged(&self, trusted_before: u128) -> bool {
        let Ok(meta) = fs::metadata(&self.path) else {
            return false;
        };
        let modified = meta.modified().map(nanos).unwrap_or(u128::MAX);
        if meta.len() == self.len && modified == self.modified && modified < trusted_before {
            return true;
        }
        match self.hash {
            Some(hash) if meta.len() == self.len => {
                fs::read(&self.path).is_ok_and(|bytes| xxh3_128(&bytes) == hash)
            }
            _ => false,
        }
    }
}

/// What was at a path the run looked at outside the walk.
#[derive(Serialize, Deserialize)]
enum Probe {
    Missing,
    /// A directory, and the hash of its sorted entry names when the run
    /// listed it (the imported schemas), else `None` (only its existence
    /// mattered).
    Dir(Option<u128>),
    File(Stamp),
    /// Something else (a socket, a dangling link): only its kind is kept.
    Other,
}

impl Probe {
    /// What is at `path` now. A file is read again for its hash, after the
    /// run: when it was modified since the run began (`walked_at`), the run
    /// may have read the earlier content, so no hash vouches for it.
    fn of(path: &Path, listed: bool, walked_at: u128) -> Probe {
        match fs::metadata(path) {
            Err(_) => Probe::Missing,
            Ok(meta) if meta.is_dir() => Probe::Dir(listed.then(|| listing(path)).flatten()),
            Ok(meta) if meta.is_file() => {
                let hash = fs::read(path).ok().map(|b| xxh3_128(&b));
                let Some(mut stamp) = Stamp::of(path, hash) else {
                    return Probe::Missing;
                };
                if stamp.modified >= walked_at {
                    stamp.hash = None;
                }
                Probe::File(stamp)
            }
            Ok(_) => Probe::Other,
        }
    }

    fn unchanged(&self, path: &Path, trusted_before: u128) -> bool {
        match (self, fs::metadata(path)) {
            (Probe::Missing, Err(_)) => true,
            (Probe::Dir(None), Ok(meta)) => meta.is_dir(),
            (Probe::Dir(Some(hash)), Ok(meta)) => meta.is_dir() && listing(path) == Some(*hash),
            (Probe::File(stamp), Ok(meta)) => meta.is_file() && stamp.unchanged(trusted_before),
            (Probe::Other, Ok(meta)) => !meta.is_dir() && !meta.is_file(),
            _ => false,
        }
    }
}

/// Every path the run looked at outside the walk; each repository's
/// imported CRD schemas (the directory's entries, and each file); and the
/// ignore files that shaped the walk (one created later changes its
/// directory's time stamp; one edited does not).
fn disk_probes(ws: &Workspace, dirs: &[Stamp], walked_at: u128) -> Vec<(PathBuf, Probe)> {
    let mut paths: Vec<(PathBuf, bool)> = ws.disk.paths().into_iter().map(|p| (p, false)).collect();
    for repo in ws.repos.iter() {
        let dir = repo.root.join(IMPORT_DIR);
        if let Ok(entries) = fs::read_dir(&dir) {
            paths.extend(entries.filter_map(|e| Some((e.ok()?.path(), false))));
        }
        paths.push((dir, true));
        paths.push((repo.root.join(".git/info/exclude"), false));
    }
    // Looked for in every directory entered: an ignore file that ignores
    // itself is not walked, but its rules apply.
    let ignore_files: Vec<PathBuf> = dirs
        .par_iter()
        .flat_map_iter(|dir| IGNORE_FILES.iter().map(|name| dir.path.join(name)))
        .filter(|path| path.is_file())
        .collect();
    paths.extend(ignore_files.into_iter().map(|p| (p, false)));
    paths
        .into_par_iter()
        .map(|(path, listed)| {
            let probe = Probe::of(&path, listed, walked_at);
            (path, probe)
        })
        .collect()
}

/// The hash of a directory's entry names, sorted.
fn listing(dir: &Path) -> Option<u128> {
    let mut names: Vec<_> = fs::read_dir(dir)
        .ok()?
        .filter_map(|e| Some(e.ok()?.file_name()))
        .collect();
    names.sort();
    let joined: Vec<u8> = names
        .iter()
        .flat_map(|n| n.as_encoded_bytes().iter().copied().chain([0]))
        .collect();
    Some(xxh3_128(&joined))
}

/// One cache entry.
#[derive(Serialize, Deserialize)]
struct Entry {
    format: u32,
    settings: String,
    walked_at: u128,
    /// The walked files.
    files: Vec<Stamp>,
    /// The directories the walk entered (no hash: their time stamps only).
    dirs: Vec<Stamp>,
    disk: Vec<(PathBuf, Probe)>,
    report: CachedReport,
}

impl Entry {
    /// Time stamps from before this are trusted (see [`RACY`]).
    fn trusted_before(&self) -> u128 {
        self.walked_at.saturating_sub(RACY.as_nanos())
    }

    /// Whether every file the run read, and every path it looked at,
    /// holds what it held.
    fn inputs_unchanged(&self) -> bool {
        let trusted_before = self.trusted_before();
        self.files
            .par_iter()
            .all(|stamp| stamp.unchanged(trusted_before))
            && self
                .disk
                .par_iter()
                .all(|(path, probe)| probe.unchanged(path, trusted_before))
    }
}

/// A [`Report`] as kept on disk: the masked sources as text (their line
/// index is rebuilt), without the timing.
#[derive(Serialize, Deserialize)]
struct CachedReport {
    root: PathBuf,
    findings: Vec<Finding>,
    files: usize,
    documents: usize,
    sources: Vec<(String, String)>,
    notices: Vec<String>,
    repositories: Vec<RepositoryBase>,
}

impl CachedReport {
    fn of(report: &Report) -> CachedReport {
        let mut sources: Vec<(String, String)> = report
            .sources
            .iter()
            .map(|(path, source)| (path.clone(), source.text.clone()))
            .collect();
        sources.sort();
        CachedReport {
            root: report.root.clone(),
            findings: report.findings.clone(),
            files: report.files,
            documents: report.documents,
            sources,
            notices: report.notices.clone(),
            repositories: report.repositories.clone(),
        }
    }

    /// The report, if every finding names a rule this binary has (an entry
    /// is only read by the binary that wrote it, but it is a file anyone
    /// could edit).
    fn into_report(self) -> Option<Report> {
        let known = |id: &str| crate::rules::RULES.iter().any(|r| r.id() == id);
        if !self.findings.iter().all(|f| known(f.rule)) {
            return None;
        }
        let sources: HashMap<String, Arc<SourceText>> = self
            .sources
            .into_iter()
            .map(|(path, text)| (path, SourceText::new(text)))
            .collect();
        Some(Report {
            root: self.root,
            findings: self.findings,
            files: self.files,
            documents: self.documents,
            elapsed: Duration::ZERO,
            sources,
            notices: self.notices,
            repositories: self.repositories,
        })
    }
}

fn nanos(t: SystemTime) -> u128 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos())
}

/// Writes `bytes` to a new file in `dir`, then renames it to `path`.
fn write_new(dir: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = dir.join(format!(
        ".tmp-{}-{:x}",
        std::process::id(),
        nanos(SystemTime::now())
    ));
    let written = (|| {
        let mut file = create_private(&tmp)?;
        // No fsync: an entry cut short by a crash fails to decode, a miss.
        file.write_all(bytes)?;
        fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    written
}

/// A new file only its owner can read: an entry holds the sources of the
/// files with findings (masked, but still the repository's content).
fn create_private(path: &Path) -> std::io::Result<fs::File> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

/// The files in a directory that the walk reads as ignore rules.
const IGNORE_FILES: [&str; 2] = [".gitignore", ".ignore"];

/// Keeps the `keep` most recently written entries of `dir`.
fn prune(dir: &Path, keep: usize) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut found: Vec<(SystemTime, PathBuf)> = entries
        .filter_map(|e| {
            let e = e.ok()?;
            let path = e.path();
            let ours = path.extension().is_some_and(|x| x == "json");
            let modified = e.metadata().ok()?.modified().ok()?;
            ours.then_some((modified, path))
        })
        .collect();
    if found.len() <= keep {
        return;
    }
    found.sort_by_key(|e| std::cmp::Reverse(e.0));
    for (_, path) in found.drain(keep..) {
        let _ = fs::remove_file(path);
    }
}
