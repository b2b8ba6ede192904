//! Where each planned file goes and what it holds: refinery-compatible names, versions
//! that strictly increase in apply order and never change once written, headers, and a
//! checksum trailer that tells a generated file from a hand-edited one.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use tera::Context;

use crate::diag::{Diag, Error, Kind, Result};
use crate::lock::{sha256_hex, LockedFile};
use crate::plan::{Plan, PlannedFile, WrittenContracts};
use crate::project::Project;

/// Stands for the version while the path of a file is not numbered yet.
const VERSION_SENTINEL: &str = "{version}";
/// The trailer line holding the checksum of everything above it.
pub const CHECKSUM_PREFIX: &str = "-- tandem:sha256 ";
/// The header line of a file that must run outside a transaction.
pub const NO_TRANSACTION_MARK: &str = "-- tandem:no-transaction";
/// Spacing of versions: each release starts at a multiple of this, files step by `STEP`.
const RELEASE_BLOCK: i64 = 1000;
const STEP: i64 = 10;
/// Stands for the SQL body while the header template renders, so that everything the
/// template writes around it can be checked to be comments.
const BODY_SENTINEL: &str = "@@tandem:body@@";

/// The plan of a project with its files laid out: what every command that shows, writes
/// or checks migration files works from.
pub fn build_plan(project: &Project) -> Result<Plan> {
    let written = written_contracts(project)?;
    let mut plan = crate::plan::build(project, &written)?;
    assign(project, &mut plan)?;
    let on_disk = written_files(project, &plan)?;
    let refusals =
        crate::plan::placeholder_refusals(project, &written, &plan.releases, &plan.files, &on_disk);
    plan.problems.extend(refusals);
    Ok(plan)
}

/// Whether each file of a laid-out plan is written already: on disk or in tandem.lock,
/// under its name whatever its version.
fn written_files(project: &Project, plan: &Plan) -> Result<Vec<bool>> {
    let on_disk = existing_versions(&project.config.migrations_dir)?;
    let locked: BTreeSet<String> = project
        .lock
        .releases
        .iter()
        .flat_map(|c| &c.files)
        .filter_map(|f| key_of(&f.path).map(|(k, _)| k))
        .collect();
    Ok(plan
        .files
        .iter()
        .map(|f| {
            key_of(&f.path).is_some_and(|(k, _)| on_disk.contains_key(&k) || locked.contains(&k))
        })
        .collect())
}

/// Numbers, names and fills every file of the plan.
pub fn assign(project: &Project, plan: &mut Plan) -> Result<()> {
    let config = &project.config;
    let templates = &project.templates;
    // Unnumbered paths first: they key the versions already on disk or in the lock.
    let mut keys = Vec::with_capacity(plan.files.len());
    for file in &plan.files {
        let release = file
            .slot
            .release()
            .map(|r| plan.releases.name(r))
            .unwrap_or("");
        let slug = file
            .change
            .map(|ci| project.changes[ci].slug())
            .unwrap_or_else(|| "baseline".into());
        let mut context = Context::new();
        context.insert("release", release);
        context.insert("phase", file.slot.phase());
        context.insert("slug", &slug);
        context.insert("version", VERSION_SENTINEL);
        let path = templates
            .render("file_name.tera", &context)?
            .trim()
            .to_string();
        keys.push(path);
    }
    check_distinct_names(project, plan, &keys)?;
    let mut anchors = existing_versions(&config.migrations_dir)?;
    for cut in &project.lock.releases {
        for f in &cut.files {
            if let Some((key, version)) = key_of(&f.path) {
                anchors.entry(key).or_insert(version);
            }
        }
    }
    let releases: Vec<Option<usize>> = plan.files.iter().map(|f| f.slot.release()).collect();
    let versions = number(&keys, &releases, &anchors)?;

    let paths: Vec<String> = keys
        .iter()
        .zip(&versions)
        .map(|(k, v)| k.replace(VERSION_SENTINEL, &v.to_string()))
        .collect();
    for path in &paths {
        validate_path(path)?;
    }
    for i in 0..plan.files.len() {
        let file = &plan.files[i];
        // Only what the file's own steps are goes into it: nothing about its pair, the
        // release before it or the change's summary, so that adding a release or editing
        // a summary never changes a file a database may have applied.
        let release = file
            .slot
            .release()
            .map(|r| plan.releases.name(r).to_string())
            .unwrap_or_default();
        let change = match file.change {
            Some(ci) => project.changes[ci].file.path.clone(),
            None => project.schema_file.path.clone(),
        };
        let mut context = Context::new();
        context.insert("release", &inert(&release));
        context.insert("phase", file.slot.phase());
        context.insert("change", &inert(&change));
        context.insert("version", &versions[i]);
        context.insert("path", &paths[i]);
        context.insert("dialect", config.dialect.name());
        let steps: Vec<String> = file.steps.iter().map(|s| inert(&s.description)).collect();
        context.insert("steps", &steps);
        context.insert("no_transaction", &file.rendered.no_transaction);
        context.insert("body", BODY_SENTINEL);
        let frame = templates.render("migration.sql.tera", &context)?;
        check_frame_is_comment(&frame)?;
        let mut text = frame.replacen(BODY_SENTINEL, &file.rendered.chunks.join("\n\n"), 1);
        if file.rendered.no_transaction
            && !text.lines().any(|l| {
                l.trim() == NO_TRANSACTION_MARK || l.starts_with(&format!("{NO_TRANSACTION_MARK} "))
            })
        {
            text = format!("{NO_TRANSACTION_MARK}\n{text}");
        }
        let content = seal(&text);
        let file = &mut plan.files[i];
        file.change_path = file.change.map(|_| change.clone());
        file.version = versions[i];
        file.path = paths[i].clone();
        file.content = content;
    }
    check_lock(project, plan);
    Ok(())
}

