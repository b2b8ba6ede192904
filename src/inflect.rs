//! The class name Rails derives from a table name (`ActiveSupport::Inflector#classify`):
//! the last word made singular by the English rules ActiveSupport ships (irregular words,
//! uncountable words, then suffix rules, the rule defined last tried first), then
//! camel-cased. `addresses` is `Address`, `people` `Person`, `news` `News`. A project
//! whose models are named otherwise maps tables to classes in tandem.toml.

/// Singular and plural of the words ActiveSupport treats as irregular, in the order it
/// defines them (the last one is tried first).
const IRREGULAR: [(&str, &str); 6] = [
    ("person", "people"),
    ("man", "men"),
    ("child", "children"),
    ("sex", "sexes"),
    ("move", "moves"),
    ("zombie", "zombies"),
];

/// Words with no plural of their own: a name ending in one stays as it is.
const UNCOUNTABLE: [&str; 10] = [
    "equipment",
    "information",
    "rice",
    "money",
    "species",
    "series",
    "fish",
    "sheep",
    "jeans",
    "police",
];

/// `order_items` -> `OrderItem`, `public.people` -> `Person`: Rails' `classify`.
pub fn classify(table: &str) -> String {
    let name = table.rsplit('.').next().unwrap_or(table);
    camelize(&singularize(name))
}

/// `addresses` -> `address`: the end of `word` made singular as ActiveSupport does; the
/// letters kept keep their case.
pub fn singularize(word: &str) -> String {
    if word.is_empty() || is_uncountable(word) {
        return word.to_string();
    }
    let lower = word.to_lowercase();
    // Only ASCII letters are rewritten; a word whose lower-case form is not the same
    // length (some Unicode) is matched on its ASCII-lowered form instead.
    let lower = if lower.len() == word.len() {
        lower
    } else {
        word.to_ascii_lowercase()
    };
    for (singular, plural) in IRREGULAR.iter().rev() {
        for form in [plural, singular] {
            if lower.ends_with(form) {
                return replace_end(word, form.len() - 1, &singular[1..]);
            }
        }
    }
    rule(word, &lower).unwrap_or_else(|| word.to_string())
}

/// `\b<word>\z`, as ActiveSupport matches an uncountable word: at the end, after no
/// letter, digit or `_`.
fn is_uncountable(word: &str) -> bool {
    let lower = word.to_lowercase();
    UNCOUNTABLE.iter().any(|u| {
        lower.strip_suffix(u).is_some_and(|before| {
            !before
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric() || c == '_')
        })
    })
}

/// `word` with its last `n` bytes replaced by `with`.
fn replace_end(word: &str, n: usize, with: &str) -> String {
    format!("{}{with}", &word[..word.len() - n])
}

/// The first of ActiveSupport's singular rules that matches (tried from the last one it
/// defines to the first), applied.
fn rule(word: &str, w: &str) -> Option<String> {
    let ends = |s: &str| w.ends_with(s);
    // The letter before a suffix of `n` bytes.
    let before = |n: usize| w[..w.len().saturating_sub(n)].chars().next_back();
    let cut = |n: usize, add: &str| Some(replace_end(word, n, add));
    if ends("databases") {
        return cut(1, "");
    }
    if ends("quizzes") {
        return cut(3, "");
    }
    if ends("matrices") {
        return cut(4, "ix");
    }
    if ends("vertices") || ends("indices") {
        return cut(4, "ex");
    }
    if let Some(rest) = w.strip_prefix("oxen") {
        return Some(format!(
            "{}{}",
            &word[..2],
            &word[word.len() - rest.len()..]
        ));
    }
    for stem in ["alias", "status"] {
        if ends(&format!("{stem}es")) {
            return cut(2, "");
        }
        if ends(stem) {
            return cut(0, "");
        }
    }
    for stem in ["octop", "vir"] {
        if ends(&format!("{stem}us")) {
            return cut(0, "");
        }
        if ends(&format!("{stem}i")) {
            return cut(1, "us");
        }
    }
    if matches!(w, "axes" | "axis") {
        return cut(2, "is");
    }
    for stem in ["cris", "test"] {
        if ends(&format!("{stem}is")) || ends(&format!("{stem}es")) {
            return cut(2, "is");
        }
    }
    if ends("shoes") || ends("oes") {
        return cut(1 + usize::from(!ends("shoes")), "");
    }
    if ends("buses") {
        return cut(2, "");
    }
    if ends("bus") {
        return cut(0, "");
    }
    if matches!(w, "mice" | "lice") {
        return cut(3, "ouse");
    }
    if ["xes", "ches", "sses", "shes"].iter().any(|s| ends(s)) {
        return cut(2, "");
    }
    if ends("movies") {
        return cut(1, "");
    }
    if ends("series") {
        return cut(0, "");
    }
    if ends("ies") {
        let qu = w.len() > 4 && ends("quies");
        if qu || before(3).is_some_and(|c| !"aeiouy".contains(c)) {
            return cut(3, "y");
        }
    }
    if ends("ves") && before(3).is_some_and(|c| c == 'l' || c == 'r') {
        return cut(3, "f");
    }
    if ends("tives") || ends("hives") {
        return cut(1, "");
    }
    if ends("ves") && before(3).is_some_and(|c| c != 'f') {
        return cut(3, "fe");
    }
    if matches!(w, "analyses" | "analysis") {
        return cut(3, "sis");
    }
    for stem in [
        "analy", "ba", "diagno", "parenthe", "progno", "synop", "the",
    ] {
        if ends(&format!("{stem}ses")) || ends(&format!("{stem}sis")) {
            return cut(3, "sis");
        }
    }
    if ends("ta") || ends("ia") {
        return cut(1, "um");
    }
    if ends("news") || ends("ss") {
        return cut(0, "");
    }
    if ends("s") {
        return cut(1, "");
    }
    None
}

