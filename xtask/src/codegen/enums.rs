//! Renders `generated/enums.rs`: one `open_enum!` invocation per enumeration of the spec (the
//! macro itself is hand-written in cbr-model's `enums.rs`).

use std::fmt::Write as _;

use super::spec::Spec;
use super::text::{doc, header, literal};

/// The unformatted source of `generated/enums.rs`.
pub fn render(spec: &Spec) -> String {
    let mut out = header(
        "The open enumerations of ListBackups: each documented value with its wire spelling. \
         Any other spelling is kept as `Unknown`.",
    );
    out.push_str("use crate::enums::open_enum;\n\n");
    for enumeration in &spec.enums {
        out.push_str("open_enum! {\n");
        doc(&mut out, "    ", &enumeration.doc);
        let _ = writeln!(out, "    {} {{", enumeration.name);
        for value in &enumeration.values {
            doc(&mut out, "        ", &value.doc);
            let _ = writeln!(out, "        {} => {},", value.variant, literal(&value.wire));
        }
        out.push_str("    }\n}\n\n");
    }
    out
}
