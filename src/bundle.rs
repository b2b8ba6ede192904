//! `tandem release bundle R --out DIR`: a cut release packed for a deploy pipeline.
//! `pre-deploy/` holds expand(R)'s files (run before R's code rolls out), `post-deploy/`
//! contract(R)'s (run once every deployment runs R), with `runbook.md` and a
//! `manifest.json` that names every file with its SHA-256, the changes it serves, whether
//! it must run outside a transaction, and what R's code must no longer use. Files that
//! must run outside a transaction get Flyway's per-script configuration beside them.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::code_contract::{self, CodeContract};
use crate::diag::{Diag, Error, Location, Result, SourceFile};
use crate::lock::sha256_hex;
use crate::plan::{Plan, Slot};
use crate::project::Project;

pub const MANIFEST: &str = "manifest.json";
pub const PRE_DEPLOY: &str = "pre-deploy";
pub const POST_DEPLOY: &str = "post-deploy";

/// The manifest of a bundle.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    pub release: String,
    pub dialect: String,
    /// Every release up to and including this one, in order: what the fleet gate holds
    /// running clients against.
    pub releases: Vec<String>,
    pub files: Vec<BundledFile>,
    /// What R's code must no longer read or write (retired in R).
    pub stops_using: Vec<code_contract::Retired>,
    /// What R's code may read and write.
    pub uses: Vec<code_contract::TableUse>,
    /// The files of the baseline and of every release before this one, by slot: a
    /// database must have applied them all before this bundle runs. Absent from bundles
    /// written before it was recorded.
    #[serde(default)]
    pub requires: Vec<RequiredSlot>,
}

/// The files of one slot before a bundle's release.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RequiredSlot {
    /// The release, or `baseline`.
    pub release: String,
    /// `baseline`, `expand` or `contract`.
    pub phase: String,
    pub versions: Vec<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BundledFile {
    /// `expand` or `contract`.
    pub phase: String,
    pub version: i64,
    /// Path inside the bundle: `pre-deploy/V1000__expand_x.sql`.
    pub file: String,
    /// Path in the project's migrations directory.
    pub source: String,
    pub sha256: String,
    /// The change files it serves.
    pub changes: Vec<String>,
    /// Must run outside a transaction (`-- tandem:no-transaction`).
    pub no_transaction: bool,
}

/// Writes the bundle of cut release `release` into `out`, which must not exist or be
/// empty. The bundle is written beside it and moved in whole.
pub fn write(project: &Project, plan: &Plan, release: &str, out: &Path) -> Result<Manifest> {
    let r = plan.release_index(release)?;
    let Some(cut) = project.lock.release(release) else {
        return Err(
            Diag::refused(format!("refused: release {release} is not cut"))
                .note("a bundle ships the frozen files of a release, checked against tandem.lock")
                .help(format!("run `tandem release cut {release}` first"))
                .into(),
        );
    };
    if !plan.problems.is_empty() {
        return Err(plan.problems.clone().into());
    }
    let files = frozen_files(project, plan, release, r, cut)?;
    let contract: CodeContract = code_contract::of_release(plan, r);
    let manifest = Manifest {
        release: release.to_string(),
        dialect: project.config.dialect.name().to_string(),
        releases: plan.releases.names()[..=r].to_vec(),
        files: files.iter().map(|(f, _)| f.clone()).collect(),
        stops_using: contract.stops_using,
        uses: contract.uses,
        requires: required_slots(plan, r),
    };
    let runbook = crate::report::runbook(project, plan, release)?;
    ensure_empty(out)?;
    write_tree(out, &files, &runbook, &manifest)?;
    Ok(manifest)
}

