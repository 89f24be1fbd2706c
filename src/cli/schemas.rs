//! `gitops-lint schemas list|import`: what documents are checked against,
//! and CRDs turned into schemas.

use std::path::PathBuf;
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
    match command {
        SchemasCommand::List {
            kubernetes,
            kubernetes_version,
        } => {
            let version = kubernetes_version.unwrap_or_else(|| {
                config::discover(&root)
                    .and_then(|p| config::load(&p, &docs::Catalog).ok())
                    .map_or_else(
                        || config::Config::default().kubernetes_version,
                        |c| c.kubernetes_version,
                    )
            });
            let (rows, problems) = schema::list(&root, &version, kubernetes);
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
            ExitCode::SUCCESS
        }
        SchemasCommand::Import { files, dir } => {
            let dir = dir.unwrap_or_else(|| root.join(schema::crd::IMPORT_DIR));
            for file in files {
                let (name, text) = if file.as_os_str() == "-" {
                    let mut text = String::new();
                    if let Err(e) = std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
                    {
                        return fail(&format!("cannot read stdin: {e}"));
                    }
                    ("<stdin>".to_string(), text)
                } else {
                    match std::fs::read_to_string(&file) {
                        Ok(t) => (file.display().to_string(), t),
                        Err(e) => return fail(&format!("cannot read {}: {e}", file.display())),
                    }
                };
                let notes = match schema::crd::import(&text, &dir) {
                    Ok(n) => n,
                    Err(e) => return fail(&format!("{name}: {e}")),
                };
                for note in notes {
                    match note {
                        schema::crd::ImportNote::Written {
                            path,
                            api_version,
                            kind,
                        } => {
                            eprintln!("wrote {} ({kind} {api_version})", path.display())
                        }
                        schema::crd::ImportNote::Skipped { document, reason } => {
                            eprintln!("{name}: document {document} skipped: {reason}")
                        }
                    }
                }
            }
            ExitCode::SUCCESS
        }
    }
}