/// Stands for the release while a file name is matched against the files on disk.
const RELEASE_SENTINEL: &str = "{release}";

/// The releases in which each change already has a contract file, on disk or in the
/// lock, by name: where its later steps were placed when that file was written.
/// Recognised where the file name template puts the release in the directory part.
pub fn written_contracts(project: &Project) -> Result<WrittenContracts> {
    let mut by_name: HashMap<String, Vec<String>> = HashMap::new();
    let on_disk = existing_versions(&project.config.migrations_dir)?.into_keys();
    let locked = project
        .lock
        .releases
        .iter()
        .flat_map(|c| &c.files)
        .filter_map(|f| key_of(&f.path).map(|(k, _)| k));
    for key in on_disk.chain(locked) {
        if let Some((dir, name)) = key.rsplit_once('/') {
            by_name
                .entry(name.to_string())
                .or_default()
                .push(dir.to_string());
        }
    }
    let mut out = HashMap::new();
    if by_name.is_empty() {
        return Ok(out);
    }
    for (ci, change) in project.changes.iter().enumerate() {
        let mut context = Context::new();
        context.insert("release", RELEASE_SENTINEL);
        context.insert("phase", "contract");
        context.insert("slug", &change.slug());
        context.insert("version", VERSION_SENTINEL);
        let pattern = project.templates.render("file_name.tera", &context)?;
        let Some((dir, name)) = pattern.trim().rsplit_once('/') else {
            continue;
        };
        let Some((pre, post)) = dir.split_once(RELEASE_SENTINEL) else {
            continue;
        };
        if name.contains(RELEASE_SENTINEL) {
            continue;
        }
        let Some(dirs) = by_name.get(name) else {
            continue;
        };
        let mut found: Vec<String> = dirs
            .iter()
            .filter_map(|d| d.strip_prefix(pre)?.strip_suffix(post))
            .map(str::to_string)
            .collect();
        found.sort_unstable();
        found.dedup();
        if !found.is_empty() {
            out.insert(ci, found);
        }
    }
    Ok(out)
}

/// A value as it may stand in a header comment: on one line, with line breaks and
/// other control characters written as escapes, so no byte of it can end the comment.
pub fn inert(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32))
            }
            c => out.push(c),
        }
    }
    out
}

