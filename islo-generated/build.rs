//! Generates the raw Islo bindings from the vendored spec at every build: normalize (see
//! `islo-normalize`) → progenitor → prettyplease, plus what our own generator emits from the
//! normalized spec in place of typify's types: the open enums and the update bodies (whose
//! nullable fields are `islo_wire::Patch`es; date-times are `islo_wire::DateTime`s), and
//! beside typify's types: `Default` for the objects that keep unknown fields and have no
//! required field (typify stops deriving it once they have a catch-all), and `new(required
//! fields)` for the structs with required fields (from typify's type space).
//! Progenitor's output is written as it emits it (only formatted); nothing generated is
//! checked in.
//!
//! The spec is this package's copy, `islo.json` (`cargo xtask regen` writes it from the
//! workspace's `openapi/islo.json` and `--check` proves the two equal), or the file named by
//! `ISLO_OPENAPI_SPEC` (how `cargo xtask regen` checks a candidate before writing it). Its
//! path is passed on to the `islo` crate's build script (`DEP_ISLO_GENERATED_SPEC`), which
//! generates the typed request layer from the same document.

use islo_normalize::Normalized;
use progenitor::{GenerationSettings, Generator, InterfaceStyle, TagStyle, TypeImpl};
use std::fmt::Write as _;
use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    println!("cargo::rerun-if-env-changed=ISLO_OPENAPI_SPEC");
    let spec_path = match std::env::var_os("ISLO_OPENAPI_SPEC") {
        Some(p) => PathBuf::from(p),
        None => manifest.join("islo.json"),
    };
    println!("cargo::rerun-if-changed={}", spec_path.display());
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed=build");
    println!("cargo::metadata=spec={}", spec_path.display());
    let text = std::fs::read_to_string(&spec_path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", spec_path.display()));
    let source: serde_json::Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{}: invalid JSON: {e}", spec_path.display()));
    let normalized = islo_normalize::normalize(&source)
        .unwrap_or_else(|e| panic!("{}: {e}", spec_path.display()));

    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    let write = |name: &str, text: String| {
        std::fs::write(out.join(name), text).unwrap_or_else(|e| panic!("writing {name}: {e}"))
    };
    let (client, constructors) = generate_client(&normalized);
    write("codegen.rs", client);
    write("constructors.rs", constructors);
    write("open_enums.rs", open_enums(&normalized));
    write("catch_all_defaults.rs", catch_all_defaults(&normalized));
    write(
        "updates.rs",
        updates(&normalized).unwrap_or_else(|e| panic!("{}: {e}", spec_path.display())),
    );
    if std::env::var_os("CARGO_FEATURE_HTTPMOCK").is_some() {
        write("httpmock.rs", generate_httpmock(&normalized));
    }
}

/// progenitor's client for the normalized spec, formatted; and the constructors of its
/// types (see [`constructors`]).
fn generate_client(n: &Normalized) -> (String, String) {
    let spec: openapiv3::OpenAPI = serde_json::from_value(n.spec.clone())
        .unwrap_or_else(|e| panic!("normalized spec does not parse: {e}"));
    let mut generator = Generator::new(&settings(n));
    let tokens = generator
        .generate_tokens(&spec)
        .unwrap_or_else(|e| panic!("progenitor: {e}"));
    (
        format_tokens(tokens),
        constructors(generator.get_type_space()),
    )
}