/// The files of release `r` read from the migrations directory, each checked against
/// what the lock froze for it, with the bundle entry it becomes.
fn frozen_files(
    project: &Project,
    plan: &Plan,
    release: &str,
    r: usize,
    cut: &crate::lock::CutRelease,
) -> Result<Vec<(BundledFile, Vec<u8>)>> {
    let dir = &project.config.migrations_dir;
    let mut files = Vec::new();
    let mut problems = Vec::new();
    for f in plan.files.iter().filter(|f| f.slot.release() == Some(r)) {
        let path = dir.join(&f.path);
        let Ok(bytes) = std::fs::read(&path) else {
            problems.push(
                Diag::refused(format!(
                    "refused: {} is missing",
                    project.config.display(&path)
                ))
                .help("run `tandem generate`, or restore it"),
            );
            continue;
        };
        let sum = sha256_hex(&bytes);
        if !cut
            .files
            .iter()
            .any(|l| l.path == f.path && l.sha256 == sum)
        {
            problems.push(
                Diag::refused(format!(
                    "refused: {} differs from what tandem.lock recorded for release {release}",
                    project.config.display(&path)
                ))
                .help("restore it (git checkout); a cut release is frozen"),
            );
            continue;
        }
        let folder = match f.slot {
            Slot::Expand(_) => PRE_DEPLOY,
            _ => POST_DEPLOY,
        };
        let name = f.path.rsplit('/').next().unwrap_or(&f.path);
        files.push((
            BundledFile {
                phase: f.slot.phase().to_string(),
                version: f.version,
                file: format!("{folder}/{name}"),
                source: f.path.clone(),
                sha256: sum,
                changes: f.change_path.iter().cloned().collect(),
                no_transaction: f.rendered.no_transaction,
            },
            bytes,
        ));
    }
    for locked in &cut.files {
        if !plan.files.iter().any(|f| f.path == locked.path) {
            problems.push(Diag::refused(format!(
                "refused: tandem.lock records {} for release {release}, but the plan has no such file",
                locked.path
            )));
        }
    }
    if problems.is_empty() {
        Ok(files)
    } else {
        Err(problems.into())
    }
}

/// The versions of every file before release `r` (the baseline's, then each earlier
/// release's expand and contract), by slot, leaving out slots without files.
fn required_slots(plan: &Plan, r: usize) -> Vec<RequiredSlot> {
    let mut slots: Vec<RequiredSlot> = Vec::new();
    let mut before: Vec<_> = plan
        .files
        .iter()
        .filter(|f| f.slot.release().is_none_or(|x| x < r))
        .collect();
    before.sort_by_key(|f| (f.slot.order(), f.version));
    for f in before {
        let release = match f.slot.release() {
            Some(x) => plan.releases.name(x).to_string(),
            None => "baseline".to_string(),
        };
        let phase = f.slot.phase();
        match slots.last_mut() {
            Some(s) if s.release == release && s.phase == phase => s.versions.push(f.version),
            _ => slots.push(RequiredSlot {
                release,
                phase: phase.to_string(),
                versions: vec![f.version],
            }),
        }
    }
    slots
}

/// Refuses an `out` that exists with something in it.
fn ensure_empty(out: &Path) -> Result<()> {
    if out.exists()
        && std::fs::read_dir(out)
            .map_err(|e| Error::io(out, e))?
            .next()
            .is_some()
    {
        return Err(
            Diag::input(format!("{} exists and is not empty", out.display()))
                .help("name a new directory with --out, or remove this one")
                .into(),
        );
    }
    Ok(())
}