/// Everything the file template writes around the body must be inert: blank lines or
/// `-- ` comments (MySQL needs the space after `--`). The body must appear exactly once.
fn check_frame_is_comment(frame: &str) -> Result<()> {
    let mut bodies = 0;
    for line in frame.lines() {
        let trimmed = line.trim();
        if trimmed.contains(BODY_SENTINEL) {
            bodies += 1;
            if trimmed == BODY_SENTINEL {
                continue;
            }
        } else if trimmed.is_empty() || trimmed == "--" || trimmed.starts_with("-- ") {
            continue;
        }
        return Err(Diag::input(
            "migration.sql.tera writes something other than comments around the SQL",
        )
        .note(format!("this line would run as SQL: {}", inert(line)))
        .help("write headers as `-- ` comment lines, and `{{ body }}` alone on its line")
        .into());
    }
    if bodies != 1 {
        return Err(Diag::input(format!(
            "migration.sql.tera writes `{{{{ body }}}}` {bodies} times; it must write it exactly once"
        ))
        .into());
    }
    Ok(())
}

/// Two files under one name would take turns at the same version on every `generate`:
/// the change files behind them must be told apart.
fn check_distinct_names(project: &Project, plan: &Plan, keys: &[String]) -> Result<()> {
    let mut seen: HashMap<&str, usize> = HashMap::with_capacity(keys.len());
    for (i, key) in keys.iter().enumerate() {
        let Some(&first) = seen.get(key.as_str()) else {
            seen.insert(key, i);
            continue;
        };
        let source = |j: usize| match plan.files[j].change {
            Some(ci) => project.changes[ci].file.path.clone(),
            None => project.schema_file.path.clone(),
        };
        let (a, b) = (source(first), source(i));
        let shown = key.replace(VERSION_SENTINEL, "<version>");
        return Err(Diag::input(format!(
            "{a} and {b} would both be written as {shown}"
        ))
        .note("file names keep only letters, digits and `_` of a change file's name, in lower case")
        .help(format!("rename one of them so that the names differ in more than punctuation or case, e.g. {}", suggest_rename(&b)))
        .into());
    }
    Ok(())
}

/// `changes/0004-a.toml` -> `changes/0004-a_2.toml`.
fn suggest_rename(path: &str) -> String {
    match path.rsplit_once('.') {
        Some((stem, ext)) => format!("{stem}_2.{ext}"),
        None => format!("{path}_2"),
    }
}

/// Appends the checksum trailer.
pub fn seal(text: &str) -> String {
    let body = text.trim_end();
    let mut out = String::with_capacity(body.len() + CHECKSUM_PREFIX.len() + 66);
    out.push_str(body);
    out.push('\n');
    let sum = sha256_hex(out.as_bytes());
    out.push_str(CHECKSUM_PREFIX);
    out.push_str(&sum);
    out.push('\n');
    out
}

/// Whether a file still holds exactly what tandem wrote: its trailer matches the rest.
/// `None` when it has no trailer (not written by tandem).
pub fn is_pristine(content: &str) -> Option<bool> {
    let idx = content.rfind(CHECKSUM_PREFIX)?;
    if idx > 0 && !content[..idx].ends_with('\n') {
        return Some(false);
    }
    let (body, trailer) = content.split_at(idx);
    let recorded = trailer[CHECKSUM_PREFIX.len()..].trim();
    Some(sha256_hex(body.as_bytes()) == recorded)
}

/// The path the change file of `file` had when the migration file it made was named
/// `former` (its name after `V<n>__`, as a database's history records it: e.g.
/// `expand_0007_drop_legacy`), if the name shows it: a file is named after its change, so
/// renaming the change renames the file. `None` when `former` is the name it has now.
pub fn former_change_path(file: &PlannedFile, former: &str) -> Option<String> {
    let change = file.change_path.as_deref()?;
    let (dir, name) = change
        .rsplit_once('/')
        .map_or(("", change), |(d, n)| (d, n));
    let (stem, ext) = name.rsplit_once('.').unwrap_or((name, ""));
    let now = file.path.rsplit('/').next()?.strip_suffix(".sql")?;
    let now = now.split_once("__")?.1;
    let at = now.find(stem).filter(|_| !stem.is_empty())?;
    let (prefix, suffix) = (&now[..at], &now[at + stem.len()..]);
    let old = former.strip_prefix(prefix)?.strip_suffix(suffix)?;
    if old.is_empty() || old == stem {
        return None;
    }
    let dir = if dir.is_empty() {
        String::new()
    } else {
        format!("{dir}/")
    };
    let ext = if ext.is_empty() {
        String::new()
    } else {
        format!(".{ext}")
    };
    Some(format!("{dir}{old}{ext}"))
}

