//! The shape of the checked-in operation spec (`spec/cbr/list_backups.json`), read with serde,
//! and the consistency checks run before anything is rendered from it.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

/// The whole spec of one operation.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// Where the facts come from and how to read the file; not rendered.
    #[allow(dead_code, reason = "read by people, not by the renderers")]
    pub about: Vec<String>,
    /// Method, path and the names of the query and response types.
    pub operation: Operation,
    /// Source tags used by `sources` lists, with what each stands for.
    pub sources: BTreeMap<String, String>,
    /// Every query parameter, in the order the query struct declares them.
    pub parameters: Vec<Parameter>,
    /// The open enumerations.
    pub enums: Vec<EnumSpec>,
    /// The response objects, the top-level one first.
    pub objects: Vec<ObjectSpec>,
}

/// The operation itself.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Operation {
    /// Operation name in the references (`ListBackups`).
    pub name: String,
    /// HTTP method.
    pub method: String,
    /// Path template.
    pub path: String,
    /// Rust name of the query struct.
    pub query: String,
    /// Rust name of the top-level response object.
    pub response: String,
}

/// How the model holds a query parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ParamKind {
    /// Free text.
    String,
    /// `true` / `false`.
    Boolean,
    /// An unsigned integer of the width given by `rust`.
    Integer,
    /// An open enumeration named by `enum`.
    Enum,
    /// A `QueryTime` (RFC 3339 or a date in, UTC seconds out).
    Time,
    /// The `Sort` grammar.
    Sort,
}

/// An inclusive range of an integer parameter.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Range {
    /// Smallest accepted value.
    pub min: u64,
    /// Largest accepted value, if bounded.
    pub max: Option<u64>,
    /// Name of a public constant to declare for `min`.
    pub min_const: Option<String>,
    /// Name of a public constant to declare for `max`.
    pub max_const: Option<String>,
}

/// One query parameter.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Parameter {
    /// Wire key, also the Rust field and setter name.
    pub name: String,
    /// The type the references give.
    pub documented_type: String,
    /// How the model holds it.
    #[serde(rename = "type")]
    pub kind: ParamKind,
    /// Rust integer type for `integer` parameters.
    pub rust: Option<String>,
    /// Enumeration name for `enum` parameters.
    #[serde(rename = "enum")]
    pub enumeration: Option<String>,
    /// Accepted range of an `integer` parameter.
    pub range: Option<Range>,
    /// Longest accepted rendered value, in characters.
    pub max_chars: Option<u64>,
    /// Name of a public constant to declare for `max_chars`.
    pub max_chars_const: Option<String>,
    /// The service's documented default.
    pub default: Option<String>,
    /// Whether the key may be given several times.
    #[serde(default)]
    pub repeated: bool,
    /// A time parameter that must not be after this one's value.
    pub not_after: Option<String>,
    /// One-line description.
    pub doc: String,
    /// Source tags documenting the parameter.
    pub sources: Vec<String>,
}

/// One open enumeration.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnumSpec {
    /// Rust type name.
    pub name: String,
    /// Description.
    pub doc: String,
    /// Documented values, in documentation order.
    pub values: Vec<EnumValue>,
}

/// One documented value of an enumeration.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnumValue {
    /// Spelling on the wire.
    pub wire: String,
    /// Rust variant name.
    pub variant: String,
    /// Description.
    pub doc: String,
    /// Source tags documenting the value.
    pub sources: Vec<String>,
}

/// One response object.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObjectSpec {
    /// Rust type name.
    pub name: String,
    /// Name in the references.
    pub documented_name: String,
    /// Description.
    pub doc: String,
    /// Documented fields, in the order they are written back.
    pub fields: Vec<Field>,
}

/// How the model holds a response field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldKind {
    /// Text; a number is read as its text.
    String,
    /// An unsigned integer; a decimal string is read too.
    Integer,
    /// `true` / `false`.
    Boolean,
    /// A `Timestamp` keeping its original text.
    Timestamp,
    /// An open enumeration named by `enum`.
    Enum,
    /// A nested object named by `object`.
    Object,
    /// A list of the objects named by `items`.
    List,
}