/// `new(required fields)` for each of typify's structs that has required fields and no
/// `Default`, when every other field is one that serde fills with its type's `Default` when
/// absent (an `Option`, a `Vec` or a map), so that `new` builds exactly what decoding the
/// required fields alone would. Optional fields are then set with struct update syntax
/// (`types::X { field: Some(v), ..types::X::new(a, b) }`), which keeps compiling when the spec
/// adds an optional field. Structs with a field of another kind that is not required (one
/// with a default value of its own) get none.
fn constructors(types: &typify::TypeSpace) -> String {
    use typify::{TypeDetails, TypeSpaceImpl};
    let mut out = String::from("use crate::types;\n\n");
    let mut all: Vec<_> = types.iter_types().collect();
    all.sort_by_key(|t| t.name());
    for t in all {
        let TypeDetails::Struct(st) = t.details() else {
            continue;
        };
        if t.has_impl(TypeSpaceImpl::Default) {
            continue;
        }
        let mut params = Vec::new();
        let mut inits = Vec::new();
        let mut ok = true;
        for prop in st.properties_info() {
            let Ok(ty) = types.get_type(&prop.type_id) else {
                ok = false;
                break;
            };
            // typify's catch-all (`extra`, flattened; a field of the spec with that name
            // would collide with it, which the compiler refuses) is empty in a new value.
            let catch_all = prop.name == "extra" && matches!(ty.details(), TypeDetails::Map(..));
            if prop.required && !catch_all {
                params.push(format!("{}: impl Into<{}>", prop.name, ty.ident()));
                inits.push(format!("{0}: {0}.into()", prop.name));
            } else if catch_all
                || matches!(
                    ty.details(),
                    TypeDetails::Option(_) | TypeDetails::Vec(_) | TypeDetails::Map(..)
                )
            {
                inits.push(format!("{}: Default::default()", prop.name));
            } else {
                ok = false;
                break;
            }
        }
        if !ok || params.is_empty() {
            continue;
        }
        let name = t.name();
        let order: Vec<String> = params
            .iter()
            .filter_map(|p| p.split(':').next())
            .map(|p| format!("`{p}`"))
            .collect();
        let _ = write!(
            out,
            "impl crate::types::{name} {{\n    /// Builds a `{name}` from its required fields ({}, in the order of the struct's\n    /// fields); every optional field is left out.\n    #[allow(clippy::too_many_arguments)]\n    pub fn new({}) -> Self {{\n        Self {{ {} }}\n    }}\n}}\n\n",
            order.join(", "),
            params.join(", "),
            inits.join(", "),
        );
    }
    out
}

/// progenitor's typed httpmock helpers (`MockServerExt`), one per operation, generated from
/// the mock variant of the spec (`islo_normalize::mock_spec`).
fn generate_httpmock(n: &Normalized) -> String {
    let (mocks, _) = islo_normalize::mock_spec(n);
    let spec: openapiv3::OpenAPI =
        serde_json::from_value(mocks).unwrap_or_else(|e| panic!("mock spec does not parse: {e}"));
    let tokens = Generator::new(&settings(n))
        .httpmock(&spec, "crate")
        .unwrap_or_else(|e| panic!("progenitor httpmock: {e}"));
    format_tokens(tokens)
}

fn format_tokens(tokens: proc_macro2::TokenStream) -> String {
    let file: syn::File =
        syn::parse2(tokens).unwrap_or_else(|e| panic!("generated code does not parse: {e}"));
    prettyplease::unparse(&file)
}

fn settings(n: &Normalized) -> GenerationSettings {
    let mut settings = GenerationSettings::new();
    settings
        .with_interface(InterfaceStyle::Positional)
        .with_tag(TagStyle::Merged)
        .with_inner_type(
            "crate::Inner"
                .parse::<proc_macro2::TokenStream>()
                .expect("a path"),
        )
        .with_derive("PartialEq");
    // Every `format: date-time` string (fields, parameters; nullable ones too) is a
    // `crate::DateTime`, which accepts date-times without an offset and keeps its text.
    settings.with_conversion(
        schemars::schema::SchemaObject {
            instance_type: Some(schemars::schema::InstanceType::String.into()),
            format: Some("date-time".to_string()),
            ..Default::default()
        },
        "::islo_wire::DateTime",
        [TypeImpl::Display, TypeImpl::FromStr].into_iter(),
    );
    for b in &n.update_bodies {
        let name = islo_normalize::pascal_case(&b.name);
        settings.with_replacement(&name, format!("crate::updates::{name}"), std::iter::empty());
    }
    for e in &n.open_enums {
        settings.with_replacement(
            &e.name,
            format!("crate::open_enums::{}", e.name),
            [TypeImpl::Display, TypeImpl::FromStr].into_iter(),
        );
    }
    settings
}

fn variant_name(value: &str) -> String {
    let mut name = islo_normalize::pascal_case(value);
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, 'V');
    }
    name
}

