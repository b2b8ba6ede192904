//! A project on disk: settings, baseline, change files and the lock, loaded and checked.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::config::Config;
use crate::diag::{Diag, Error, Result, SourceFile};
use crate::lock::Lock;
use crate::model::Schema;
use crate::parse::change::{parse_change_in, Change};
use crate::parse::schema::parse_project_schema;
use crate::templates::Templates;

#[derive(Debug)]
pub struct Project {
    pub config: Config,
    pub templates: Templates,
    pub baseline: Schema,
    pub schema_file: Arc<SourceFile>,
    /// Change files, in file-name order.
    pub changes: Vec<Change>,
    pub lock: Lock,
}

impl Project {
    pub fn load(root: &Path) -> Result<Project> {
        let config = Config::load(root)?;
        let templates = Templates::load(config.templates_dir.as_deref())?;
        let schema_file = read_source(&config, &config.schema)?;
        let baseline = parse_project_schema(&schema_file, config.dialect)?;
        let mut changes = Vec::new();
        for path in change_files(&config.changes_dir)? {
            let file = read_source(&config, &path)?;
            // An empty file is a change not written yet (`diff --to ... > changes/x.toml`
            // makes it before tandem runs): it changes nothing.
            if file.text.trim().is_empty() {
                continue;
            }
            changes.push(parse_change_in(&file, config.dialect)?);
        }
        let lock = Lock::load(&config)?;
        Ok(Project {
            config,
            templates,
            baseline,
            schema_file,
            changes,
            lock,
        })
    }
}

/// Reads a project file, naming it relative to the project in messages.
pub fn read_source(config: &Config, path: &Path) -> Result<Arc<SourceFile>> {
    let bytes = std::fs::read(path)
        .map_err(|e| Diag::input(format!("cannot read {}: {e}", config.display(path))))?;
    SourceFile::from_bytes(config.display(path), bytes)
}

/// The `*.toml` files of the changes directory, sorted by name.
pub fn change_files(dir: &Path) -> Result<Vec<PathBuf>> {
    if !dir.exists() {
        return Ok(Vec::new());
    }
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let path = entry.path();
        if path.is_file() && path.extension().is_some_and(|e| e == "toml") {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}
