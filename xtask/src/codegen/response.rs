//! Renders `generated/response.rs`: for each response object its struct, its write-back
//! (`Serialize`), its fast typed decode (`Deserialize`, no buffering) and its field-by-field
//! tolerant decode (`from_json`, used only when the fast one fails).

use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::spec::{Field, FieldKind, ObjectSpec, Presence, Spec};
use super::text::{doc, header, literal, upper};

/// The unformatted source of `generated/response.rs`.
pub fn render(spec: &Spec) -> String {
    let mut out = header(&format!(
        "The response objects of {}: fields, write-back (`Serialize`), the fast typed decode \
         (`Deserialize`) and the field-by-field decode that keeps odd values raw.",
        spec.operation.name
    ));
    imports(&mut out, spec);
    for object in &spec.objects {
        structure(&mut out, object);
        inherent(&mut out, object);
        serialize(&mut out, object);
        deserialize(&mut out, object);
    }
    out
}

fn all_fields(spec: &Spec) -> impl Iterator<Item = &Field> {
    spec.objects.iter().flat_map(|o| &o.fields)
}

fn imports(out: &mut String, spec: &Spec) {
    let has = |kind: FieldKind| all_fields(spec).any(|f| f.kind == kind);
    let aliased = all_fields(spec).any(|f| !f.aliases.is_empty());
    out.push_str("use std::fmt;\n\n");
    out.push_str("use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};\n");
    if aliased {
        out.push_str("use serde::de::Error as _;\n");
    }
    out.push_str("use serde::ser::{Serialize, SerializeMap, Serializer};\n");
    out.push_str("use serde_json::{Map, Value};\n\n");
    let mut backup = vec!["Extra", "Presence", "write_field"];
    if aliased {
        backup.extend(["aliased_written", "write_aliased"]);
    }
    let _ = writeln!(out, "use crate::backup::{{{}}};", backup.join(", "));
    let mut decode = vec!["Fields", "JsonPath", "Key", "OddField"];
    if aliased {
        decode.push("spelling");
    }
    let _ = writeln!(out, "use crate::decode::{{{}}};", decode.join(", "));
    let enums: BTreeSet<&str> = all_fields(spec).filter_map(|f| f.enumeration.as_deref()).collect();
    if !enums.is_empty() {
        let list: Vec<&str> = enums.into_iter().collect();
        let _ = writeln!(out, "use crate::enums::{{{}}};", list.join(", "));
    }
    let mut lenient = vec!["Lenient"];
    if has(FieldKind::String) {
        lenient.push("OptString");
    }
    if has(FieldKind::Integer) {
        lenient.push("OptU64");
    }
    let _ = writeln!(out, "use crate::lenient::{{{}}};", lenient.join(", "));
    if has(FieldKind::Timestamp) {
        out.push_str("use crate::time::Timestamp;\n");
    }
    out.push('\n');
}

/// The Rust type of a field.
fn rust_type(field: &Field) -> String {
    let inner = match field.kind {
        FieldKind::String => "String".to_owned(),
        FieldKind::Integer => "u64".to_owned(),
        FieldKind::Boolean => "bool".to_owned(),
        FieldKind::Timestamp => "Timestamp".to_owned(),
        FieldKind::Enum => field.enumeration.clone().unwrap_or_default(),
        FieldKind::Object => field.object.clone().unwrap_or_default(),
        FieldKind::List => format!("Vec<{}>", field.items.clone().unwrap_or_default()),
    };
    if field.null_as_empty { inner } else { format!("Option<{inner}>") }
}

/// The type the fast path decodes a field's value as (a `Lenient` implementation).
fn wire_type(field: &Field) -> String {
    match field.kind {
        FieldKind::String => "OptString".to_owned(),
        FieldKind::Integer => "OptU64".to_owned(),
        _ if field.null_as_empty => format!("Option<{}>", rust_type(field)),
        _ => rust_type(field),
    }
}

fn keys_const(field: &Field) -> String {
    format!("{}_KEYS", upper(&field.name))
}