fn open_enums(n: &Normalized) -> String {
    let mut s = String::new();
    for e in &n.open_enums {
        let mut variants = String::new();
        let mut to_str = String::new();
        let mut from_str = String::new();
        let mut seen = std::collections::BTreeSet::new();
        for v in &e.values {
            let mut name = variant_name(v);
            while !seen.insert(name.clone()) || name == "Unknown" {
                name.push('_');
            }
            let _ = writeln!(variants, "    #[doc = {:?}]\n    {name},", format!("`{v}`"));
            let _ = writeln!(to_str, "            Self::{name} => {v:?},");
            let _ = writeln!(from_str, "            {v:?} => Self::{name},");
        }
        let _ = write!(
            s,
            r#"
#[doc = "An open string enum: the documented values, and `Unknown` for values the server added since the spec (kept verbatim)."]
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum {name} {{
{variants}    #[doc = "A value this SDK version does not know; the server's text is kept."]
    Unknown(String),
}}

impl {name} {{
    #[doc = "The wire value."]
    pub fn as_str(&self) -> &str {{
        match self {{
{to_str}            Self::Unknown(s) => s.as_str(),
        }}
    }}
}}

impl ::std::convert::From<&str> for {name} {{
    fn from(s: &str) -> Self {{
        match s {{
{from_str}            other => Self::Unknown(other.to_string()),
        }}
    }}
}}

impl ::std::str::FromStr for {name} {{
    type Err = ::std::convert::Infallible;
    fn from_str(s: &str) -> ::std::result::Result<Self, Self::Err> {{
        Ok(Self::from(s))
    }}
}}

impl ::std::convert::TryFrom<&String> for {name} {{
    type Error = ::std::convert::Infallible;
    fn try_from(s: &String) -> ::std::result::Result<Self, Self::Error> {{
        Ok(Self::from(s.as_str()))
    }}
}}

impl ::std::convert::TryFrom<String> for {name} {{
    type Error = ::std::convert::Infallible;
    fn try_from(s: String) -> ::std::result::Result<Self, Self::Error> {{
        Ok(Self::from(s.as_str()))
    }}
}}

impl ::std::fmt::Display for {name} {{
    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {{
        f.write_str(self.as_str())
    }}
}}

impl ::serde::Serialize for {name} {{
    fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {{
        serializer.serialize_str(self.as_str())
    }}
}}

impl<'de> ::serde::Deserialize<'de> for {name} {{
    fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {{
        let s = <::std::borrow::Cow<'de, str> as ::serde::Deserialize>::deserialize(deserializer)?;
        Ok(Self::from(s.as_ref()))
    }}
}}
"#,
            name = e.name
        );
    }
    s
}

/// `impl Default` for each object that keeps unknown fields (`RewriteKind::UnknownFieldsKept`)
/// and would have had one from typify without its catch-all: no required field and no field
/// with a default value of its own (typify's derive needs every field's own `Default`, and
/// its catch-all `extra` has none, though an empty map is the only sensible one).
fn catch_all_defaults(n: &Normalized) -> String {
    use serde_json::Value;
    let mut s = String::new();
    for r in &n.rewrites {
        if r.kind != islo_normalize::RewriteKind::UnknownFieldsKept {
            continue;
        }
        let Some(segment) = r.pointer.strip_prefix("/components/schemas/") else {
            continue;
        };
        if segment.contains('/') {
            continue; // an inline object: typify names it, not the spec
        }
        let Some(schema) = n.spec.pointer(&r.pointer) else {
            continue;
        };
        let required = schema
            .get("required")
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty());
        let Some(props) = schema.get("properties").and_then(Value::as_object) else {
            continue;
        };
        if required || props.values().any(|p| p.get("default").is_some()) {
            continue;
        }
        let name = segment.replace("~1", "/").replace("~0", "~");
        let mut fields = String::new();
        for wire in props.keys() {
            let _ = writeln!(
                fields,
                "            {}: Default::default(),",
                islo_normalize::snake_case_ident(wire)
            );
        }
        let _ = write!(
            s,
            "impl ::std::default::Default for crate::types::{ty} {{\n    fn default() -> Self {{\n        Self {{\n{fields}            extra: ::serde_json::Map::new(),\n        }}\n    }}\n}}\n\n",
            ty = islo_normalize::pascal_case(&name),
        );
    }
    s
}

