//! Change files: `release`, `summary` and a list of `[[op]]` tables.

use std::sync::Arc;

use super::{parse_document, Fields, Located};
use crate::diag::{Diag, Location, Result, SourceFile};
use crate::ops::op::Operation;
use crate::ops::parse_op;
use crate::sql::Dialect;

/// One `[[op]]` of a change file.
#[derive(Debug)]
pub struct OpEntry {
    pub op: Box<dyn Operation>,
    /// Where the op table is written.
    pub location: Location,
    /// The optional later placement of its contract steps, with the place of that line.
    pub contract_release: Option<Located<String>>,
}

/// A parsed change file.
#[derive(Debug)]
pub struct Change {
    pub file: Arc<SourceFile>,
    pub release: Located<String>,
    pub summary: Option<String>,
    pub ops: Vec<OpEntry>,
}

impl Change {
    /// The name used in migration file names: the file stem, lower-cased, with anything
    /// but letters, digits and `_` replaced by `_`.
    pub fn slug(&self) -> String {
        slug_of(&self.file.path)
    }
}

/// See [`Change::slug`].
pub fn slug_of(path: &str) -> String {
    let stem = std::path::Path::new(path)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut slug: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    if slug.is_empty() {
        slug.push_str("change");
    }
    slug
}

/// Reads a change file.
pub fn parse_change(file: &Arc<SourceFile>) -> Result<Change> {
    read_change(file, None)
}

/// Reads a change file of a project: native types are read for its `dialect`.
pub fn parse_change_in(file: &Arc<SourceFile>, dialect: Dialect) -> Result<Change> {
    read_change(file, Some(dialect))
}

fn read_change(file: &Arc<SourceFile>, dialect: Option<Dialect>) -> Result<Change> {
    let doc = parse_document(file)?;
    let mut root = Fields::new(file, doc.get_ref(), doc.span(), "change file").read_for(dialect);
    let release = root.str(
        &["release"],
        "the release whose code adopts the change, e.g. \"1.4.0\"",
    )?;
    let summary = root.opt_str(&["summary", "description"])?.map(|s| s.value);
    let mut ops = Vec::new();
    match root.get(&["op"]) {
        None => {}
        Some(value) => {
            let Some(items) = value.get_ref().as_array() else {
                return Err(Diag::input("`op` must be a list of [[op]] tables")
                    .at(Location::new(file, value.span()))
                    .label("expected [[op]] tables")
                    .into());
            };
            for item in items.iter() {
                let Some(table) = item.get_ref().as_table() else {
                    return Err(Diag::input("each op must be a table")
                        .at(Location::new(file, item.span()))
                        .label("expected an [[op]] table")
                        .into());
                };
                let mut fields = root.nested(table, item.span(), "op");
                let kind = fields.str(&["type"], "an op type such as \"drop_column\"")?;
                fields.what = format!("{} op", kind.value);
                let contract_release = match fields.opt_str(&["contract_release"])? {
                    None => None,
                    Some(value) => {
                        // Point at the whole `contract_release = "..."` line.
                        let key_start = table
                            .iter()
                            .find(|(k, _)| k.get_ref().as_ref() == "contract_release")
                            .map_or(value.location.span.start, |(k, _)| k.span().start);
                        let span = key_start..value.location.span.end;
                        Some(Located {
                            value: value.value,
                            location: Location::new(file, span),
                        })
                    }
                };
                let op = parse_op(&kind, &mut fields)?;
                fields.finish()?;
                ops.push(OpEntry {
                    op,
                    location: Location::new(file, item.span()),
                    contract_release,
                });
            }
        }
    }
    root.finish()?;
    if ops.is_empty() {
        return Err(Diag::input(format!("{} has no [[op]]", file.path))
            .at(release.location.clone())
            .label("a change needs at least one op")
            .help("add an [[op]] table with a `type`, or scaffold one with `tandem new`")
            .into());
    }
    Ok(Change {
        file: file.clone(),
        release,
        summary,
        ops,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Change> {
        parse_change(&SourceFile::new("changes/0007_x.toml", text))
    }

    #[test]
    fn unknown_op_type_suggests_nearest() {
        let err = parse("release = \"1.4.0\"\n[[op]]\ntype = \"drop_colum\"\ntable = \"u\"\n")
            .unwrap_err();
        let text = err.render();
        assert!(text.contains("unknown op type `drop_colum`"), "{text}");
        assert!(text.contains("did you mean `drop_column`?"), "{text}");
        assert!(text.contains("changes/0007_x.toml:3:8"), "{text}");
        assert_eq!(err.exit_code(), 2);
    }

    #[test]
    fn unknown_field_suggests_nearest() {
        let err = parse(
            "release = \"1.4.0\"\n[[op]]\ntype = \"drop_column\"\ntable = \"u\"\ncolumm = \"x\"\n",
        )
        .unwrap_err();
        let text = err.render();
        assert!(text.contains("unknown field `columm`"), "{text}");
        assert!(text.contains("did you mean `column`?"), "{text}");
        assert!(text.contains(":5:1"), "{text}");
    }

    #[test]
    fn unknown_top_level_field_is_an_error() {
        let err = parse(
            "release = \"1.4.0\"\nsumary = \"x\"\n[[op]]\ntype = \"sql\"\nexpand = \"select 1\"\n",
        )
        .unwrap_err();
        assert!(
            err.render().contains("did you mean `summary`?"),
            "{}",
            err.render()
        );
    }

    #[test]
    fn syntax_error_is_located() {
        let err = parse("release = \"1.4.0\n").unwrap_err();
        let text = err.render();
        assert!(text.contains("changes/0007_x.toml:1:"), "{text}");
        assert_eq!(err.exit_code(), 2);
    }

    #[test]
    fn slug_is_refinery_safe() {
        assert_eq!(
            slug_of("changes/0007_Users-Stop.legacy.toml"),
            "0007_users_stop_legacy"
        );
    }
}