/// Writes the bundle's tree beside `out` and moves it in whole.
fn write_tree(
    out: &Path,
    files: &[(BundledFile, Vec<u8>)],
    runbook: &str,
    manifest: &Manifest,
) -> Result<()> {
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(|e| Error::io(&parent, e))?;
    let staging = tempfile::Builder::new()
        .prefix(".tandem-bundle-")
        .tempdir_in(&parent)
        .map_err(|e| Error::io(&parent, e))?;
    let root = staging.path();
    for folder in [PRE_DEPLOY, POST_DEPLOY] {
        let d = root.join(folder);
        std::fs::create_dir_all(&d).map_err(|e| Error::io(&d, e))?;
    }
    for (f, bytes) in files {
        let path = root.join(&f.file);
        std::fs::write(&path, bytes).map_err(|e| Error::io(&path, e))?;
        if f.no_transaction {
            // Flyway reads `<script>.conf` beside a script for its per-script settings.
            let conf = root.join(format!("{}.conf", f.file));
            std::fs::write(&conf, "executeInTransaction=false\n")
                .map_err(|e| Error::io(&conf, e))?;
        }
    }
    let write = |name: &str, text: &str| -> Result<()> {
        let path = root.join(name);
        std::fs::write(&path, text).map_err(|e| Error::io(&path, e))
    };
    write("runbook.md", runbook)?;
    write(
        MANIFEST,
        &(serde_json::to_string_pretty(manifest).expect("json") + "\n"),
    )?;
    if out.exists() {
        std::fs::remove_dir(out).map_err(|e| Error::io(out, e))?;
    }
    let staged = staging.keep();
    std::fs::rename(&staged, out).map_err(|e| {
        let _ = std::fs::remove_dir_all(&staged);
        Error::io(out, e)
    })?;
    Ok(())
}

/// Reads a bundle's manifest, checks its shape, and checks every file it names: inside
/// `pre-deploy/` or `post-deploy/` of the bundle (no `..`, no absolute path, no symbolic
/// link that leads out) and unchanged since its SHA-256 was recorded.
pub fn load(dir: &Path) -> Result<Manifest> {
    let path = dir.join(MANIFEST);
    let bytes = std::fs::read(&path).map_err(|e| {
        Error::from(
            Diag::input(format!("cannot read {}: {e}", path.display()))
                .help("point --bundle at a directory written by `tandem release bundle`"),
        )
    })?;
    let source = SourceFile::from_bytes(path.display().to_string(), bytes)?;
    let manifest: Manifest = serde_json::from_str(&source.text).map_err(|e| {
        let offset = offset_of(&source.text, e.line(), e.column());
        Diag::input(format!("{} is not a tandem manifest", source.path))
            .at(Location::new(&source, offset..offset))
            .label(e.to_string())
            .help("point --bundle at a directory written by `tandem release bundle`")
    })?;
    let shape = shape_problems(&manifest);
    let problems: Vec<Problem> = if shape.is_empty() {
        file_problems(dir, &manifest)
    } else {
        shape
    };
    if problems.is_empty() {
        Ok(manifest)
    } else {
        Err(problems
            .into_iter()
            .map(|p| p.place_in(&source))
            .collect::<Vec<_>>()
            .into())
    }
}

/// The byte offset of 1-based `line` and `column` in `text` (serde_json counts the
/// column in bytes; 0 at the start of a line).
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    let mut at = (start + column.saturating_sub(1)).min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// A problem of the manifest, with the JSON value it is about (found in the text to
/// point at it).
struct Problem {
    message: String,
    near: Option<serde_json::Value>,
    help: &'static str,
}

impl Problem {
    fn new(message: String, near: Option<serde_json::Value>) -> Problem {
        Problem {
            message,
            near,
            help: "write bundles with `tandem release bundle`; do not edit manifest.json",
        }
    }

    fn place_in(self, source: &std::sync::Arc<SourceFile>) -> Diag {
        let at = self.near.and_then(|v| {
            let text = serde_json::to_string(&v).ok()?;
            let i = source.text.find(&text)?;
            Some(Location::new(source, i..i + text.len()))
        });
        Diag::input(self.message).at_opt(at).help(self.help)
    }
}