/// The Rust type of a field schema of an update body (the shapes typify would give it).
fn field_type(n: &Normalized, schema: &serde_json::Value) -> Result<String, String> {
    use serde_json::Value;
    let reference = schema
        .get("$ref")
        .or_else(|| {
            match schema
                .get("allOf")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
            {
                Some([only]) => only.get("$ref"),
                _ => None,
            }
        })
        .and_then(Value::as_str);
    if let Some(r) = reference {
        let name = r
            .strip_prefix("#/components/schemas/")
            .ok_or_else(|| format!("reference {r}"))?;
        let ty = islo_normalize::pascal_case(name);
        return Ok(if n.open_enums.iter().any(|e| e.name == ty) {
            format!("crate::open_enums::{ty}")
        } else if n.update_bodies.iter().any(|b| b.name == name) {
            format!("crate::updates::{ty}")
        } else {
            format!("crate::types::{ty}")
        });
    }
    let format = schema.get("format").and_then(Value::as_str);
    let known = |k: &str| schema.get(k).is_some();
    if known("enum") || known("properties") || known("anyOf") || known("oneOf") {
        return Err(format!("an inline type in an update body: {schema}"));
    }
    Ok(match schema.get("type").and_then(Value::as_str) {
        Some("string") => match format {
            Some("date-time") => "::islo_wire::DateTime".into(),
            Some("date") => "::chrono::NaiveDate".into(),
            Some("binary") => return Err(format!("a binary field in an update body: {schema}")),
            _ => "::std::string::String".into(),
        },
        Some("integer") => match format {
            Some("int32") => "i32",
            Some("uint32") => "u32",
            Some("uint64") => "u64",
            _ => "i64",
        }
        .into(),
        Some("number") => match format {
            Some("float") => "f32",
            _ => "f64",
        }
        .into(),
        Some("boolean") => "bool".into(),
        Some("array") => format!(
            "::std::vec::Vec<{}>",
            field_type(n, schema.get("items").unwrap_or(&Value::Null))?
        ),
        Some("object") => match schema.get("additionalProperties") {
            Some(v @ Value::Object(o)) if !o.is_empty() => format!(
                "::std::collections::HashMap<::std::string::String, {}>",
                field_type(n, v)?
            ),
            _ => "::serde_json::Map<::std::string::String, ::serde_json::Value>".into(),
        },
        None if schema.as_object().is_some_and(|o| {
            o.keys()
                .all(|k| matches!(k.as_str(), "description" | "nullable" | "default"))
        }) =>
        {
            "::serde_json::Value".into()
        }
        _ => return Err(format!("cannot type {schema}")),
    })
}

fn doc_comment(out: &mut String, indent: &str, text: &str) {
    for line in text.lines() {
        if line.trim().is_empty() {
            let _ = writeln!(out, "{indent}///");
        } else {
            let _ = writeln!(out, "{indent}/// {}", line.trim_end());
        }
    }
}

