//! The progress line a person watching a terminal sees.

use std::io::Write;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use gitops_lint::Progress;

/// A one-line progress indicator on stderr (`checking: 120/5000 files, 300
/// documents`), redrawn in place, shown only once a run has taken a moment,
/// and erased when the run ends.
pub struct ProgressLine {
    stop: mpsc::Sender<()>,
    handle: thread::JoinHandle<()>,
}

impl ProgressLine {
    const DELAY: Duration = Duration::from_millis(300);
    const TICK: Duration = Duration::from_millis(100);

    pub fn start(progress: Arc<Progress>) -> ProgressLine {
        let (stop, stopped) = mpsc::channel::<()>();
        let handle = thread::spawn(move || {
            let started = Instant::now();
            let mut drawn = false;
            while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(Self::TICK) {
                if started.elapsed() < Self::DELAY {
                    continue;
                }
                let (files, total, documents) = progress.snapshot();
                let mut err = std::io::stderr().lock();
                let _ = write!(
                    err,
                    "\r\x1b[2Kchecking: {files}/{total} files, {documents} documents"
                );
                let _ = err.flush();
                drawn = true;
            }
            if drawn {
                eprint!("\r\x1b[2K");
            }
        });
        ProgressLine { stop, handle }
    }

    pub fn finish(self) {
        let _ = self.stop.send(());
        let _ = self.handle.join();
    }
}
