//! Renders `generated/query.rs`: the query struct, its setters, the wire table (`to_pairs`),
//! the wire-key match used by parsing, and the value rules (ranges, lengths, time window).

use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::spec::{ParamKind, Parameter, Spec};
use super::text::{doc, header, literal};

/// The unformatted source of `generated/query.rs`.
pub fn render(spec: &Spec) -> String {
    let name = &spec.operation.query;
    let mut out = header(&format!(
        "`{name}`: the fields, setters, wire table, wire-key parser and value rules of every \
         query parameter of {} (`{} {}`).",
        spec.operation.name, spec.operation.method, spec.operation.path
    ));
    imports(&mut out, spec);
    constants(&mut out, spec);
    structure(&mut out, spec);

    let _ = writeln!(out, "impl {name} {{");
    parameter_names(&mut out, spec);
    for parameter in &spec.parameters {
        setter(&mut out, parameter);
    }
    to_pairs(&mut out, spec);
    set_wire(&mut out, spec);
    check_rules(&mut out, spec);
    out.push_str("}\n");
    out
}

fn imports(out: &mut String, spec: &Spec) {
    let enums: BTreeSet<&str> =
        spec.parameters.iter().filter_map(|p| p.enumeration.as_deref()).collect();
    let has = |kind: ParamKind| spec.parameters.iter().any(|p| p.kind == kind);
    let mut helpers = vec!["QueryError", "read_once"];
    if has(ParamKind::Boolean) {
        helpers.push("read_bool");
    }
    if has(ParamKind::Integer) {
        helpers.push("read_integer");
    }
    if has(ParamKind::Time) {
        helpers.push("read_time");
    }
    if has(ParamKind::Sort) {
        helpers.push("read_sort");
    }
    if spec
        .parameters
        .iter()
        .any(|p| p.range.as_ref().is_some_and(|r| r.min > 0 || r.max.is_some()))
    {
        helpers.push("check_range");
    }
    if spec.parameters.iter().any(|p| p.max_chars.is_some()) {
        helpers.push("check_chars");
    }
    if spec.parameters.iter().any(|p| p.not_after.is_some()) {
        helpers.push("check_time_window");
    }
    helpers.sort_unstable();
    if !enums.is_empty() {
        let list: Vec<&str> = enums.into_iter().collect();
        let _ = writeln!(out, "use crate::enums::{{{}}};", list.join(", "));
    }
    let _ = writeln!(out, "use crate::query::{{{}}};", helpers.join(", "));
    if has(ParamKind::Sort) {
        out.push_str("use crate::sort::Sort;\n");
    }
    if has(ParamKind::Time) {
        out.push_str("use crate::time::QueryTime;\n");
    }
    out.push('\n');
}

/// Public constants for the bounds the spec names.
fn constants(out: &mut String, spec: &Spec) {
    for p in &spec.parameters {
        let rust = p.rust.as_deref().unwrap_or("u64");
        if let Some(range) = &p.range {
            if let Some(name) = &range.min_const {
                doc(out, "", &format!("The smallest `{}` the service accepts.", p.name));
                let _ = writeln!(out, "pub const {name}: {rust} = {};", range.min);
            }
            if let (Some(name), Some(max)) = (&range.max_const, range.max) {
                doc(out, "", &format!("The largest `{}` the service accepts.", p.name));
                let _ = writeln!(out, "pub const {name}: {rust} = {max};");
            }
        }
        if let (Some(name), Some(max)) = (&p.max_chars_const, p.max_chars) {
            doc(out, "", &format!("The longest `{}` the service accepts, in characters.", p.name));
            let _ = writeln!(out, "pub const {name}: usize = {max};");
        }
    }
    out.push('\n');
}

/// The Rust type of one value of `p`.
fn value_type(p: &Parameter) -> String {
    match p.kind {
        ParamKind::String => "String".to_owned(),
        ParamKind::Boolean => "bool".to_owned(),
        ParamKind::Integer => p.rust.clone().unwrap_or_default(),
        ParamKind::Enum => p.enumeration.clone().unwrap_or_default(),
        ParamKind::Time => "QueryTime".to_owned(),
        ParamKind::Sort => "Sort".to_owned(),
    }
}

