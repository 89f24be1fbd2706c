//! `gitops-lint init`: a commented default configuration.

use std::path::PathBuf;
use std::process::ExitCode;

use gitops_lint::config;

use super::fail;

pub fn init(force: bool) -> ExitCode {
    let path = PathBuf::from(config::FILE_NAME);
    if path.exists() && !force {
        return fail(&format!(
            "{} already exists (use --force to overwrite)",
            config::FILE_NAME
        ));
    }
    if let Err(e) = std::fs::write(&path, config::INIT_TEMPLATE) {
        return fail(&format!("cannot write {}: {e}", path.display()));
    }
    eprintln!("wrote {}", config::FILE_NAME);
    ExitCode::SUCCESS
}
