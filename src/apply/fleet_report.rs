//! How a fleet is shown: a run's outcome target by target, and where each target stands
//! as text, as one self-contained HTML page, or as Markdown with a Mermaid chart.

use std::fmt::Write;

use super::fleet_run::{FleetOutcome, State};
use super::fleet_status::{FleetStatus, TargetStatus};
use super::status::PhaseState;

/// A run's outcome: one line per target (with its error or why it was left short), then
/// the counts.
pub fn outcome_text(outcome: &FleetOutcome) -> String {
    let mut out = String::new();
    let width = outcome
        .targets
        .iter()
        .map(|t| t.name.chars().count())
        .max()
        .unwrap_or(0);
    for t in &outcome.targets {
        let moved = if t.before == t.after {
            format!("at {}", t.after)
        } else {
            format!("{} -> {}", t.before, t.after)
        };
        let _ = write!(
            out,
            "{:<width$}  wave {}  {:<13}  {moved}",
            t.name,
            t.wave,
            t.state.word()
        );
        if !t.applied.is_empty() {
            let _ = write!(out, "  ({} file(s), {:.2} s)", t.applied.len(), t.seconds);
        }
        out.push('\n');
        if let Some(e) = &t.error {
            for line in e.lines() {
                let _ = writeln!(out, "    {line}");
            }
        }
        if let (Some(why), State::NotReached) = (&t.why, t.state) {
            let _ = writeln!(out, "    not reached: {why}");
        }
    }
    let count = |s: State| outcome.targets.iter().filter(|t| t.state == s).count();
    let _ = writeln!(
        out,
        "{}: {} migrated, {} already there, {} failed, {} not reached, of {} target(s) in {:.1} s",
        outcome.goal,
        count(State::Migrated),
        count(State::AlreadyThere),
        count(State::Failed),
        count(State::NotReached),
        outcome.targets.len(),
        outcome.seconds
    );
    if let Some(why) = &outcome.stopped {
        let _ = writeln!(out, "stopped: {why}");
    }
    out
}

/// Where each target stands, one line each, then how many are at each position.
pub fn status_text(status: &FleetStatus) -> String {
    let mut out = String::new();
    let width = status
        .targets
        .iter()
        .map(|t| t.name.chars().count())
        .max()
        .unwrap_or(0);
    for t in &status.targets {
        let _ = write!(out, "{:<width$}  wave {}  {}", t.name, t.wave, t.position);
        match t.behind {
            Some(0) => out.push_str("  (up to date)"),
            Some(n) => {
                let _ = write!(out, "  ({n} release(s) behind {})", status.latest);
            }
            None => {}
        }
        out.push('\n');
        for cell in &t.releases {
            if let Some(b) = &cell.blocked {
                let _ = writeln!(out, "    blocked: {b}");
            }
        }
        if let Some(e) = &t.last_error {
            let first = e.lines().next().unwrap_or_default();
            let _ = writeln!(out, "    last error: {first}");
        }
    }
    let parts: Vec<String> = status
        .summary
        .iter()
        .map(|(p, n)| format!("{n} at {p}"))
        .collect();
    let _ = writeln!(
        out,
        "{} target(s): {}",
        status.targets.len(),
        parts.join(", ")
    );
    out
}

fn cell_word(state: PhaseState) -> &'static str {
    match state {
        PhaseState::Empty => "-",
        PhaseState::Applied => "done",
        PhaseState::Partial => "partial",
        PhaseState::NotApplied => "pending",
    }
}

