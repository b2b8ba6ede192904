//! What a running file says about itself: Postgres NOTICEs and MySQL one-row results
//! whose text starts with `tandem:` (lock retries, backfill progress). On a terminal a
//! backfill's progress is one bar redrawn in place; elsewhere (a log, a CI job) every
//! note is a plain line.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;

/// Whether a bar is drawn on the current line of stderr.
static BAR_OPEN: Mutex<bool> = Mutex::new(false);

/// Whether `text` is a note of a generated file.
pub fn is_note(text: &str) -> bool {
    text.starts_with("tandem:")
}

/// The percentage at the end of a progress note: `... rows (42 %)`.
pub fn percent(note: &str) -> Option<u32> {
    let rest = note.strip_suffix(" %)")?;
    let start = rest.rfind('(')?;
    rest[start + 1..].parse().ok()
}

/// Shows a note on stderr.
pub fn show(note: &str) {
    let terminal = std::io::stderr().is_terminal();
    let mut open = BAR_OPEN.lock().unwrap_or_else(|e| e.into_inner());
    let mut err = std::io::stderr().lock();
    match percent(note).filter(|_| terminal) {
        Some(p) => {
            let filled = (p.min(100) / 5) as usize;
            let _ = write!(
                err,
                "\r\x1b[2K[{}{}] {note}",
                "#".repeat(filled),
                "-".repeat(20 - filled)
            );
            let _ = err.flush();
            *open = true;
        }
        None => {
            if *open {
                let _ = writeln!(err);
                *open = false;
            }
            let _ = writeln!(err, "{note}");
        }
    }
}

/// Ends a bar left on the current line, before another line is written.
pub fn end_bar() {
    let mut open = BAR_OPEN.lock().unwrap_or_else(|e| e.into_inner());
    if *open {
        let _ = writeln!(std::io::stderr());
        *open = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_percentage_of_a_progress_note() {
        assert_eq!(
            percent("tandem: backfill of users.bio: 10 of about 40 rows (25 %)"),
            Some(25)
        );
        assert_eq!(percent("tandem: lock wait on users, attempt 1 of 31"), None);
    }
}