/// What the spec says about `p` beyond its one-line doc, as one sentence.
fn facts(p: &Parameter) -> String {
    let mut facts = vec![format!("Wire key `{}`, documented as {}", p.name, p.documented_type)];
    if let Some(range) = &p.range {
        facts.push(match range.max {
            Some(max) => format!("from {} to {max}", range.min),
            None => format!("at least {}", range.min),
        });
    }
    if let Some(max) = p.max_chars {
        facts.push(format!("at most {max} characters"));
    }
    if let Some(other) = &p.not_after {
        facts.push(format!("not after `{other}`"));
    }
    if let Some(default) = &p.default {
        facts.push(format!("service default `{default}`"));
    }
    format!("{}.", facts.join("; "))
}

fn structure(out: &mut String, spec: &Spec) {
    doc(
        out,
        "",
        "The query of one ListBackups request. Every parameter is optional; `None` (or an empty \
         list) is not sent. Values are checked by [`ListBackupsQuery::validate`] before anything \
         is sent.",
    );
    out.push_str("#[derive(Debug, Clone, Default, PartialEq, Eq)]\n#[non_exhaustive]\n");
    let _ = writeln!(out, "pub struct {} {{", spec.operation.query);
    for p in &spec.parameters {
        doc(out, "    ", &format!("{}\n\n{}", p.doc, facts(p)));
        let ty = value_type(p);
        if p.repeated {
            let _ = writeln!(out, "    pub {}: Vec<{ty}>,", p.name);
        } else {
            let _ = writeln!(out, "    pub {}: Option<{ty}>,", p.name);
        }
    }
    out.push_str("}\n\n");
}

fn parameter_names(out: &mut String, spec: &Spec) {
    let mut names: Vec<&str> = spec.parameters.iter().map(|p| p.name.as_str()).collect();
    names.sort_unstable();
    doc(out, "    ", "Every parameter's wire key, in wire order (sorted by key).");
    let list: Vec<String> = names.iter().map(|n| literal(n)).collect();
    let _ = writeln!(
        out,
        "    pub const PARAMETERS: [&'static str; {}] = [{}];\n",
        names.len(),
        list.join(", ")
    );
}

fn setter(out: &mut String, p: &Parameter) {
    let ty = value_type(p);
    if p.repeated {
        doc(out, "    ", &format!("Adds one value to `{}`. {}", p.name, p.doc));
        let _ = writeln!(
            out,
            "    #[must_use]\n    pub fn {0}(mut self, value: impl Into<{ty}>) -> Self {{\n        \
             self.{0}.push(value.into());\n        self\n    }}\n",
            p.name
        );
    } else {
        doc(out, "    ", &format!("Sets `{}`. {}", p.name, p.doc));
        let _ = writeln!(
            out,
            "    #[must_use]\n    pub fn {0}(mut self, value: impl Into<{ty}>) -> Self {{\n        \
             self.{0} = Some(value.into());\n        self\n    }}\n",
            p.name
        );
    }
}

fn to_pairs(out: &mut String, spec: &Spec) {
    let mut sorted: Vec<&Parameter> = spec.parameters.iter().collect();
    sorted.sort_unstable_by(|a, b| a.name.cmp(&b.name));
    doc(
        out,
        "    ",
        "The parameters as raw (unencoded) `(key, value)` pairs in wire order: sorted by key, \
         the values of a repeated key sorted by their text, as the official signer sorts them.",
    );
    out.push_str("    #[must_use]\n    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {\n");
    out.push_str("        let mut pairs = Vec::new();\n");
    for p in sorted {
        let key = literal(&p.name);
        if p.repeated {
            let _ = writeln!(
                out,
                "        let mut values: Vec<String> = \
                 self.{0}.iter().map(ToString::to_string).collect();\n        \
                 values.sort_unstable();\n        \
                 pairs.extend(values.into_iter().map(|value| ({key}, value)));",
                p.name
            );
        } else {
            let text =
                if p.kind == ParamKind::String { "value.clone()" } else { "value.to_string()" };
            let _ = writeln!(
                out,
                "        if let Some(value) = &self.{} {{\n            \
                 pairs.push(({key}, {text}));\n        }}",
                p.name
            );
        }
    }
    out.push_str("        pairs\n    }\n\n");
}

