//! Showing a plan: as text for people, as JSON for scripts, and as a runbook per release.

use serde_json::{json, Value};
use tera::Context;

use crate::diag::{Diag, Kind, Result};
use crate::plan::{Plan, PlannedFile, Slot};
use crate::project::Project;

/// The plan as text: releases in order, each phase's files and steps, pending steps,
/// refusals.
pub fn text(project: &Project, plan: &Plan) -> String {
    let config = &project.config;
    let mut out = format!(
        "plan: {} releases, dialect {}, min_release_gap {}\n",
        plan.releases.len(),
        config.dialect.name(),
        config.min_release_gap
    );
    let describe_file = |f: &PlannedFile, out: &mut String| {
        let change = f
            .change
            .map(|ci| project.changes[ci].file.path.as_str())
            .unwrap_or("schema.toml");
        out.push_str(&format!("    {}  ({change})\n", f.path));
        for step in &f.steps {
            let tag = if step.destructive {
                " [destructive]"
            } else {
                ""
            };
            out.push_str(&format!("      - {}{tag}\n", step.description));
        }
    };
    let by_slot = plan.files_by_slot();
    let files_in = |slot: Slot| by_slot.get(&slot).into_iter().flatten().copied();
    if let Some(baseline) = files_in(Slot::Baseline).next() {
        out.push_str("\nbaseline\n");
        describe_file(baseline, &mut out);
    }
    for (r, name) in plan.releases.names().iter().enumerate() {
        out.push_str(&format!("\nrelease {name}\n"));
        for slot in [Slot::Expand(r), Slot::Contract(r)] {
            out.push_str(&format!("  {}({name})\n", slot.phase()));
            let mut any = false;
            for f in files_in(slot) {
                any = true;
                describe_file(f, &mut out);
            }
            if !any {
                out.push_str("    (nothing)\n");
            }
        }
    }
    if !plan.pending.is_empty() {
        out.push_str("\npending (no file until that release exists)\n");
        for p in &plan.pending {
            out.push_str(&format!(
                "  - {} ({}, release {}): waits for the {}\n",
                p.description, p.change, p.release, p.waits_for
            ));
        }
        out.push_str(
            "  hint: a release becomes known when a change is tagged with it \
             (`release = \"...\"`), when tandem.toml lists it (`releases = [...]`), or when \
             an op names it as its `contract_release`\n",
        );
    }
    if !plan.notes.is_empty() {
        out.push_str("\nnotes\n");
        for n in &plan.notes {
            out.push_str(&format!(
                "  {}: {} (op {}, {}): {}\n",
                if n.warning { "warning" } else { "note" },
                n.change,
                n.op_index,
                n.op,
                n.message
            ));
        }
    }
    if !plan.problems.is_empty() {
        out.push_str(&format!("\n{} problem(s):\n\n", plan.problems.len()));
        for d in &plan.problems {
            out.push_str(&d.render());
            out.push('\n');
        }
    }
    out
}

fn file_json(project: &Project, f: &PlannedFile) -> Value {
    json!({
        "path": f.path,
        "version": f.version,
        "phase": f.slot.phase(),
        "change": f.change.map(|ci| project.changes[ci].file.path.clone()),
        "no_transaction": f.rendered.no_transaction,
        "steps": f.steps.iter().map(|s| json!({
            "description": s.description,
            "destructive": s.destructive,
            "op": s.op_kind,
            "op_index": s.op_index,
        })).collect::<Vec<_>>(),
    })
}

pub fn diag_json(d: &Diag) -> Value {
    json!({
        "kind": match d.kind { Kind::Input => "input", Kind::Refused => "refused" },
        "message": d.message,
        "location": d.location.as_ref().map(|l| l.display()),
        "notes": d.notes,
    })
}

/// The plan as JSON (shape documented in the README).
pub fn json(project: &Project, plan: &Plan) -> Value {
    let config = &project.config;
    let by_slot = plan.files_by_slot();
    let files_in = |slot: Slot| by_slot.get(&slot).into_iter().flatten().copied();
    let releases: Vec<Value> = plan
        .releases
        .names()
        .iter()
        .enumerate()
        .map(|(r, name)| {
            json!({
                "name": name,
                "expand": files_in(Slot::Expand(r)).map(|f| file_json(project, f)).collect::<Vec<_>>(),
                "contract": files_in(Slot::Contract(r)).map(|f| file_json(project, f)).collect::<Vec<_>>(),
                "stops_using": crate::code_contract::of_release(plan, r).stops_using,
            })
        })
        .collect();
    json!({
        "dialect": config.dialect.name(),
        "min_release_gap": config.min_release_gap,
        "baseline": files_in(Slot::Baseline).next().map(|f| file_json(project, f)),
        "releases": releases,
        "pending": plan.pending,
        "notes": plan.notes,
        "problems": plan.problems.iter().map(diag_json).collect::<Vec<_>>(),
        "ok": plan.problems.is_empty(),
    })
}

/// The Markdown runbook of one release.
pub fn runbook(project: &Project, plan: &Plan, release: &str) -> Result<String> {
    let r = plan.release_index(release)?;
    let files = |slot: Slot| -> Vec<Value> {
        plan.files_in(slot)
            .map(|f| {
                json!({
                    "path": f.path,
                    "description": f.steps.iter().map(|s| s.description.clone()).collect::<Vec<_>>().join("; "),
                    "destructive": f.steps.iter().any(|s| s.destructive),
                })
            })
            .collect()
    };
    let mut context = Context::new();
    context.insert("release", release);
    context.insert("previous_release", &plan.releases.previous_name(r));
    context.insert("dialect", project.config.dialect.name());
    context.insert("expand", &files(Slot::Expand(r)));
    context.insert("contract", &files(Slot::Contract(r)));
    // Views mode: the schema of views the release's code selects.
    context.insert(
        "view_schema",
        &plan.view_schemas.get(r + 1).cloned().flatten(),
    );
    let pending: Vec<String> = plan
        .pending
        .iter()
        .filter(|p| p.release == release)
        .map(|p| {
            format!(
                "{} ({}): waits for the {}",
                p.description, p.change, p.waits_for
            )
        })
        .collect();
    context.insert("pending", &pending);
    project.templates.render("runbook.md.tera", &context)
}