/// Whether the service always sends a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Presence {
    /// Always sent, possibly `null`; written back as `null` when absent.
    Always,
    /// Sometimes sent; written back only when present.
    Optional,
}

/// One field of a response object.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Field {
    /// JSON key, also the Rust field name.
    pub name: String,
    /// The type the references give.
    pub documented_type: String,
    /// How the model holds it.
    #[serde(rename = "type")]
    pub kind: FieldKind,
    /// Enumeration name for `enum` fields.
    #[serde(rename = "enum")]
    pub enumeration: Option<String>,
    /// Object name for `object` fields.
    pub object: Option<String>,
    /// Element object name for `list` fields.
    pub items: Option<String>,
    /// Always sent or optional.
    pub presence: Presence,
    /// A `list` whose `null` or absence means empty (held as `Vec`, not `Option<Vec>`).
    #[serde(default)]
    pub null_as_empty: bool,
    /// Other keys the references use for this field.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// One-line description.
    pub doc: String,
    /// Source tags documenting the field.
    pub sources: Vec<String>,
}

impl Spec {
    /// Reads and checks a spec.
    pub fn parse(text: &str) -> Result<Self, String> {
        let spec: Self = serde_json::from_str(text).map_err(|e| format!("spec: {e}"))?;
        spec.check()?;
        Ok(spec)
    }

    /// The enumeration named `name`.
    pub fn enumeration(&self, name: &str) -> Option<&EnumSpec> {
        self.enums.iter().find(|e| e.name == name)
    }