/// What is wrong with the manifest's own fields, before any file is read.
fn shape_problems(m: &Manifest) -> Vec<Problem> {
    use serde_json::Value;
    let text = |s: &str| Some(Value::String(s.to_string()));
    let mut problems = Vec::new();
    let mut bad = |message: String, near: Option<Value>| {
        problems.push(Problem::new(message, near));
    };
    if let Err((why, _)) = crate::release::check_directory_name(&m.release) {
        bad(format!("the manifest's release: {why}"), text(&m.release));
    }
    if m.releases.last() != Some(&m.release) {
        bad(
            format!(
                "the manifest's `releases` must end with its release `{}`",
                m.release
            ),
            None,
        );
    }
    let mut seen = std::collections::HashSet::new();
    for name in &m.releases {
        if let Err((why, _)) = crate::release::check_directory_name(name) {
            bad(format!("the manifest's releases: {why}"), text(name));
        } else if !seen.insert(name.as_str()) {
            bad(
                format!("the manifest names release `{name}` twice"),
                text(name),
            );
        }
    }
    if crate::sql::Dialect::from_name(&m.dialect).is_none() {
        bad(
            format!("the manifest names an unknown dialect `{}`", m.dialect),
            text(&m.dialect),
        );
    }
    let mut versions = std::collections::HashSet::new();
    for f in &m.files {
        if let Err(why) = entry_problem(f) {
            bad(format!("manifest entry `{}`: {why}", f.file), text(&f.file));
        } else if !versions.insert(f.version) {
            bad(
                format!(
                    "manifest entry `{}`: version {} is named twice",
                    f.file, f.version
                ),
                text(&f.file),
            );
        }
    }
    for slot in &m.requires {
        if let Some(v) = slot
            .versions
            .iter()
            .find(|v| !(1..=i32::MAX as i64).contains(*v))
        {
            bad(
                format!(
                    "the manifest requires version {v} of {}, outside 1..={}",
                    slot.release,
                    i32::MAX
                ),
                None,
            );
        }
    }
    problems
}

/// What is wrong with one file entry, read alone.
fn entry_problem(f: &BundledFile) -> std::result::Result<(), String> {
    let folder = match f.phase.as_str() {
        "expand" => PRE_DEPLOY,
        "contract" => POST_DEPLOY,
        other => {
            return Err(format!(
                "phase `{other}` is neither `expand` nor `contract`"
            ))
        }
    };
    if !(1..=i32::MAX as i64).contains(&f.version) {
        return Err(format!("version {} is outside 1..={}", f.version, i32::MAX));
    }
    let expected = format!("{folder}/V{}__", f.version);
    let name_ok = f.file.strip_prefix(&expected).is_some_and(|rest| {
        rest.strip_suffix(".sql").is_some_and(|stem| {
            !stem.is_empty() && stem.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
    });
    if !name_ok {
        return Err(format!(
            "a {} file must be `{expected}<letters, digits and _>.sql`, directly inside {folder}/",
            f.phase
        ));
    }
    if f.sha256.len() != 64 || !f.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err("its sha256 is not 64 hex digits".to_string());
    }
    Ok(())
}

/// Every named file that leads out of its folder, cannot be read, or differs from its
/// SHA-256.
fn file_problems(dir: &Path, m: &Manifest) -> Vec<Problem> {
    let mut problems = Vec::new();
    let text = |s: &str| Some(serde_json::Value::String(s.to_string()));
    for f in &m.files {
        let file = dir.join(&f.file);
        let folder = f.file.split('/').next().unwrap_or_default();
        let inside = match (file.canonicalize(), dir.canonicalize()) {
            (Ok(real), Ok(root)) => real.starts_with(root.join(folder)),
            _ => true, // not there: the read below says so
        };
        if !inside {
            problems.push(Problem::new(
                format!(
                    "manifest entry `{}` leads out of the bundle's {folder}/ (a symbolic link)",
                    f.file
                ),
                text(&f.file),
            ));
            continue;
        }
        match std::fs::read(&file) {
            Ok(bytes) if sha256_hex(&bytes) == f.sha256.to_ascii_lowercase() => {}
            Ok(_) => problems.push(Problem::new(
                format!(
                    "{} differs from the SHA-256 its manifest records",
                    file.display()
                ),
                text(&f.file),
            )),
            Err(e) => problems.push(Problem::new(
                format!("cannot read {}: {e}", file.display()),
                text(&f.file),
            )),
        }
    }
    problems
}