fn structure(out: &mut String, object: &ObjectSpec) {
    doc(out, "", &object.doc);
    out.push_str("#[derive(Debug, Clone, Default, PartialEq)]\n#[non_exhaustive]\n");
    let _ = writeln!(out, "pub struct {} {{", object.name);
    for field in &object.fields {
        let aliases: Vec<String> = field.aliases.iter().map(|a| format!("`{a}`")).collect();
        let also = if aliases.is_empty() {
            String::new()
        } else {
            format!(" (also read as {})", aliases.join(", "))
        };
        let presence = match (field.presence, field.null_as_empty) {
            (Presence::Always, true) => "always sent; `null` or absence reads as empty",
            (Presence::Always, false) => "always sent (written back as `null` when absent)",
            (Presence::Optional, _) => "optional (written back only when present)",
        };
        let text = format!(
            "{}\n\nKey `{}`{also}, documented as {}; {presence}.",
            field.doc, field.name, field.documented_type
        );
        doc(out, "    ", &text);
        let _ = writeln!(out, "    pub {}: {},", field.name, rust_type(field));
    }
    doc(
        out,
        "    ",
        "Keys this version does not know, and documented keys whose value did not fit their \
         type, as received; written back after the documented ones.",
    );
    out.push_str("    pub extra: Extra,\n");
    for field in object.fields.iter().filter(|f| !f.aliases.is_empty()) {
        let _ = writeln!(
            out,
            "    /// The alias `{0}` was read under, if it was not its documented key.\n    \
             {0}_key: Option<&'static str>,",
            field.name
        );
    }
    out.push_str("}\n\n");
}

fn inherent(out: &mut String, object: &ObjectSpec) {
    let name = &object.name;
    let _ = writeln!(out, "impl {name} {{");
    for field in object.fields.iter().filter(|f| !f.aliases.is_empty()) {
        let keys: Vec<String> =
            std::iter::once(&field.name).chain(&field.aliases).map(|k| literal(k)).collect();
        let _ = writeln!(
            out,
            "    /// Every key of `{}`, the documented one first.\n    \
             const {}: [&'static str; {}] = [{}];\n",
            field.name,
            keys_const(field),
            keys.len(),
            keys.join(", ")
        );
        doc(
            out,
            "    ",
            &format!(
                "The key `{0}` was read under, and is written back under: `{0}` unless the \
                 service used an alias.",
                field.name
            ),
        );
        let _ = writeln!(
            out,
            "    #[must_use]\n    pub fn {0}_key(&self) -> &'static str {{\n        \
             self.{0}_key.unwrap_or(Self::{1}[0])\n    }}\n",
            field.name,
            keys_const(field)
        );
    }
    doc(
        out,
        "    ",
        "Decodes the object field by field: a value that does not fit its field is kept raw in \
         `extra` under its own key and reported in `odd` with its path.",
    );
    out.push_str(
        "    pub(crate) fn from_json(\n        object: Map<String, Value>,\n        \
         path: &JsonPath<'_>,\n        odd: &mut Vec<OddField>,\n    ) -> Self {\n",
    );
    out.push_str("        let mut out = Self::default();\n");
    for field in object.fields.iter().filter(|f| !f.aliases.is_empty()) {
        let _ = writeln!(out, "        let mut seen_{} = None;", field.name);
    }
    out.push_str("        let mut fields = Fields::new(path, odd, &mut out.extra);\n");
    out.push_str("        for (key, value) in object {\n            match key.as_str() {\n");
    for field in &object.fields {
        let decode = match field.kind {
            FieldKind::Object => {
                format!(
                    "fields.object(key, value, {}::from_json)",
                    field.object.as_deref().unwrap_or("")
                )
            }
            FieldKind::List => {
                format!(
                    "fields.list(key, value, {}::from_json)",
                    field.items.as_deref().unwrap_or("")
                )
            }
            _ => format!("fields.leaf::<{}>(key, value)", wire_type(field)),
        };
        let decode =
            if field.null_as_empty { format!("{decode}.unwrap_or_default()") } else { decode };
        if field.aliases.is_empty() {
            let _ = writeln!(
                out,
                "                {} => out.{} = {decode},",
                literal(&field.name),
                field.name
            );
        } else {
            let _ = writeln!(
                out,
                "{pattern} => match spelling(&mut seen_{name}, &key, &Self::{keys}) {{\n\
                 Ok(spelling) => {{\nout.{name} = {decode};\nout.{name}_key = spelling;\n}}\n\
                 Err(reason) => fields.keep(key, value, reason),\n}},",
                pattern = pattern(field),
                name = field.name,
                keys = keys_const(field),
            );
        }
    }
    out.push_str("                _ => fields.unknown(key, value),\n            }\n        }\n");
    out.push_str("        out\n    }\n}\n\n");
}