    /// Every inconsistency that would make the rendered code wrong or not compile.
    fn check(&self) -> Result<(), String> {
        let mut problems = Vec::new();
        let enums: BTreeSet<&str> = self.enums.iter().map(|e| e.name.as_str()).collect();
        let objects: BTreeSet<&str> = self.objects.iter().map(|o| o.name.as_str()).collect();
        let mut check_sources = |what: &str, sources: &[String]| {
            if sources.is_empty() {
                problems.push(format!("{what}: no sources"));
            }
            for tag in sources {
                if !self.sources.contains_key(tag) {
                    problems.push(format!("{what}: unknown source tag {tag:?}"));
                }
            }
        };
        for parameter in &self.parameters {
            check_sources(&format!("parameter {}", parameter.name), &parameter.sources);
        }
        for enumeration in &self.enums {
            for value in &enumeration.values {
                check_sources(&format!("{}::{}", enumeration.name, value.variant), &value.sources);
            }
        }
        for object in &self.objects {
            for field in &object.fields {
                check_sources(&format!("{}.{}", object.name, field.name), &field.sources);
            }
        }

        let mut names = BTreeSet::new();
        for p in &self.parameters {
            let what = format!("parameter {}", p.name);
            if !is_field_name(&p.name) || !names.insert(p.name.as_str()) {
                problems.push(format!("{what}: not a unique snake_case name"));
            }
            let integer = matches!(p.rust.as_deref(), Some("u8" | "u32" | "u64"));
            if (p.kind == ParamKind::Integer) != integer {
                problems
                    .push(format!("{what}: `rust` must be u8, u32 or u64 exactly for integers"));
            }
            if (p.kind == ParamKind::Enum) != p.enumeration.is_some() {
                problems.push(format!("{what}: `enum` must be given exactly for enums"));
            }
            if let Some(name) = &p.enumeration {
                if !enums.contains(name.as_str()) {
                    problems.push(format!("{what}: no enumeration {name}"));
                }
            }
            if let Some(range) = &p.range {
                let limit = match p.rust.as_deref() {
                    Some("u8") => u64::from(u8::MAX),
                    Some("u32") => u64::from(u32::MAX),
                    _ => u64::MAX,
                };
                if p.kind != ParamKind::Integer
                    || range.max.is_some_and(|max| max < range.min || max > limit)
                    || range.min > limit
                    || (range.max.is_none() && range.max_const.is_some())
                {
                    problems.push(format!("{what}: range does not fit the type"));
                }
            }
            let texty = matches!(p.kind, ParamKind::String | ParamKind::Sort);
            if (p.max_chars.is_some() && !texty)
                || (p.max_chars_const.is_some() && p.max_chars.is_none())
            {
                problems.push(format!("{what}: max_chars is only for text parameters"));
            }
            if p.repeated && p.kind != ParamKind::Enum {
                problems.push(format!("{what}: only enumerations may be repeated"));
            }
            if let Some(other) = &p.not_after {
                // The one cross-parameter rule has its own error variant in cbr-model.
                if p.name != "start_time" || other != "end_time" {
                    problems.push(format!("{what}: not_after is only start_time <= end_time"));
                }
            }
        }
        for other in self.parameters.iter().filter_map(|p| p.not_after.as_deref()) {
            let is_time =
                self.parameters.iter().any(|p| p.name == other && p.kind == ParamKind::Time);
            if !is_time {
                problems.push(format!("not_after names {other}, which is not a time parameter"));
            }
        }

        let mut types = BTreeSet::new();
        for enumeration in &self.enums {
            if !is_type_name(&enumeration.name) || !types.insert(enumeration.name.as_str()) {
                problems.push(format!("enum {}: not a unique type name", enumeration.name));
            }
            let mut variants = BTreeSet::new();
            let mut wires = BTreeSet::new();
            for value in &enumeration.values {
                let unique = variants.insert(value.variant.as_str()) && wires.insert(&value.wire);
                if !is_type_name(&value.variant) || value.variant == "Unknown" || !unique {
                    problems
                        .push(format!("enum {}: bad variant {}", enumeration.name, value.variant));
                }
            }
        }
        if self.objects.first().map(|o| o.name.as_str()) != Some(self.operation.response.as_str()) {
            problems.push("the first object must be the operation's response".to_owned());
        }
        for object in &self.objects {
            if !is_type_name(&object.name) || !types.insert(object.name.as_str()) {
                problems.push(format!("object {}: not a unique type name", object.name));
            }
            let mut keys = BTreeSet::from(["extra".to_owned()]);
            for field in &object.fields {
                let what = format!("{}.{}", object.name, field.name);
                let spellings = std::iter::once(&field.name).chain(&field.aliases);
                for key in spellings {
                    if !is_field_name(key) || !keys.insert(key.clone()) {
                        problems.push(format!("{what}: key {key} is not a unique snake_case name"));
                    }
                }
                let wanted = |kind: FieldKind, given: &Option<String>, known: &BTreeSet<&str>| {
                    (field.kind == kind) == given.is_some()
                        && given.as_deref().is_none_or(|name| known.contains(name))
                };
                if !wanted(FieldKind::Enum, &field.enumeration, &enums)
                    || !wanted(FieldKind::Object, &field.object, &objects)
                    || !wanted(FieldKind::List, &field.items, &objects)
                {
                    problems.push(format!("{what}: enum/object/items do not match the type"));
                }
                if field.null_as_empty && field.kind != FieldKind::List {
                    problems.push(format!("{what}: null_as_empty is only for lists"));
                }
            }
            for field in object.fields.iter().filter(|f| !f.aliases.is_empty()) {
                if !keys.insert(format!("{}_key", field.name)) {
                    problems
                        .push(format!("{}.{}_key clashes with a field", object.name, field.name));
                }
            }
        }
        if problems.is_empty() { Ok(()) } else { Err(format!("spec: {}", problems.join("; "))) }
    }
}

/// A snake_case name that is not a Rust keyword.
fn is_field_name(name: &str) -> bool {
    const KEYWORDS: &[&str] = &[
        "as", "async", "await", "box", "break", "const", "continue", "crate", "dyn", "else",
        "enum", "extern", "false", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match",
        "mod", "move", "mut", "pub", "ref", "return", "self", "static", "struct", "super", "trait",
        "true", "try", "type", "unsafe", "use", "where", "while", "yield",
    ];
    name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !KEYWORDS.contains(&name)
}

/// A CamelCase type or variant name.
fn is_type_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_uppercase())
        && name.chars().all(|c| c.is_ascii_alphanumeric())
}
