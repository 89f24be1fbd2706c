//! `gitops-lint schemas list|import`: what documents are checked against,
//! and CRDs turned into schemas.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use gitops_lint::{config, docs, schemas as schema};

use super::{fail, SchemasCommand};

/// The root of the repository the current directory is in.
fn current_repo_root() -> Result<PathBuf, String> {
    let cwd =
        std::env::current_dir().map_err(|e| format!("cannot read the current directory: {e}"))?;
    Ok(gitops_lint::find_root(&cwd).unwrap_or(cwd))
}

pub fn schemas(command: SchemasCommand) -> ExitCode {
    let root = match current_repo_root() {
        Ok(r) => r,
        Err(e) => return fail(&e),
    };
    let done = match command {
        SchemasCommand::List {
            kubernetes,
            kubernetes_version,
        } => {
            list(&root, kubernetes, kubernetes_version);
            Ok(())
        }
        SchemasCommand::Import { files, dir } => import(
            &files,
            &dir.unwrap_or_else(|| root.join(schema::crd::IMPORT_DIR)),
        ),
    };
    match done {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e),
    }
}

/// `schemas list`: apiVersion, kind and source of every schema, for the
/// configured Kubernetes version unless one is given.
fn list(root: &Path, kubernetes: bool, version: Option<String>) {
    let version = version.unwrap_or_else(|| {
        config::discover(root)
            .and_then(|p| config::load(&p, &docs::Catalog).ok())
            .map_or_else(
                || config::Config::default().kubernetes_version,
                |c| c.kubernetes_version,
            )
    });
    let (rows, problems) = schema::list(root, &version, kubernetes);
    for p in problems {
        eprintln!("gitops-lint: warning: {p}");
    }
    let width = rows.iter().map(|r| r.0.len()).max().unwrap_or(10);
    let kind_width = rows.iter().map(|r| r.1.len()).max().unwrap_or(4);
    let mut out = format!(
        "{:<width$}  {:<kind_width$}  source\n",
        "apiVersion", "kind"
    );
    for (api_version, kind, source) in rows {
        out.push_str(&format!(
            "{api_version:<width$}  {kind:<kind_width$}  {source}\n"
        ));
    }
    print!("{out}");
}

/// `schemas import`: each CRD file (`-`: stdin) into schemas under `dir`.
fn import(files: &[PathBuf], dir: &Path) -> Result<(), String> {
    for file in files {
        let (name, text) = read_input(file)?;
        let notes = schema::crd::import(&text, dir).map_err(|e| format!("{name}: {e}"))?;
        for note in notes {
            match note {
                schema::crd::ImportNote::Written {
                    path,
                    api_version,
                    kind,
                } => eprintln!("wrote {} ({kind} {api_version})", path.display()),
                schema::crd::ImportNote::Skipped { document, reason } => {
                    eprintln!("{name}: document {document} skipped: {reason}")
                }
            }
        }
    }
    Ok(())
}

/// A file's name and text, or stdin's for `-`.
fn read_input(file: &Path) -> Result<(String, String), String> {
    if file.as_os_str() == "-" {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
            .map_err(|e| format!("cannot read stdin: {e}"))?;
        return Ok(("<stdin>".to_string(), text));
    }
    std::fs::read_to_string(file)
        .map(|t| (file.display().to_string(), t))
        .map_err(|e| format!("cannot read {}: {e}", file.display()))
}
