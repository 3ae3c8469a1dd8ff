//! Generates the raw Islo bindings from the vendored spec at every build: normalize (see
//! `islo-normalize`) → progenitor → prettyplease, plus the types the generated types name
//! that are not progenitor's: the open enums and `DateTime` (`build/date_time.rs`). Progenitor's output is written as it emits it (only formatted); nothing generated is
//! checked in.
//!
//! The spec is this package's copy, `islo.json` (`cargo xtask regen` writes it from the
//! workspace's `openapi/islo.json` and `--check` proves the two equal), or the file named by
//! `ISLO_OPENAPI_SPEC` (how `cargo xtask regen` checks a candidate before writing it). Its
//! path is passed on to the `islo` crate's build script (`DEP_ISLO_GENERATED_SPEC`), which
//! generates the typed request layer from the same document.

#[path = "build/date_time.rs"]
mod date_time;

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
    write("codegen.rs", generate_client(&normalized));
    write("open_enums.rs", open_enums(&normalized));
    write("date_time.rs", date_time::SOURCE.to_string());
    if std::env::var_os("CARGO_FEATURE_HTTPMOCK").is_some() {
        write("httpmock.rs", generate_httpmock(&normalized));
    }
}

/// progenitor's client for the normalized spec, formatted.
fn generate_client(n: &Normalized) -> String {
    let spec: openapiv3::OpenAPI = serde_json::from_value(n.spec.clone())
        .unwrap_or_else(|e| panic!("normalized spec does not parse: {e}"));
    let tokens = Generator::new(&settings(n))
        .generate_tokens(&spec)
        .unwrap_or_else(|e| panic!("progenitor: {e}"));
    format_tokens(tokens)
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
        .with_interface(InterfaceStyle::Builder)
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
        "crate::DateTime",
        [TypeImpl::Display, TypeImpl::FromStr].into_iter(),
    );
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
