//! Generates the raw Islo bindings from `../openapi/islo.json` at every build:
//! normalize (see `islo-normalize`) → progenitor → prettyplease, plus the operation table
//! and the open enums the wrapper relies on. Nothing generated is checked in.

use islo_normalize::{BodyKind, Normalized, Plane, ResponseKind};
use progenitor::{GenerationSettings, Generator, InterfaceStyle, TagStyle, TypeImpl};
use std::fmt::Write as _;
use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    // `ISLO_OPENAPI_SPEC` lets `cargo xtask regen` check a candidate spec before writing it.
    println!("cargo:rerun-if-env-changed=ISLO_OPENAPI_SPEC");
    let spec_path = match std::env::var_os("ISLO_OPENAPI_SPEC") {
        Some(p) => PathBuf::from(p),
        None => manifest.join("../openapi/islo.json"),
    };
    println!("cargo:rerun-if-changed={}", spec_path.display());
    println!("cargo:rerun-if-changed=build.rs");
    let text = std::fs::read_to_string(&spec_path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", spec_path.display()));
    let source: serde_json::Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{}: invalid JSON: {e}", spec_path.display()));
    let normalized = islo_normalize::normalize(&source)
        .unwrap_or_else(|e| panic!("{}: {e}", spec_path.display()));

    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    std::fs::write(out.join("codegen.rs"), generate_client(&normalized)).expect("write codegen.rs");
    std::fs::write(out.join("operations.rs"), operation_table(&normalized))
        .expect("write operations.rs");
    std::fs::write(out.join("open_enums.rs"), open_enums(&normalized))
        .expect("write open_enums.rs");
    if std::env::var_os("CARGO_FEATURE_HTTPMOCK").is_some() {
        std::fs::write(out.join("httpmock.rs"), generate_httpmock(&normalized))
            .expect("write httpmock.rs");
    }
}

/// Typed httpmock helpers (`MockServerExt`), one per operation, for users' own tests.
fn generate_httpmock(n: &Normalized) -> String {
    let spec: openapiv3::OpenAPI = serde_json::from_value(n.spec.clone())
        .unwrap_or_else(|e| panic!("normalized spec does not parse: {e}"));
    let tokens = Generator::new(&settings(n))
        .httpmock(&spec, "crate")
        .unwrap_or_else(|e| panic!("progenitor httpmock: {e}"));
    let file: syn::File =
        syn::parse2(tokens).unwrap_or_else(|e| panic!("generated mocks do not parse: {e}"));
    repeat_list_query_params(&prettyplease::unparse(&file))
}

/// progenitor's mock matchers format a list-valued query parameter with `to_string()`, which
/// does not compile for `Vec`; match each value as a repeated key instead (`status=a&status=b`).
fn repeat_list_query_params(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    let mut pending_list = false;
    for line in code.lines() {
        if line.contains("Into<Option<&'a ::std::vec::Vec<") {
            pending_list = true;
        }
        let trimmed = line.trim_start();
        if pending_list
            && trimmed.starts_with("Self(self.0.query_param(\"")
            && trimmed.ends_with("value.to_string()))")
        {
            let name = trimmed
                .trim_start_matches("Self(self.0.query_param(\"")
                .split('"')
                .next()
                .unwrap_or_default();
            let indent = &line[..line.len() - trimmed.len()];
            let _ = writeln!(
                out,
                "{indent}Self(value.iter().fold(self.0, |w, v| w.query_param({name:?}, v.to_string())))"
            );
            pending_list = false;
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn generate_client(n: &Normalized) -> String {
    let spec: openapiv3::OpenAPI = serde_json::from_value(n.spec.clone())
        .unwrap_or_else(|e| panic!("normalized spec does not parse: {e}"));
    let tokens = Generator::new(&settings(n))
        .generate_tokens(&spec)
        .unwrap_or_else(|e| panic!("progenitor: {e}"));
    let file: syn::File =
        syn::parse2(tokens).unwrap_or_else(|e| panic!("generated code does not parse: {e}"));
    prettyplease::unparse(&file)
}

fn settings(n: &Normalized) -> GenerationSettings {
    let mut settings = GenerationSettings::new();
    settings
        .with_interface(InterfaceStyle::Builder)
        .with_tag(TagStyle::Separate)
        .with_inner_type(quote::quote!(crate::Inner))
        .with_derive("PartialEq");
    for e in &n.open_enums {
        settings.with_replacement(
            &e.name,
            format!("crate::open_enums::{}", e.name),
            [TypeImpl::Display, TypeImpl::FromStr].into_iter(),
        );
    }
    settings
}

fn opt(s: &Option<String>) -> String {
    match s {
        Some(v) => format!("Some({v:?})"),
        None => "None".into(),
    }
}

fn operation_table(n: &Normalized) -> String {
    let mut s = String::from("/// Every operation of the spec, sorted by id.\npub static OPERATIONS: &[OperationMeta] = &[\n");
    for op in &n.operations {
        let plane = match op.plane {
            Plane::Control => "Plane::Control",
            Plane::Compute => "Plane::Compute",
        };
        let body = match &op.body {
            BodyKind::None => "RequestBody::None".to_string(),
            BodyKind::Json { schema } => format!("RequestBody::Json {{ schema: {} }}", opt(schema)),
            BodyKind::Multipart { field } => {
                format!("RequestBody::Multipart {{ field: {field:?} }}")
            }
        };
        let response = match &op.response {
            ResponseKind::Empty => "ResponseBody::Empty".to_string(),
            ResponseKind::Json { schema } => {
                format!("ResponseBody::Json {{ schema: {} }}", opt(schema))
            }
            ResponseKind::Sse => "ResponseBody::Sse".to_string(),
            ResponseKind::Bytes { media_type } => {
                format!("ResponseBody::Bytes {{ media_type: {media_type:?} }}")
            }
        };
        let mut errors = String::new();
        for e in &op.errors {
            let _ = write!(
                errors,
                "ErrorStatus {{ status: {}, schema: {} }}, ",
                e.status,
                opt(&e.schema)
            );
        }
        let _ = writeln!(
            s,
            "    OperationMeta {{ id: {:?}, method: {:?}, path: {:?}, tag: {:?}, plane: {plane}, idempotent: {}, internal: {}, body: {body}, success_status: {}, response: {response}, errors: &[{errors}], summary: {:?} }},",
            op.id, op.method, op.path, op.tag, op.idempotent, op.internal, op.success_status, op.summary
        );
    }
    s.push_str("];\n");
    s
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