/// The rule quoted when a wire value is not an integer of the parameter's range.
fn integer_rule(p: &Parameter) -> String {
    match p.range.as_ref() {
        Some(range) => match range.max {
            Some(max) => format!("must be an integer between {} and {max}", range.min),
            None => format!("must be an integer >= {}", range.min),
        },
        None => "must be a non-negative integer".to_owned(),
    }
}

fn set_wire(out: &mut String, spec: &Spec) {
    doc(
        out,
        "    ",
        "Sets one parameter from its decoded wire text; `Ok(false)` if `key` is not a \
         parameter. A value that cannot be read, or a second value of a single-valued key, is an \
         error naming the parameter.",
    );
    out.push_str(
        "    pub(crate) fn set_wire(&mut self, key: &str, value: String) \
         -> Result<bool, QueryError> {\n        match key {\n",
    );
    for p in &spec.parameters {
        let key = literal(&p.name);
        let parsed = match p.kind {
            ParamKind::String => "value".to_owned(),
            ParamKind::Boolean => format!("read_bool({key}, &value)?"),
            ParamKind::Integer => {
                format!("read_integer({key}, &value, {})?", literal(&integer_rule(p)))
            }
            ParamKind::Enum => format!("{}::from(value)", value_type(p)),
            ParamKind::Time => format!("read_time({key}, &value)?"),
            ParamKind::Sort => format!("read_sort({key}, &value)?"),
        };
        if p.repeated {
            let _ = writeln!(out, "            {key} => self.{}.push({parsed}),", p.name);
        } else if p.kind == ParamKind::String {
            let _ = writeln!(
                out,
                "            {key} => read_once(&mut self.{}, {key}, value)?,",
                p.name
            );
        } else {
            let _ = writeln!(
                out,
                "            {key} => {{\n                let value = {parsed};\n                \
                 read_once(&mut self.{}, {key}, value)?;\n            }}",
                p.name
            );
        }
    }
    out.push_str("            _ => return Ok(false),\n        }\n        Ok(true)\n    }\n\n");
}

fn check_rules(out: &mut String, spec: &Spec) {
    doc(
        out,
        "    ",
        "Checks the ranges, lengths and the time window the spec gives; the first broken rule \
         is the error.",
    );
    out.push_str("    pub(crate) fn check_rules(&self) -> Result<(), QueryError> {\n");
    for p in &spec.parameters {
        let key = literal(&p.name);
        if let Some(range) = &p.range {
            if range.min == 0 && range.max.is_none() {
                // An unsigned type cannot be below 0: nothing to check at run time.
                continue;
            }
            let widen = |constant: &Option<String>, number: u64| {
                let text = constant.clone().unwrap_or_else(|| number.to_string());
                match (p.rust.as_deref(), constant) {
                    (Some("u64"), _) | (_, None) => text,
                    _ => format!("u64::from({text})"),
                }
            };
            let value = if p.rust.as_deref() == Some("u64") { "value" } else { "u64::from(value)" };
            let min = widen(&range.min_const, range.min);
            let max = match range.max {
                Some(max) => format!("Some({})", widen(&range.max_const, max)),
                None => "None".to_owned(),
            };
            let _ = writeln!(
                out,
                "        if let Some(value) = self.{} {{\n            \
                 check_range({key}, {value}, {min}, {max})?;\n        }}",
                p.name
            );
        }
        if let Some(max) = p.max_chars {
            let limit = p.max_chars_const.clone().unwrap_or_else(|| max.to_string());
            let text = if p.kind == ParamKind::String { "value" } else { "&value.to_string()" };
            let _ = writeln!(
                out,
                "        if let Some(value) = &self.{} {{\n            \
                 check_chars({key}, {text}, {limit})?;\n        }}",
                p.name
            );
        }
        if let Some(other) = &p.not_after {
            let _ = writeln!(out, "        check_time_window(self.{}, self.{other})?;", p.name);
        }
    }
    out.push_str("        Ok(())\n    }\n");
}