/// The update bodies (`crate::updates`): a struct per [`islo_normalize::UpdateBody`], whose
/// optional nullable fields are `crate::Patch`es that are left out when absent.
fn updates(n: &Normalized) -> Result<String, String> {
    use serde_json::Value;
    let mut s = String::new();
    for body in &n.update_bodies {
        let ty = islo_normalize::pascal_case(&body.name);
        let schema = n
            .spec
            .pointer(&format!(
                "/components/schemas/{}",
                islo_normalize::pointer_segment(&body.name)
            ))
            .ok_or_else(|| format!("no component schema {}", body.name))?;
        let required: Vec<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let empty = serde_json::Map::new();
        let props = schema
            .get("properties")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let mut fields = String::new();
        let mut required_fields = Vec::new();
        let mut three_state = Vec::new();
        for (wire, field) in props {
            let ident = islo_normalize::snake_case_ident(wire);
            let inner = field_type(n, field).map_err(|e| format!("{}.{wire}: {e}", body.name))?;
            let nullable = field.get("nullable") == Some(&Value::Bool(true));
            let is_required = required.contains(&wire.as_str());
            let about = field
                .get("description")
                .and_then(Value::as_str)
                .map_or_else(|| format!("`{wire}`."), str::to_string);
            doc_comment(&mut fields, "    ", &about);
            let mut attrs = Vec::new();
            if ident != *wire {
                attrs.push(format!("rename = {wire:?}"));
            }
            let rust = match (is_required, nullable) {
                (false, true) => {
                    three_state.push((ident.clone(), inner.clone()));
                    attrs.push("default".into());
                    attrs.push("skip_serializing_if = \"crate::Patch::is_absent\"".into());
                    format!("::islo_wire::Patch<{inner}>")
                }
                (false, false) => {
                    attrs.push("default".into());
                    attrs.push("skip_serializing_if = \"::std::option::Option::is_none\"".into());
                    format!("::std::option::Option<{inner}>")
                }
                (true, true) => {
                    attrs.push("deserialize_with = \"::std::option::Option::deserialize\"".into());
                    required_fields
                        .push((ident.clone(), format!("::std::option::Option<{inner}>")));
                    format!("::std::option::Option<{inner}>")
                }
                (true, false) => {
                    required_fields.push((ident.clone(), inner.clone()));
                    inner
                }
            };
            if !attrs.is_empty() {
                let _ = writeln!(fields, "    #[serde({})]", attrs.join(", "));
            }
            let _ = writeln!(fields, "    pub {ident}: {rust},");
        }
        let ops: Vec<String> = body.operations.iter().map(|o| format!("`{o}`")).collect();
        let mut about = format!("The body of {} (`{}`).", ops.join(", "), body.name);
        if let Some(d) = schema.get("description").and_then(Value::as_str) {
            let _ = write!(about, "\n\n{d}");
        }
        about.push_str(
            "\n\nIts optional fields are three-state ([`crate::Patch`]): \
             [`Absent`](crate::Patch::Absent) leaves the field as it is (it is not sent), \
             [`Null`](crate::Patch::Null) sends `null`, which clears it, \
             [`Value`](crate::Patch::Value) sets it.",
        );
        if let Some((field, _)) = three_state.first() {
            let ctor = if required_fields.is_empty() {
                format!("{ty} {{\n    {field}: Patch::Null,\n    ..Default::default()\n}}")
            } else {
                let args: Vec<String> = required_fields
                    .iter()
                    .map(|(_, t)| {
                        if t == "::std::string::String" {
                            "\"...\".to_string()".to_string()
                        } else {
                            "Default::default()".to_string()
                        }
                    })
                    .collect();
                format!(
                    "{ty} {{\n    {field}: Patch::Null,\n    ..{ty}::new({})\n}}",
                    args.join(", ")
                )
            };
            let _ = write!(
                about,
                "\n\n```\nuse islo_generated::{{updates::{ty}, Patch}};\n\n// Clear `{field}`, leave the other optional fields as they are.\nlet body = {ctor};\nlet json = serde_json::to_value(&body)?;\nassert_eq!(json[{wire:?}], serde_json::Value::Null);\n# Ok::<(), serde_json::Error>(())\n```",
                wire = props
                    .keys()
                    .find(|k| islo_normalize::snake_case_ident(k) == *field)
                    .cloned()
                    .unwrap_or_default(),
            );
        }
        doc_comment(&mut s, "", &about);
        let derive_default = if required_fields.is_empty() {
            ", Default"
        } else {
            ""
        };
        let _ = writeln!(
            s,
            "#[derive(Clone, Debug, PartialEq{derive_default}, ::serde::Serialize, ::serde::Deserialize)]\npub struct {ty} {{\n{fields}}}\n"
        );
        if !required_fields.is_empty() {
            let params: Vec<String> = required_fields
                .iter()
                .map(|(f, t)| format!("{f}: {t}"))
                .collect();
            let inits: Vec<String> = props
                .keys()
                .map(|k| {
                    let f = islo_normalize::snake_case_ident(k);
                    if required_fields.iter().any(|(r, _)| *r == f) {
                        f
                    } else {
                        format!("{f}: Default::default()")
                    }
                })
                .collect();
            let _ = writeln!(
                s,
                "impl {ty} {{\n    /// The body with its required fields; every optional one absent.\n    pub fn new({}) -> Self {{\n        Self {{ {} }}\n    }}\n}}\n",
                params.join(", "),
                inits.join(", ")
            );
        }
    }
    Ok(s)
}