/// The match pattern of every key of `field`.
fn pattern(field: &Field) -> String {
    let keys: Vec<String> =
        std::iter::once(&field.name).chain(&field.aliases).map(|k| literal(k)).collect();
    keys.join(" | ")
}

fn serialize(out: &mut String, object: &ObjectSpec) {
    // Emitted unindented: rustfmt lays the code out.
    let _ = writeln!(out, "impl Serialize for {} {{", object.name);
    out.push_str(
        "fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {\n",
    );
    out.push_str("let mut map = serializer.serialize_map(None)?;\n");
    for field in &object.fields {
        let presence = match field.presence {
            Presence::Always => "Presence::Always",
            Presence::Optional => "Presence::Optional",
        };
        let value = if field.null_as_empty {
            format!("Some(&self.{})", field.name)
        } else {
            format!("self.{}.as_ref()", field.name)
        };
        if field.aliases.is_empty() {
            let key = literal(&field.name);
            let _ =
                writeln!(out, "write_field(&mut map, &self.extra, {key}, {value}, {presence})?;");
        } else {
            let (keys, name) = (keys_const(field), &field.name);
            let _ = writeln!(
                out,
                "write_aliased(&mut map, &self.extra, &Self::{keys}, self.{name}_key, {value}, \
                 {presence})?;"
            );
        }
    }
    let plain: Vec<String> =
        object.fields.iter().filter(|f| f.aliases.is_empty()).map(|f| literal(&f.name)).collect();
    out.push_str("for (key, value) in &self.extra {\n");
    if object.fields.iter().all(|f| f.aliases.is_empty()) {
        let _ = writeln!(out, "let written = matches!(key.as_str(), {});", plain.join(" | "));
    } else {
        out.push_str("let written = match key.as_str() {\n");
        if !plain.is_empty() {
            let _ = writeln!(out, "{} => true,", plain.join(" | "));
        }
        for field in object.fields.iter().filter(|f| !f.aliases.is_empty()) {
            let (pattern, keys, name) = (pattern(field), keys_const(field), &field.name);
            let _ = writeln!(
                out,
                "{pattern} => aliased_written(key, &Self::{keys}, self.{name}_key, \
                 self.{name}.is_some()),"
            );
        }
        out.push_str("_ => false,\n};\n");
    }
    out.push_str("if !written {\nmap.serialize_entry(key, value)?;\n}\n}\nmap.end()\n}\n}\n\n");
}

fn deserialize(out: &mut String, object: &ObjectSpec) {
    // Emitted unindented: rustfmt lays the code out.
    let name = &object.name;
    let _ = writeln!(out, "impl<'de> Deserialize<'de> for {name} {{");
    out.push_str(
        "fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {\n",
    );
    out.push_str("struct ObjectVisitor;\n\nimpl<'de> Visitor<'de> for ObjectVisitor {\n");
    let _ = writeln!(out, "type Value = {name};\n");
    let expecting = literal(&format!("a {} object", object.documented_name));
    let _ = writeln!(
        out,
        "fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {{\n\
         f.write_str({expecting})\n}}\n"
    );
    let _ = writeln!(
        out,
        "fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<{name}, A::Error> {{\n\
         let mut out = {name}::default();"
    );
    for field in object.fields.iter().filter(|f| !f.aliases.is_empty()) {
        let _ = writeln!(out, "let mut seen_{} = None;", field.name);
    }
    out.push_str("while let Some(key) = map.next_key::<Key<'de>>()? {\nmatch key.as_str() {\n");
    for field in &object.fields {
        let mut value = format!("map.next_value::<{}>()?.into_option()", wire_type(field));
        if field.null_as_empty {
            value.push_str(".unwrap_or_default()");
        }
        if field.aliases.is_empty() {
            let _ = writeln!(out, "{} => out.{} = {value},", literal(&field.name), field.name);
        } else {
            let _ = writeln!(
                out,
                "{pattern} => {{\nout.{name}_key = spelling(&mut seen_{name}, key.as_str(), \
                 &{object}::{keys}).map_err(A::Error::custom)?;\nout.{name} = {value};\n}}",
                pattern = pattern(field),
                name = field.name,
                object = name,
                keys = keys_const(field),
            );
        }
    }
    out.push_str(
        "_ => {\nlet value = map.next_value()?;\nout.extra.insert(key.into_string(), value);\n}\n",
    );
    out.push_str("}\n}\nOk(out)\n}\n}\n\ndeserializer.deserialize_map(ObjectVisitor)\n}\n}\n\n");
}