/// `text` safe inside HTML text and attribute values.
pub fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// One self-contained page: a table of targets by release, each cell the state of the
/// release's expand and contract on that target, what is blocked and why, the last
/// errors, and the summary.
pub fn status_html(status: &FleetStatus) -> String {
    let mut out = String::from(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>tandem fleet</title>\n<style>\
body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse}\
td,th{border:1px solid #ccc;padding:4px 8px;vertical-align:top}\
.done{background:#d4f4d4}.pending{background:#f4f4f4}.partial{background:#fde7a6}\
.blocked{background:#f8d0d0}.err{color:#a00;white-space:pre-wrap;font-family:monospace}\
</style></head><body>\n",
    );
    let releases: Vec<&str> = status
        .targets
        .iter()
        .find(|t| !t.releases.is_empty())
        .map(|t| t.releases.iter().map(|c| c.release.as_str()).collect())
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "<h1>Fleet rollout</h1>\n<p>{} target(s); latest release {}.</p>",
        status.targets.len(),
        html_escape(&status.latest)
    );
    out.push_str("<table><tr><th>target</th><th>wave</th><th>position</th><th>behind</th>");
    for r in &releases {
        let _ = write!(out, "<th>{}</th>", html_escape(r));
    }
    out.push_str("</tr>\n");
    for t in &status.targets {
        html_row(&mut out, t, releases.len());
    }
    out.push_str("</table>\n<h2>Summary</h2>\n<ul>\n");
    for (p, n) in &status.summary {
        let _ = writeln!(out, "<li>{n} at {}</li>", html_escape(p));
    }
    out.push_str("</ul>\n</body></html>\n");
    out
}

fn html_row(out: &mut String, t: &TargetStatus, releases: usize) {
    let _ = write!(
        out,
        "<tr><td>{}<br><small>{}</small></td><td>{}</td><td>{}</td><td>{}</td>",
        html_escape(&t.name),
        html_escape(&t.database),
        t.wave,
        html_escape(&t.position),
        t.behind.map_or("?".to_string(), |b| b.to_string())
    );
    for cell in &t.releases {
        let class = if cell.blocked.is_some() {
            "blocked"
        } else if cell.contract == PhaseState::Applied {
            "done"
        } else if cell.expand == PhaseState::Partial || cell.contract == PhaseState::Partial {
            "partial"
        } else {
            "pending"
        };
        let _ = write!(
            out,
            "<td class=\"{class}\">expand: {}<br>contract: {}",
            cell_word(cell.expand),
            cell_word(cell.contract)
        );
        if let Some(b) = &cell.blocked {
            let _ = write!(out, "<br><b>blocked</b>: {}", html_escape(b));
        }
        out.push_str("</td>");
    }
    if t.releases.is_empty() {
        let _ = write!(out, "<td colspan=\"{}\"></td>", releases.max(1));
    }
    out.push_str("</tr>\n");
    if let Some(e) = &t.last_error {
        let _ = writeln!(
            out,
            "<tr><td colspan=\"{}\" class=\"err\">{}: {}</td></tr>",
            releases + 4,
            html_escape(&t.name),
            html_escape(e)
        );
    }
}

/// A Mermaid label: no quotes, brackets or line breaks, which would end it.
fn mermaid_text(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '"' | '[' | ']' | '{' | '}' | '(' | ')' | '<' | '>' | '|' | '#' | ';' | '`' => ' ',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect()
}

/// Markdown with a Mermaid flowchart: one node per position, each target linked to the
/// position it is at, blocked targets and failures called out, then a table.
pub fn status_mermaid(status: &FleetStatus) -> String {
    let mut out = String::from("# Fleet rollout\n\n```mermaid\nflowchart LR\n");
    for (i, (p, n)) in status.summary.iter().enumerate() {
        let _ = writeln!(out, "  P{i}[\"{} ({n})\"]", mermaid_text(p));
        if i > 0 {
            let _ = writeln!(out, "  P{} --> P{i}", i - 1);
        }
    }
    for (i, t) in status.targets.iter().enumerate() {
        let p = status
            .summary
            .iter()
            .position(|(p, _)| *p == t.position)
            .unwrap_or(0);
        let blocked = t.releases.iter().find_map(|c| c.blocked.as_deref());
        let mark = match (&t.last_error, blocked) {
            (Some(_), _) => ":::failed",
            (None, Some(_)) => ":::blocked",
            _ => "",
        };
        let _ = writeln!(out, "  T{i}(\"{}\"){mark} -.- P{p}", mermaid_text(&t.name));
    }
    out.push_str("  classDef failed fill:#f8d0d0\n  classDef blocked fill:#fde7a6\n```\n\n");
    out.push_str(
        "| target | wave | position | behind | blocked or failed |\n|---|---|---|---|---|\n",
    );
    for t in &status.targets {
        let why = t
            .last_error
            .as_deref()
            .map(|e| e.lines().next().unwrap_or_default().to_string())
            .or_else(|| t.releases.iter().find_map(|c| c.blocked.clone()))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            md_cell(&t.name),
            t.wave,
            md_cell(&t.position),
            t.behind.map_or("?".to_string(), |b| b.to_string()),
            md_cell(&why)
        );
    }
    out
}

/// Text safe in a Markdown table cell.
fn md_cell(text: &str) -> String {
    html_escape(text).replace('|', "\\|").replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escapes_what_would_end_text_or_attributes() {
        assert_eq!(
            html_escape("<script>\"a\" & 'b'</script>"),
            "&lt;script&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/script&gt;"
        );
        assert_eq!(mermaid_text("a\"]b\n(c)"), "a  b  c ");
        assert_eq!(md_cell("a|b\nc"), "a\\|b c");
    }
}