/// `order_item` -> `OrderItem`, as Rails' `camelize`: the leading run of lower-case
/// letters and digits, and each run after a `_`, capitalized; the `_` dropped.
pub fn camelize(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    let lead = word
        .find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit()))
        .unwrap_or(word.len());
    out.push_str(&capitalize(&word[..lead]));
    let mut rest = &word[lead..];
    while let Some(at) = rest.find('_') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let run = after
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(after.len());
        out.push_str(&capitalize(&after[..run]));
        rest = &after[run..];
    }
    out.push_str(rest);
    out
}

/// `iTEM` -> `Item`.
fn capitalize(run: &str) -> String {
    let mut chars = run.chars();
    match chars.next() {
        Some(first) => first
            .to_uppercase()
            .chain(chars.flat_map(char::to_lowercase))
            .collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_names_classify_as_rails_does() {
        for (table, class) in [
            ("users", "User"),
            ("order_items", "OrderItem"),
            ("categories", "Category"),
            ("addresses", "Address"),
            ("address", "Address"),
            ("access", "Access"),
            ("people", "Person"),
            ("sales_people", "SalesPerson"),
            ("news", "News"),
            ("children", "Child"),
            ("women", "Woman"),
            ("statuses", "Status"),
            ("status", "Status"),
            ("aliases", "Alias"),
            ("buses", "Bus"),
            ("boxes", "Box"),
            ("matches", "Match"),
            ("wishes", "Wish"),
            ("classes", "Class"),
            ("mice", "Mouse"),
            ("oxen", "Ox"),
            ("quizzes", "Quiz"),
            ("matrices", "Matrix"),
            ("indices", "Index"),
            ("vertices", "Vertex"),
            ("octopi", "Octopus"),
            ("viri", "Virus"),
            ("virus", "Virus"),
            ("analyses", "Analysis"),
            ("crises", "Crisis"),
            ("axes", "Axis"),
            ("theses", "Thesis"),
            ("diagnoses", "Diagnosis"),
            ("movies", "Movie"),
            ("series", "Series"),
            ("species", "Species"),
            ("sheep", "Sheep"),
            ("fish", "Fish"),
            ("equipment", "Equipment"),
            ("information", "Information"),
            ("police", "Police"),
            ("jeans", "Jeans"),
            ("wives", "Wife"),
            ("knives", "Knife"),
            ("halves", "Half"),
            ("wolves", "Wolf"),
            ("archives", "Archive"),
            ("objectives", "Objective"),
            ("heroes", "Hero"),
            ("shoes", "Shoe"),
            ("moves", "Move"),
            ("zombies", "Zombie"),
            ("sexes", "Sex"),
            ("databases", "Database"),
            ("queries", "Query"),
            ("days", "Day"),
            ("media", "Medium"),
            ("public.line_items", "LineItem"),
            ("person", "Person"),
            ("data", "Datum"),
        ] {
            assert_eq!(classify(table), class, "{table}");
        }
    }

    #[test]
    fn odd_names_do_not_panic() {
        for table in [
            "",
            "s",
            "_",
            "__",
            "ies",
            "ves",
            "é",
            "cafés",
            "ÉCOLES",
            "x_",
            "_users",
            "a.b.",
            "İs",
            "ß_ß",
            "1st_items",
            "ı",
        ] {
            let _ = classify(table);
        }
        assert_eq!(classify("cafés"), "Café");
        assert_eq!(classify("USERS"), "USER");
        assert_eq!(classify("user_ITEMS"), "UserItem");
    }
}
