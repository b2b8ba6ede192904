//! How MySQL writes a name: quoted, and fitted to its 64 characters. Every MySQL
//! family file writes names through these, so none of them needs the dispatcher.

use crate::sql::text::quote;
use crate::sql::Dialect;

/// MySQL's limit on identifier length.
pub(super) const MAX_NAME: usize = 64;

pub(super) fn q(name: &str) -> String {
    quote(Dialect::Mysql, name)
}

/// A name of at most 64 characters: long ones keep a readable prefix and a hash.
pub(super) fn fit(name: String) -> String {
    crate::model::fit_identifier(name, MAX_NAME)
}