/// `content`, a file tandem wrote for the change file `change`, as it was written when
/// that change file was named `former` (the name is in its header; its seal follows).
pub fn as_if_from(content: &str, change: &str, former: &str) -> String {
    match content.rfind(CHECKSUM_PREFIX) {
        Some(at) => seal(&content[..at].replace(change, former)),
        None => content.replace(change, former),
    }
}

/// The refusal of a change file renamed after its files were frozen or applied: every
/// database that ran them would take the files its new name makes for new ones.
pub fn renamed_change_diag(kind: Kind, headline: String, from: &str, to: &str) -> Diag {
    Diag {
        kind,
        ..Diag::refused(format!("{headline}: {from} -> {to}"))
    }
        .note("a migration file is named after its change file, so renaming the change file renames its files")
        .help(format!(
            "rename it back: `git mv {to} {from}`, then run `tandem generate` (a change file keeps its name once its release is cut or applied; its summary and comments may change)"
        ))
}

/// `1.4.0/V1010__expand_x.sql` -> (`1.4.0/V{version}__expand_x.sql`, 1010).
fn key_of(path: &str) -> Option<(String, i64)> {
    let (dir, name) = match path.rsplit_once('/') {
        Some((d, n)) => (Some(d), n),
        None => (None, path),
    };
    let rest = name.strip_prefix('V')?;
    let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
    let tail = rest[digits.len()..].strip_prefix("__")?;
    let version: i64 = digits.parse().ok()?;
    let key_name = format!("V{VERSION_SENTINEL}__{tail}");
    Some((
        match dir {
            Some(d) => format!("{d}/{key_name}"),
            None => key_name,
        },
        version,
    ))
}

/// The versions of the migration files on disk, by unnumbered path.
pub fn existing_versions(dir: &Path) -> Result<HashMap<String, i64>> {
    let mut out = HashMap::new();
    for rel in list_sql_files(dir)? {
        if let Some((key, version)) = key_of(&rel) {
            out.insert(key, version);
        }
    }
    Ok(out)
}

