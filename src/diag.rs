//! Errors and refusals, each carrying where in which file it comes from, rendered as
//! compiler-style code frames (`--> file:line:col`, the line, a marker, notes).

use std::fmt;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label};
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term::{self, Chars};

/// A loaded input file: its path as shown to the user and its text.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: String,
    pub text: Arc<str>,
}

impl SourceFile {
    pub fn new(path: impl Into<String>, text: impl Into<Arc<str>>) -> Arc<Self> {
        Arc::new(SourceFile {
            path: path.into(),
            text: text.into(),
        })
    }

    /// A file read as bytes: its text, or an input error at the first byte that is not
    /// UTF-8, with the line it is on (the bad bytes shown as U+FFFD).
    pub fn from_bytes(path: impl Into<String>, bytes: Vec<u8>) -> Result<Arc<Self>> {
        let path = path.into();
        match String::from_utf8(bytes) {
            Ok(text) => Ok(SourceFile::new(path, text)),
            Err(e) => {
                let offset = e.utf8_error().valid_up_to();
                let byte = e.as_bytes()[offset];
                let file = SourceFile::new(path, String::from_utf8_lossy(e.as_bytes()));
                let at = Location::new(&file, offset..offset + '\u{FFFD}'.len_utf8());
                Err(Diag::input(format!("{} is not valid UTF-8", file.path))
                    .at(at)
                    .label(format!("byte 0x{byte:02X} here"))
                    .help("save the file as UTF-8")
                    .into())
            }
        }
    }

    /// 1-based line and column of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        (line, col)
    }
}

/// A place in an input file.
#[derive(Debug, Clone)]
pub struct Location {
    pub file: Arc<SourceFile>,
    pub span: Range<usize>,
}

impl Location {
    pub fn new(file: &Arc<SourceFile>, span: Range<usize>) -> Self {
        Location {
            file: file.clone(),
            span,
        }
    }

    /// `path:line:col`, the form editors and terminals turn into links.
    pub fn display(&self) -> String {
        let (line, col) = self.file.line_col(self.span.start);
        format!("{}:{}:{}", self.file.path, line, col)
    }
}

/// What kind of failure, which decides the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Malformed or inconsistent input, bad usage, I/O or database trouble: exit 2.
    Input,
    /// A safety rule refused the plan, or a check found a problem: exit 1.
    Refused,
}

impl Kind {
    pub fn exit_code(self) -> u8 {
        match self {
            Kind::Input => 2,
            Kind::Refused => 1,
        }
    }
}

/// One message to the user, with an optional place and free-form notes.
#[derive(Debug, Clone)]
pub struct Diag {
    pub kind: Kind,
    pub message: String,
    pub location: Option<Location>,
    pub label: String,
    pub notes: Vec<String>,
}

impl Diag {
    pub fn input(message: impl Into<String>) -> Self {
        Diag {
            kind: Kind::Input,
            message: message.into(),
            location: None,
            label: String::new(),
            notes: Vec::new(),
        }
    }

    pub fn refused(message: impl Into<String>) -> Self {
        Diag {
            kind: Kind::Refused,
            ..Diag::input(message)
        }
    }

    pub fn at(mut self, location: Location) -> Self {
        self.location = Some(location);
        self
    }

    pub fn at_opt(mut self, location: Option<Location>) -> Self {
        self.location = location;
        self
    }

    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    pub fn help(self, help: impl Into<String>) -> Self {
        let help = help.into();
        self.note(format!("help: {help}"))
    }

    /// Renders the message as a code frame, in plain text.
    pub fn render(&self) -> String {
        let mut files = SimpleFiles::new();
        let mut diagnostic = CsDiagnostic::error().with_message(&self.message);
        if let Some(loc) = &self.location {
            let id = files.add(loc.file.path.clone(), loc.file.text.clone());
            let end = loc.span.end.max(loc.span.start).min(loc.file.text.len());
            let start = loc.span.start.min(end);
            diagnostic = diagnostic.with_labels(vec![
                Label::primary(id, start..end).with_message(&self.label)
            ]);
        }
        diagnostic = diagnostic.with_notes(self.notes.clone());
        let config = term::Config {
            chars: Chars::ascii(),
            ..term::Config::default()
        };
        match term::emit_into_string(&config, &files, &diagnostic) {
            Ok(text) => text,
            Err(_) => {
                let mut text = format!("error: {}\n", self.message);
                for note in &self.notes {
                    text.push_str(&format!("  = {note}\n"));
                }
                text
            }
        }
    }
}

impl fmt::Display for Diag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render())
    }
}

/// The error type of every fallible operation: one or more diagnostics.
#[derive(Debug, Clone)]
pub struct Error {
    pub diags: Vec<Diag>,
}

impl Error {
    /// Exit code: 2 if any input error, else 1.
    pub fn exit_code(&self) -> u8 {
        if self.diags.iter().any(|d| d.kind == Kind::Input) {
            2
        } else {
            1
        }
    }

    pub fn render(&self) -> String {
        self.diags
            .iter()
            .map(Diag::render)
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// An I/O failure on `path`, which is an input error.
    pub fn io(path: &Path, err: std::io::Error) -> Self {
        Diag::input(format!("cannot access {}: {err}", path.display())).into()
    }
}

impl From<Diag> for Error {
    fn from(d: Diag) -> Self {
        Error { diags: vec![d] }
    }
}

impl From<Vec<Diag>> for Error {
    fn from(diags: Vec<Diag>) -> Self {
        Error { diags }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render())
    }
}

impl std::error::Error for Error {}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The valid name closest to `given`, if one is close enough to be a likely typo.
pub fn nearest<'a>(given: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(given, c), c))
        .filter(|(d, c)| *d <= 3.max(c.len() / 3) && *d < c.len().max(given.len()))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// `help: did you mean ...?` text, or a list of the valid names when nothing is close.
pub fn suggestion(given: &str, candidates: &[&str]) -> String {
    if candidates.is_empty() {
        return format!("`{given}` matches nothing: there is none to choose from yet");
    }
    match nearest(given, candidates.iter().copied()) {
        Some(best) => format!("did you mean `{best}`?"),
        None => format!(
            "expected one of {}",
            candidates
                .iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}
