//! A small reader for the INI credentials file, reading it as Python's `configparser`
//! (the official SDK's reader) does with its default settings.
//!
//! What it follows: `[section]` headers (names case-sensitive); `key = value` or
//! `key: value` split at the first `=` or `:`; keys lower-cased, keys and values trimmed;
//! whole-line comments starting with `#` or `;` (a `#` later in a line belongs to the
//! value); `[DEFAULT]` keys inherited by every section; `%%` read as `%`. What it refuses,
//! like `configparser`: a key before any section, a repeated section or key, a line that
//! is neither, and any other `%`. Indented continuation lines (multi-line values) are
//! refused, since no credential spans lines. Messages name the line, never its text: the
//! file holds secrets.

use std::collections::BTreeMap;
use std::fmt;

/// The section every other section inherits keys from.
const DEFAULT_SECTION: &str = "DEFAULT";

/// Why a file could not be read as INI; `line` counts from 1.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    /// Line of the problem.
    pub(crate) line: usize,
    /// What is wrong, without any text of the line.
    pub(crate) reason: &'static str,
}

/// The sections of an INI file, each a map from lower-cased key to value.
#[derive(Clone, Default, PartialEq, Eq)]
pub(crate) struct Ini {
    sections: BTreeMap<String, BTreeMap<String, String>>,
    defaults: BTreeMap<String, String>,
}

impl Ini {
    /// Parses `text`.
    pub(crate) fn parse(text: &str) -> Result<Self, SyntaxError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut ini = Self::default();
        let mut current: Option<String> = None;
        let mut seen_default = false;
        for (index, raw) in text.lines().enumerate() {
            let line = index + 1;
            let error = |reason| SyntaxError { line, reason };
            let trimmed = raw.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
                continue;
            }
            if let Some(name) = trimmed.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
                if name.is_empty() {
                    return Err(error("a section name is empty"));
                }
                let fresh = if name == DEFAULT_SECTION {
                    !std::mem::replace(&mut seen_default, true)
                } else {
                    ini.sections.insert(name.to_owned(), BTreeMap::new()).is_none()
                };
                if !fresh {
                    return Err(error("a section appears twice"));
                }
                current = Some(name.to_owned());
                continue;
            }
            if raw.starts_with([' ', '\t']) && !trimmed.contains(['=', ':']) {
                return Err(error("continuation lines (multi-line values) are not supported"));
            }
            let Some(split) = trimmed.find(['=', ':']) else {
                return Err(error(
                    "the line is neither a [section], a `key = value` nor a comment",
                ));
            };
            let key = trimmed[..split].trim().to_lowercase();
            if key.is_empty() {
                return Err(error("a key is empty"));
            }
            let value = unescape(trimmed[split + 1..].trim()).ok_or_else(|| {
                error("a value holds `%` not written as `%%` (interpolation is not supported)")
            })?;
            let section = match current.as_deref() {
                None => return Err(error("a key comes before any [section]")),
                Some(DEFAULT_SECTION) => &mut ini.defaults,
                Some(name) => ini.sections.entry(name.to_owned()).or_default(),
            };
            if section.insert(key, value).is_some() {
                return Err(error("a key appears twice in its section"));
            }
        }
        Ok(ini)
    }

    /// Whether the file has this section (`[DEFAULT]` does not count).
    pub(crate) fn has_section(&self, section: &str) -> bool {
        self.sections.contains_key(section)
    }

    /// The value of `key` (lower case) in `section`, else in `[DEFAULT]`; `None` when the
    /// section does not exist.
    pub(crate) fn get(&self, section: &str, key: &str) -> Option<&str> {
        let own = self.sections.get(section)?;
        own.get(key).or_else(|| self.defaults.get(key)).map(String::as_str)
    }
}

/// Lists sections and keys only: values may be secrets.
impl fmt::Debug for Ini {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys = |map: &BTreeMap<String, String>| map.keys().cloned().collect::<Vec<_>>();
        let sections: BTreeMap<_, _> =
            self.sections.iter().map(|(name, map)| (name.clone(), keys(map))).collect();
        f.debug_struct("Ini")
            .field("sections", &sections)
            .field("defaults", &keys(&self.defaults))
            .finish()
    }
}

/// `%%` becomes `%`; any other `%` is refused (configparser's basic interpolation).
fn unescape(value: &str) -> Option<String> {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c == '%' && chars.next() != Some('%') {
            return None;
        }
        out.push(c);
    }
    Some(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn reads_sections_keys_and_values_as_configparser_does() {
        // Given a file with comments, both delimiters, padding and mixed-case keys.
        let text = "\u{feff}# comment\n; another\n[basic]\n  AK = the-ak  \nsk: a=b:c # kept\n\n\
                    [global]\nak=other\n";

        // When it is parsed.
        let ini = Ini::parse(text).unwrap();

        // Then keys are lower case, values trimmed, split at the first delimiter.
        assert_eq!(ini.get("basic", "ak"), Some("the-ak"));
        assert_eq!(ini.get("basic", "sk"), Some("a=b:c # kept"));
        assert_eq!(ini.get("global", "ak"), Some("other"));
        assert_eq!(ini.get("basic", "project_id"), None);
        assert!(ini.has_section("basic"));
        assert!(!ini.has_section("Basic"), "section names are case-sensitive");
        assert_eq!(ini.get("Basic", "ak"), None);
        let shown = format!("{ini:?}");
        assert!(shown.contains("sk") && !shown.contains("the-ak"), "{shown}");
    }

    #[test]
    fn default_section_is_inherited_and_percent_is_escaped() {
        let text = "[DEFAULT]\nproject_id = p-default\n[basic]\nak = a\nsk = 100%%sure\n";

        let ini = Ini::parse(text).unwrap();

        assert_eq!(ini.get("basic", "project_id"), Some("p-default"));
        assert_eq!(ini.get("basic", "sk"), Some("100%sure"));
        assert!(!ini.has_section(DEFAULT_SECTION));
    }

    #[test]
    fn empty_values_are_kept_empty() {
        let ini = Ini::parse("[basic]\nak =\nsk = \n").unwrap();

        assert_eq!(ini.get("basic", "ak"), Some(""));
        assert_eq!(ini.get("basic", "sk"), Some(""));
    }

    #[test]
    fn refuses_what_configparser_refuses_naming_only_the_line() {
        let cases = [
            ("ak = x\n", 1, "before any [section]"),
            ("[basic]\n[basic]\n", 2, "section appears twice"),
            ("[basic]\nak = 1\nAK = 2\n", 3, "key appears twice"),
            ("[basic]\nsecret-without-delimiter\n", 2, "neither"),
            ("[basic]\nsk = 50%off\n", 2, "`%`"),
            ("[basic]\nsk = a\n  continued\n", 3, "continuation"),
            ("[]\n", 1, "section name is empty"),
            ("[DEFAULT]\n[DEFAULT]\n", 2, "section appears twice"),
            ("[basic]\n = v\n", 2, "key is empty"),
        ];
        for (text, line, reason) in cases {
            let error = Ini::parse(text).unwrap_err();

            assert_eq!(error.line, line, "{text:?}");
            assert!(error.reason.contains(reason), "{text:?}: {}", error.reason);
            assert!(!error.reason.contains("50%off") && !error.reason.contains("secret"));
        }
    }
}