/// Every `.sql` file under `dir`, as `/`-separated paths relative to it, sorted.
pub fn list_sql_files(dir: &Path) -> Result<Vec<String>> {
    let mut out = Vec::new();
    if !dir.exists() {
        return Ok(out);
    }
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).map_err(|e| Error::io(&d, e))? {
            let entry = entry.map_err(|e| Error::io(&d, e))?;
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "sql") {
                let rel = path.strip_prefix(dir).unwrap_or(&path);
                let parts: Vec<String> = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                out.push(parts.join("/"));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Versions for files in apply order: kept where a file already has one (as long as they
/// still increase), new ones spread into the gaps or appended in release blocks.
fn number(
    keys: &[String],
    releases: &[Option<usize>],
    anchors: &HashMap<String, i64>,
) -> Result<Vec<i64>> {
    let n = keys.len();
    let mut fixed: Vec<Option<i64>> = vec![None; n];
    let mut last = 0;
    for i in 0..n {
        if let Some(&v) = anchors.get(&keys[i]) {
            if v > last {
                fixed[i] = Some(v);
                last = v;
            }
        }
    }
    let mut out = vec![0i64; n];
    let mut i = 0;
    let mut prev: i64 = 0;
    let mut prev_release: Option<Option<usize>> = None;
    while i < n {
        if let Some(v) = fixed[i] {
            out[i] = v;
            prev = v;
            prev_release = Some(releases[i]);
            i += 1;
            continue;
        }
        let start = i;
        while i < n && fixed[i].is_none() {
            i += 1;
        }
        match fixed.get(i).copied().flatten() {
            Some(hi) => {
                let count = (i - start) as i64;
                let room = hi - prev - 1;
                if room < count {
                    return Err(Diag::input(format!(
                        "no room for {count} new migration file(s) between version {prev} and {hi}"
                    ))
                    .note(format!("the first one would be {}", keys[start]))
                    .help("tag the change with a later release, or renumber: delete the generated files of releases not applied anywhere yet and run `tandem generate` again")
                    .into());
                }
                let step = ((hi - prev) / (count + 1)).clamp(1, STEP);
                for (k, slot) in out[start..i].iter_mut().enumerate() {
                    *slot = prev + step * (k as i64 + 1);
                }
                prev = out[i - 1];
            }
            None => {
                for j in start..i {
                    let v = if j == 0 && prev == 0 && releases[j].is_none() {
                        1
                    } else if prev_release != Some(releases[j]) {
                        (prev / RELEASE_BLOCK + 1) * RELEASE_BLOCK
                    } else {
                        prev + STEP
                    };
                    out[j] = v;
                    prev = v;
                    prev_release = Some(releases[j]);
                }
            }
        }
        if i < n {
            prev_release = Some(releases[i.saturating_sub(1)]);
        }
    }
    if let Some(&max) = out.iter().max() {
        if max > i64::from(i32::MAX) {
            return Err(Diag::input(format!(
                "migration version {max} exceeds refinery's 32-bit versions"
            ))
            .into());
        }
    }
    Ok(out)
}

/// A rendered path must be a refinery migration: `V<int>__<letters, digits, _>.sql`,
/// in plain directories.
fn validate_path(path: &str) -> Result<()> {
    let mut parts: Vec<&str> = path.split('/').collect();
    let name = parts.pop().unwrap_or_default();
    let dirs_ok = parts
        .iter()
        .all(|p| !p.is_empty() && *p != "." && *p != ".." && !p.contains('\\'));
    let name_ok = name
        .strip_prefix('V')
        .and_then(|r| r.strip_suffix(".sql"))
        .and_then(|r| r.split_once("__"))
        .is_some_and(|(v, rest)| {
            !v.is_empty()
                && v.chars().all(|c| c.is_ascii_digit())
                && !rest.is_empty()
                && rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        });
    if dirs_ok && name_ok {
        Ok(())
    } else {
        Err(Diag::input(format!(
            "generated file name `{path}` is not a refinery migration name"
        ))
        .note("expected V<version>__<letters, digits and _>.sql, in plain directories")
        .help("check file_name.tera in templates_dir")
        .into())
    }
}

/// Cut releases are frozen: every difference from the lock is a refusal, except the same
/// steps written in other words (see [`keep_frozen`]).
fn check_lock(project: &Project, plan: &mut Plan) {
    if let (None, false, Some(baseline)) = (
        &project.lock.baseline,
        project.lock.releases.is_empty(),
        plan.files.first_mut(),
    ) {
        keep_unrecorded_baseline(project, baseline);
    }
    if let (Some(locked), Some(baseline)) = (&project.lock.baseline, plan.files.first_mut()) {
        if locked.path != baseline.path || keep_frozen(project, baseline, locked) != Frozen::Kept {
            plan.problems.push(
                Diag::refused(format!(
                    "refused: the baseline is frozen by a cut release; this would change {}",
                    locked.path
                ))
                .note(format!(
                    "{} differs from the baseline the cut releases were built on; every database that applied them created its tables from that baseline",
                    project.schema_file.path
                ))
                .help("restore schema.toml (git checkout), and make the schema change in a change file tagged a release after the cut ones"),
            );
        }
    }
    for cut in &project.lock.releases {
        let Some(r) = plan.releases.index(&cut.name) else {
            continue;
        };
        let locked: BTreeMap<&str, &LockedFile> =
            cut.files.iter().map(|f| (f.path.as_str(), f)).collect();
        let renamed = renamed_in_cut(plan, r, cut);
        let mut problems = renamed_diags(project, plan, &cut.name, &renamed);
        let mut planned = BTreeSet::new();
        for f in plan
            .files
            .iter_mut()
            .filter(|f| f.slot.release() == Some(r))
        {
            planned.insert(f.path.clone());
            if renamed.iter().any(|x| x.planned == f.path) {
                continue;
            }
            let frozen = locked
                .get(f.path.as_str())
                .map(|l| keep_frozen(project, f, l));
            let what = match frozen {
                Some(Frozen::Kept) => continue,
                Some(Frozen::Lost) => {
                    let why = if locked[f.path.as_str()].steps.is_none() {
                        "tandem.lock was written by an earlier tandem that recorded no digest of the steps, so the frozen file on disk is the only record of what it does"
                    } else {
                        "its steps are unchanged, but this tandem writes them in other words (a newer version, or another template), so the frozen bytes cannot be written again"
                    };
                    problems.push(
                        Diag::refused(format!(
                            "refused: release {} is cut, and its file {} is not on disk as tandem.lock recorded it",
                            cut.name, f.path
                        ))
                        .note(why)
                        .help("restore the file from version control (git checkout); a cut release is frozen"),
                    );
                    continue;
                }
                Some(Frozen::Changed) => "change",
                None => "add",
            };
            let mut diag = Diag::refused(format!(
                "refused: release {} is cut; this would {what} its file {}",
                cut.name, f.path
            ));
            if let Some(ci) = f.change {
                let c = &project.changes[ci];
                diag = diag.at(c.release.location.clone()).label(format!(
                    "{} changes the cut release {}",
                    c.file.path, cut.name
                ));
                if c.release.value == cut.name {
                    diag = diag.help(format!("tag this change with a release after {}", cut.name));
                } else {
                    diag = diag.help(format!(
                        "keep the cut release's files as they are: restore this change, or pin its contract step with contract_release to a release after {}",
                        cut.name
                    ));
                }
            }
            problems.push(diag);
        }
        for path in locked.keys() {
            if !planned.contains(*path) && !renamed.iter().any(|x| x.frozen == *path) {
                problems.push(
                    Diag::refused(format!(
                        "refused: release {} is cut; this would remove its file {path}",
                        cut.name
                    ))
                    .help("restore the change that produced it; a cut release cannot lose a migration"),
                );
            }
        }
        plan.problems.extend(problems);
    }
}

/// A file of a cut release that its change makes under a new name, the change file
/// having been renamed.
struct Renamed {
    /// The path tandem.lock froze.
    frozen: String,
    /// The path the plan gives it now.
    planned: String,
    /// The change file's former and present path, where the file names show them.
    change: Option<(String, String)>,
}

/// The frozen files of cut release `r` that the plan no longer has, each matched to a
/// new file of the release that does the same: by the lock's digest of its steps, or by
/// its bytes once the change file's former name is put back.
fn renamed_in_cut(plan: &Plan, r: usize, cut: &crate::lock::CutRelease) -> Vec<Renamed> {
    let of_release = || {
        plan.files
            .iter()
            .filter(move |f| f.slot.release() == Some(r))
    };
    let frozen = |path: &str| cut.files.iter().any(|l| l.path == path);
    let mut out = Vec::new();
    for locked in &cut.files {
        if of_release().any(|f| f.path == locked.path) {
            continue;
        }
        let former = migration_name(&locked.path);
        for f in of_release().filter(|f| !frozen(&f.path)) {
            let change =
                former.and_then(|n| Some((former_change_path(f, n)?, f.change_path.clone()?)));
            let same_steps = locked.steps.as_deref().is_some_and(|d| {
                d == crate::lock::steps_digest(&locked.path, f.steps.iter().map(|s| s.digested()))
            });
            let same_bytes = change.as_ref().is_some_and(|(from, to)| {
                sha256_hex(as_if_from(&f.content, to, from).as_bytes()) == locked.sha256
            });
            if same_steps || same_bytes {
                out.push(Renamed {
                    frozen: locked.path.clone(),
                    planned: f.path.clone(),
                    change,
                });
                break;
            }
        }
    }
    out
}

/// One refusal per renamed change file of cut release `release`, at its `release` line.
fn renamed_diags(project: &Project, plan: &Plan, release: &str, renamed: &[Renamed]) -> Vec<Diag> {
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for x in renamed {
        let headline = format!("refused: a change file of cut release {release} was renamed");
        let diag = match &x.change {
            Some((from, to)) if seen.insert((from.clone(), to.clone())) => {
                renamed_change_diag(Kind::Refused, headline, from, to)
            }
            Some(_) => continue,
            None => renamed_change_diag(Kind::Refused, headline, &x.frozen, &x.planned),
        };
        let change = plan
            .files
            .iter()
            .find(|f| f.path == x.planned)
            .and_then(|f| f.change);
        let diag = match change {
            Some(ci) => diag
                .at(project.changes[ci].release.location.clone())
                .label(format!(
                    "tandem.lock froze {} of this change under its former name",
                    x.frozen
                )),
            None => diag,
        };
        out.push(diag);
    }
    out
}

/// How a file planned for a cut release stands against the lock.
#[derive(Debug, PartialEq, Eq)]
enum Frozen {
    /// Its bytes are the frozen ones, or only their wording differs and the frozen file
    /// on disk has become the planned content.
    Kept,
    /// Only the wording differs, but the frozen file is not on disk as the lock recorded
    /// it, so its bytes cannot be had again.
    Lost,
    /// What it does differs from what was frozen.
    Changed,
}

/// Whether a file planned for a cut release agrees with the lock. Either its bytes are
/// the frozen ones, or its steps are (the lock's digest of them matches) and only their
/// wording differs, because a later tandem or another template writes the same steps
/// otherwise: then the frozen file on disk, still as the lock recorded it, stays, and
/// becomes the planned content. A database that applied it never sees it change.
///
/// A lock written by a tandem before step digests records no steps: its files on disk, as
/// the lock recorded their bytes, are then the only record of what they do, so they stay,
/// and the next write of the lock records the plan's digest of them (see
/// `generate::upgrade_lock`).
fn keep_frozen(project: &Project, file: &mut PlannedFile, locked: &LockedFile) -> Frozen {
    if sha256_hex(file.content.as_bytes()) == locked.sha256 {
        return Frozen::Kept;
    }
    if locked
        .steps
        .as_deref()
        .is_some_and(|steps| steps != file.steps_digest())
    {
        return Frozen::Changed;
    }
    let on_disk = project.config.migrations_dir.join(&file.path);
    match std::fs::read_to_string(on_disk) {
        Ok(text) if sha256_hex(text.as_bytes()) == locked.sha256 => {
            file.content = text;
            Frozen::Kept
        }
        _ => Frozen::Lost,
    }
}

/// A lock written by a tandem before the lock froze the baseline has cut releases and no
/// baseline: the baseline file on disk, as tandem wrote it (its checksum trailer intact),
/// is the one every database of the cut releases applied, so it stays, whatever wording
/// this tandem gives it; the next write of the lock freezes it.
fn keep_unrecorded_baseline(project: &Project, baseline: &mut PlannedFile) {
    let on_disk = project.config.migrations_dir.join(&baseline.path);
    if let Ok(text) = std::fs::read_to_string(on_disk) {
        if text != baseline.content && is_pristine(&text) == Some(true) {
            baseline.content = text;
        }
    }
}

/// The name part of a migration file's path, after its version: `foo` of
/// `1.4.0/V2000__foo.sql`.
pub fn migration_name(path: &str) -> Option<&str> {
    path.rsplit('/')
        .next()
        .and_then(|n| n.strip_suffix(".sql"))
        .and_then(|n| n.split_once("__"))
        .map(|(_, n)| n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("k{i}")).collect()
    }

    #[test]
    fn fresh_numbering_uses_release_blocks() {
        let rel = vec![None, Some(0), Some(0), Some(1)];
        let v = number(&keys(4), &rel, &HashMap::new()).unwrap();
        assert_eq!(v, vec![1, 1000, 1010, 2000]);
    }

    #[test]
    fn inserted_files_fit_between_existing_versions() {
        let rel = vec![None, Some(0), Some(1), Some(2)];
        let mut anchors = HashMap::new();
        anchors.insert("k0".to_string(), 1);
        anchors.insert("k1".to_string(), 1000);
        anchors.insert("k3".to_string(), 2000);
        let v = number(&keys(4), &rel, &anchors).unwrap();
        assert_eq!(v[0..2], [1, 1000]);
        assert_eq!(v[3], 2000);
        assert!(v[2] > 1000 && v[2] < 2000);
    }

    #[test]
    fn no_room_is_an_error_not_a_renumbering() {
        let rel = vec![Some(0), Some(0), Some(0)];
        let mut anchors = HashMap::new();
        anchors.insert("k0".to_string(), 5);
        anchors.insert("k2".to_string(), 6);
        assert!(number(&keys(3), &rel, &anchors).is_err());
    }

    #[test]
    fn checksum_trailer_detects_edits() {
        let sealed = seal("-- header\nSELECT 1;\n");
        assert_eq!(is_pristine(&sealed), Some(true));
        let edited = sealed.replace("SELECT 1", "SELECT 2");
        assert_eq!(is_pristine(&edited), Some(false));
        assert_eq!(is_pristine("SELECT 1;"), None);
    }

    #[test]
    fn keys_strip_the_version() {
        assert_eq!(
            key_of("1.4.0/V1010__expand_x.sql"),
            Some(("1.4.0/V{version}__expand_x.sql".to_string(), 1010))
        );
        assert_eq!(key_of("V1__baseline.sql").map(|k| k.1), Some(1));
    }
}
