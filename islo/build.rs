//! Generates, from the spec `islo-generated` was generated from (`DEP_ISLO_GENERATED_SPEC`),
//! normalized the same way:
//!
//! - `operations.rs`: the operation table (`islo::meta::OPERATIONS`): plane, method, path,
//!   idempotency, body and response framing, documented error statuses. The one place the
//!   SDK's send path, the fake server and the tests learn these facts from.
//! - `requests.rs`: one request builder per public operation (`islo::requests::GetSandbox`)
//!   and the method on `Islo` that starts it. Required parameters are positional; optional
//!   ones are setters; `send()` (or `.await`) returns `islo::Result`. Each builder hands its
//!   values to progenitor's generated builder for the operation's plane, unchanged.
//!
//! - `schemas.rs`: every component schema by name, with a function that decodes a JSON text
//!   as its generated type and encodes the value again (`islo/tests/round_trip.rs` includes
//!   it; the test defines `round_trip`).
//!
//! This is code generation from the normalized spec, not a rewrite of progenitor's output.

use islo_normalize::{BodyKind, Normalized, Operation, ParamLocation, Plane, ResponseKind};
use serde_json::Value;
use std::fmt::Write as _;
use std::path::PathBuf;

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed=src/id_hash.rs");
    println!("cargo::rerun-if-env-changed=DEP_ISLO_GENERATED_SPEC");
    let spec_path = PathBuf::from(
        std::env::var_os("DEP_ISLO_GENERATED_SPEC")
            .expect("islo-generated passes the path of its spec (links metadata)"),
    );
    println!("cargo::rerun-if-changed={}", spec_path.display());
    let text = std::fs::read_to_string(&spec_path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", spec_path.display()));
    let source: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{}: invalid JSON: {e}", spec_path.display()));
    let normalized = islo_normalize::normalize(&source)
        .unwrap_or_else(|e| panic!("{}: {e}", spec_path.display()));
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    let write = |name: &str, text: String| {
        std::fs::write(out.join(name), text).unwrap_or_else(|e| panic!("writing {name}: {e}"))
    };
    let api_version = source
        .pointer("/info/version")
        .and_then(Value::as_str)
        .unwrap_or("unknown");
    write(
        "operations.rs",
        format!(
            "/// The version of the Islo API these bindings were generated from (the spec's\n/// `info.version`; also the build metadata of this crate's version).\npub const API_VERSION: &str = {api_version:?};\n\n{}",
            operation_table(&normalized)
        ),
    );
    write(
        "requests.rs",
        requests(&normalized).unwrap_or_else(|e| panic!("{}: {e}", spec_path.display())),
    );
    write("schemas.rs", schema_table(&normalized));
}

/// `SCHEMAS`: each component schema's name and `round_trip::<its type>`, sorted by name.
fn schema_table(n: &Normalized) -> String {
    let mut s = String::from(
        "/// Every component schema of the normalized spec, with the round trip of its generated type.\npub static SCHEMAS: &[(&str, RoundTrip)] = &[\n",
    );
    if let Some(schemas) = n
        .spec
        .pointer("/components/schemas")
        .and_then(Value::as_object)
    {
        let mut names: Vec<&String> = schemas.keys().collect();
        names.sort();
        for name in names {
            let _ = writeln!(
                s,
                "    ({name:?}, round_trip::<types::{}>),",
                islo_normalize::pascal_case(name)
            );
        }
    }
    s.push_str("];\n");
    s
}

fn opt(s: &Option<String>) -> String {
    match s {
        Some(v) => format!("Some({v:?})"),
        None => "None".into(),
    }
}

fn plane(p: Plane) -> &'static str {
    match p {
        Plane::Control => "Plane::Control",
        Plane::Compute => "Plane::Compute",
    }
}

/// `OPERATIONS`, sorted by id, and the hash index `meta::operation` looks ids up in.
fn operation_table(n: &Normalized) -> String {
    let mut s = String::from(
        "/// Every operation of the spec, sorted by id.\npub static OPERATIONS: &[OperationMeta] = &[\n",
    );
    for op in &n.operations {
        let body = match &op.body {
            BodyKind::None => "RequestBody::None".to_string(),
            BodyKind::Json { .. } => "RequestBody::Json".to_string(),
            BodyKind::Multipart { field } => {
                format!("RequestBody::Multipart {{ field: {field:?} }}")
            }
            BodyKind::Bytes { media_type } => {
                format!("RequestBody::Bytes {{ media_type: {media_type:?} }}")
            }
        };
        let response = match &op.response {
            ResponseKind::Empty => "ResponseBody::Empty".to_string(),
            ResponseKind::Json { .. } => "ResponseBody::Json".to_string(),
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
        let mut params = String::new();
        for p in &op.params {
            let location = match p.location {
                ParamLocation::Path => "Path",
                ParamLocation::Query => "Query",
                ParamLocation::Header => "Header",
            };
            let _ = write!(
                params,
                "Param {{ name: {:?}, location: ParamLocation::{location}, required: {} }}, ",
                p.name, p.required
            );
        }
        let _ = writeln!(
            s,
            "    OperationMeta {{ id: {:?}, method: {:?}, path: {:?}, plane: {}, idempotent: {}, internal: {}, params: &[{params}], body: {body}, success_status: {}, response: {response}, errors: &[{errors}] }},",
            op.id,
            op.method,
            op.path,
            plane(op.plane),
            op.idempotent,
            op.internal,
            op.success_status,
        );
    }
    s.push_str("];\n");
    s.push_str(&operation_slots(n));
    s
}

include!("src/id_hash.rs");

/// `OPERATION_SLOTS`: `OPERATIONS` indexed by the hash of the id, open addressing with
/// linear probing, at most half full (so every probe reaches an empty slot); `u16::MAX` is
/// an empty slot.
fn operation_slots(n: &Normalized) -> String {
    let len = (n.operations.len() * 2).next_power_of_two().max(2);
    let mut slots = vec![u16::MAX; len];
    for (index, op) in n.operations.iter().enumerate() {
        let mut i = usize::try_from(id_hash(&op.id)).unwrap_or(0) & (len - 1);
        while slots[i] != u16::MAX {
            i = (i + 1) & (len - 1);
        }
        slots[i] = u16::try_from(index).unwrap_or_else(|_| panic!("more than 65534 operations"));
    }
    let cells: Vec<String> = slots.iter().map(u16::to_string).collect();
    format!(
        "\n/// `OPERATIONS` by the FNV-1a hash of the id (open addressing, linear probing, at most\n/// half full; `u16::MAX`: empty).\nstatic OPERATION_SLOTS: [u16; {len}] = [{}];\n",
        cells.join(", ")
    )
}

/// Whether a value of `schema` can hold a float (a `number` anywhere in it, references
/// followed; `seen` stops cycles).
fn carries_float(n: &Normalized, schema: &Value, seen: &mut Vec<String>) -> bool {
    let Some(o) = schema.as_object() else {
        return false;
    };
    if let Some(r) = o.get("$ref").and_then(Value::as_str) {
        if seen.iter().any(|s| s == r) {
            return false;
        }
        seen.push(r.to_string());
        let target = r
            .strip_prefix('#')
            .and_then(|pointer| n.spec.pointer(pointer));
        if target.is_some_and(|t| carries_float(n, t, seen)) {
            return true;
        }
    }
    let number = |t: &Value| t.as_str() == Some("number");
    match o.get("type") {
        Some(Value::Array(types)) if types.iter().any(number) => return true,
        Some(t) if number(t) => return true,
        _ => {}
    }
    // The keywords that hold subschemas.
    let mut inner: Vec<&Value> = Vec::new();
    for key in ["items", "additionalProperties", "not"] {
        inner.extend(o.get(key));
    }
    for key in ["anyOf", "oneOf", "allOf", "prefixItems"] {
        inner.extend(o.get(key).and_then(Value::as_array).into_iter().flatten());
    }
    inner.extend(
        o.get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flat_map(|p| p.values()),
    );
    inner.into_iter().any(|v| carries_float(n, v, seen))
}

fn ref_type(reference: &str) -> Option<String> {
    reference
        .strip_prefix("#/components/schemas/")
        .map(|n| format!("types::{}", islo_normalize::pascal_case(n)))
}

/// The Rust type typify gives a normalized schema (for the shapes the spec uses; anything
/// else is a build error naming the schema, so a new shape is added here deliberately).
fn rust_type(schema: &Value) -> Result<String, String> {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        return ref_type(r).ok_or_else(|| format!("reference {r}"));
    }
    if let Some([only]) = schema
        .get("allOf")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
    {
        return rust_type(only);
    }
    let format = schema.get("format").and_then(Value::as_str);
    match schema.get("type").and_then(Value::as_str) {
        Some("string") => Ok(match format {
            // typify's `with_conversion` in islo-generated/build.rs.
            Some("date-time") => "::islo_generated::DateTime".into(),
            Some("date") => "::chrono::NaiveDate".into(),
            Some("binary") => "::reqwest::Body".into(),
            Some("uuid") => return Err("uuid parameters (add the uuid crate)".into()),
            _ if schema.get("enum").is_some() => {
                return schema
                    .get("title")
                    .and_then(Value::as_str)
                    .map(|t| format!("types::{}", islo_normalize::pascal_case(t)))
                    .ok_or_else(|| format!("an inline enum without a name: {schema}"))
            }
            _ => "::std::string::String".into(),
        }),
        Some("integer") => Ok(match format {
            Some("int32") => "i32",
            Some("uint32") => "u32",
            Some("uint64") => "u64",
            _ => "i64",
        }
        .into()),
        Some("number") => Ok(match format {
            Some("float") => "f32",
            _ => "f64",
        }
        .into()),
        Some("boolean") => Ok("bool".into()),
        Some("array") => Ok(format!(
            "::std::vec::Vec<{}>",
            rust_type(schema.get("items").unwrap_or(&Value::Null))?
        )),
        Some("object") | None
            if schema.get("properties").is_none()
                && schema.get("anyOf").is_none()
                && schema.get("oneOf").is_none() =>
        {
            if schema.get("type").is_none() && schema.as_object().is_some_and(|o| o.is_empty()) {
                Ok("::serde_json::Value".into())
            } else {
                Ok("::serde_json::Map<::std::string::String, ::serde_json::Value>".into())
            }
        }
        _ => schema
            .get("title")
            .and_then(Value::as_str)
            .map(|t| format!("types::{}", islo_normalize::pascal_case(t)))
            .ok_or_else(|| format!("cannot name the Rust type of {schema}")),
    }
}

/// How a value of `ty` is taken from the caller, and how it becomes what is stored.
struct Arg {
    /// The argument type in a signature (`impl Into<String>`).
    accepts: String,
    /// The expression turning the argument `v` into the stored value.
    convert: String,
    /// The stored type, when it is not `ty` itself.
    stored: Option<String>,
}

/// A JSON body: the type itself or anything that converts to it; a conversion that can fail
/// (`TryFrom`) is reported when the request is sent.
fn body_arg(ty: &str) -> Arg {
    Arg {
        accepts: format!("impl TryInto<{ty}, Error: ::std::fmt::Display>"),
        convert: "v.try_into().map_err(|e| e.to_string())".into(),
        stored: Some(format!(
            "::std::result::Result<{ty}, ::std::string::String>"
        )),
    }
}

fn arg_for(ty: &str) -> Arg {
    if ty == "::std::string::String" || ty.starts_with("types::") {
        return Arg {
            accepts: format!("impl Into<{ty}>"),
            convert: "v.into()".into(),
            stored: None,
        };
    }
    if ty == "::islo_generated::DateTime" {
        // A `DateTime`, or a chrono `DateTime<Utc>` / `DateTime<FixedOffset>`.
        return Arg {
            accepts: "impl Into<::islo_generated::DateTime>".into(),
            convert: "v.into()".into(),
            stored: None,
        };
    }
    if ty == "::reqwest::Body" {
        return Arg {
            accepts: "impl Into<::reqwest::Body>".into(),
            convert: "v.into()".into(),
            stored: None,
        };
    }
    if let Some(inner) = ty
        .strip_prefix("::std::vec::Vec<")
        .and_then(|t| t.strip_suffix('>'))
    {
        if inner == "::std::string::String" || inner.starts_with("types::") {
            return Arg {
                accepts: format!("impl IntoIterator<Item = impl Into<{inner}>>"),
                convert: "v.into_iter().map(Into::into).collect()".into(),
                stored: None,
            };
        }
    }
    Arg {
        accepts: ty.to_string(),
        convert: "v".into(),
        stored: None,
    }
}

/// The fields of `op` in the order of the parameters of progenitor's positional method for
/// it: path parameters as they appear in the path, then query parameters by wire name, then
/// header parameters by wire name, then the body (progenitor's `sort_params`). The wire
/// tests send every parameter with a distinct value, so a wrong order fails them.
fn positional_order<'f>(op: &Operation, fields: &'f [Field]) -> Vec<&'f Field> {
    let mut ordered: Vec<&Field> = fields.iter().collect();
    ordered.sort_by_key(|f| match f.location {
        "path" => (
            0,
            op.path
                .find(&format!("{{{}}}", f.wire))
                .unwrap_or(usize::MAX),
            String::new(),
        ),
        "query" => (1, 0, f.wire.clone()),
        "header" => (2, 0, f.wire.clone()),
        _ => (3, 0, String::new()),
    });
    ordered
}

/// How a value the builder holds is passed to progenitor's positional method: a raw body and
/// `Copy` values as they are, strings as `&str`, anything else by reference (optional values
/// as `Option<&T>`).
fn positional_arg(f: &Field) -> String {
    let name = &f.name;
    if f.ty == "::reqwest::Body" || is_copy(&f.ty) {
        name.clone()
    } else if !f.required && f.ty == "::std::string::String" {
        format!("{name}.as_deref()")
    } else if !f.required {
        format!("{name}.as_ref()")
    } else {
        format!("&{name}")
    }
}

/// Whether values of `ty` are `Copy` (no clone needed).
fn is_copy(ty: &str) -> bool {
    matches!(
        ty,
        "i32" | "i64" | "u32" | "u64" | "f32" | "f64" | "bool" | "::chrono::NaiveDate"
    )
}

fn struct_name(id: &str) -> String {
    islo_normalize::pascal_case(id)
}

fn doc_lines(out: &mut String, indent: &str, text: &str) {
    for line in text.lines() {
        if line.trim().is_empty() {
            let _ = writeln!(out, "{indent}///");
        } else {
            let _ = writeln!(out, "{indent}/// {}", line.trim_end());
        }
    }
}

/// One value a request carries: a parameter or the body.
struct Field {
    /// The field and setter name (progenitor's builder method of the same name).
    name: String,
    wire: String,
    ty: String,
    required: bool,
    location: &'static str,
}

impl Field {
    fn arg(&self) -> Arg {
        if self.location == "body" && self.ty.starts_with("types::") {
            body_arg(&self.ty)
        } else {
            arg_for(&self.ty)
        }
    }

    /// The type the builder stores the value as.
    fn stored(&self) -> String {
        self.arg().stored.unwrap_or_else(|| self.ty.clone())
    }
}

fn fields(op: &Operation) -> Result<Vec<Field>, String> {
    let mut out = Vec::new();
    for p in &op.params {
        let location = match p.location {
            ParamLocation::Path => "path",
            ParamLocation::Query => "query",
            ParamLocation::Header => "header",
        };
        out.push(Field {
            name: islo_normalize::snake_case_ident(&p.name),
            wire: p.name.clone(),
            ty: rust_type(&p.schema).map_err(|e| format!("{} parameter {}: {e}", op.id, p.name))?,
            required: p.required,
            location,
        });
    }
    let body = match &op.body {
        BodyKind::None => None,
        BodyKind::Json { .. } => Some(
            rust_type(op.body_schema.as_ref().unwrap_or(&Value::Null))
                .map_err(|e| format!("{} body: {e}", op.id))?,
        ),
        BodyKind::Multipart { .. } | BodyKind::Bytes { .. } => Some("::reqwest::Body".into()),
    };
    if let Some(ty) = body {
        if out.iter().any(|f| f.name == "body") {
            return Err(format!("{}: a parameter is named `body`", op.id));
        }
        out.push(Field {
            name: "body".into(),
            wire: "body".into(),
            ty,
            required: op.body_required,
            location: "body",
        });
    }
    Ok(out)
}

fn response_type(op: &Operation) -> Result<String, String> {
    Ok(match &op.response {
        ResponseKind::Empty => "()".into(),
        ResponseKind::Json { .. } => match &op.response_schema {
            Some(s) => rust_type(s).map_err(|e| format!("{} response: {e}", op.id))?,
            None => "::serde_json::Value".into(),
        },
        ResponseKind::Sse | ResponseKind::Bytes { .. } => "ByteStream".into(),
    })
}

/// How a `limit`/`offset` list operation's page holds its items.
struct Paging {
    /// The item type.
    item: String,
    /// The page is an object with `items` (and `total` when this is true), not an array.
    object: bool,
    total: bool,
}

fn paging(n: &Normalized, op: &Operation) -> Result<Option<Paging>, String> {
    let has = |name: &str| {
        op.params
            .iter()
            .any(|p| p.name == name && p.location == ParamLocation::Query && !p.required)
    };
    if !has("limit") || !has("offset") {
        return Ok(None);
    }
    let Some(schema) = &op.response_schema else {
        return Ok(None);
    };
    if schema.get("type").and_then(Value::as_str) == Some("array") {
        let item = rust_type(schema.get("items").unwrap_or(&Value::Null))?;
        return Ok(Some(Paging {
            item,
            object: false,
            total: false,
        }));
    }
    let Some(name) = schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix("#/components/schemas/"))
    else {
        return Ok(None);
    };
    let component = n
        .spec
        .pointer(&format!(
            "/components/schemas/{}",
            islo_normalize::pointer_segment(name)
        ))
        .ok_or_else(|| format!("{}: no schema {name}", op.id))?;
    let props = component.get("properties");
    let Some(items) = props.and_then(|p| p.get("items")) else {
        return Ok(None);
    };
    let item = rust_type(items.get("items").unwrap_or(&Value::Null))?;
    let required = |field: &str| {
        component
            .get("required")
            .and_then(Value::as_array)
            .is_some_and(|r| r.iter().any(|v| v == field))
    };
    if !required("items") {
        return Ok(None);
    }
    let total = props.and_then(|p| p.get("total")).is_some() && required("total");
    Ok(Some(Paging {
        item,
        object: true,
        total,
    }))
}

fn plane_doc(p: Plane) -> &'static str {
    match p {
        Plane::Control => "control",
        Plane::Compute => "compute",
    }
}

fn requests(n: &Normalized) -> Result<String, String> {
    let mut s = String::new();
    let mut methods = String::new();
    for (index, op) in n.operations.iter().enumerate() {
        if op.internal {
            continue;
        }
        let name = struct_name(&op.id);
        let fields = fields(op)?;
        let response = response_type(op)?;
        let required: Vec<&Field> = fields.iter().filter(|f| f.required).collect();
        let optional: Vec<&Field> = fields.iter().filter(|f| !f.required).collect();

        // The method on `Islo`.
        let mut about = String::new();
        about.push_str(if op.summary.is_empty() {
            &op.id
        } else {
            &op.summary
        });
        about.push_str(".\n");
        if !op.description.is_empty() {
            let _ = write!(about, "\n{}\n", op.description);
        }
        let _ = write!(
            about,
            "\n`{} {}` on the {} plane. Returns a [`{name}`]: set optional values on it, then `.await` it (or call `.send()`).\n",
            op.method,
            op.path,
            plane_doc(op.plane)
        );
        doc_lines(&mut methods, "    ", &about);
        let params: Vec<String> = required
            .iter()
            .map(|f| format!("{}: {}", f.name, f.arg().accepts))
            .collect();
        let inits: Vec<String> = fields
            .iter()
            .map(|f| {
                if f.required {
                    let conv = f.arg().convert.replace("v.", &format!("{}.", f.name));
                    if conv == "v" {
                        f.name.clone()
                    } else {
                        format!("{}: {conv}", f.name)
                    }
                } else {
                    format!("{}: None", f.name)
                }
            })
            .collect();
        let _ = writeln!(
            methods,
            "    pub fn {id}(&self{sep}{params}) -> {name}<'_> {{\n        {name} {{ islo: self, {inits} }}\n    }}\n",
            id = op.id,
            sep = if params.is_empty() { "" } else { ", " },
            params = params.join(", "),
            inits = inits.join(", "),
        );

        // The builder.
        let _ = writeln!(
            s,
            "/// A `{} {}` request ([`Islo::{}`]).",
            op.method, op.path, op.id
        );
        let paged = paging(n, op)?;
        let cloneable = fields.iter().all(|f| f.ty != "::reqwest::Body");
        let _ = writeln!(
            s,
            "#[must_use = \"a request does nothing until it is sent: `.await` it or call `.send()`\"]{}\npub struct {name}<'a> {{\n    islo: &'a Islo,",
            if cloneable { "\n#[derive(Clone)]" } else { "" }
        );
        for f in &fields {
            if f.required {
                let _ = writeln!(s, "    {}: {},", f.name, f.stored());
            } else {
                let _ = writeln!(s, "    {}: Option<{}>,", f.name, f.stored());
            }
        }
        s.push_str("}\n\n");
        let _ = writeln!(
            s,
            "impl ::std::fmt::Debug for {name}<'_> {{\n    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {{\n        f.debug_struct({name:?}).finish_non_exhaustive()\n    }}\n}}\n"
        );
        let _ = writeln!(s, "impl<'a> {name}<'a> {{");
        for f in &optional {
            let arg = f.arg();
            let _ = writeln!(
                s,
                "    /// Sets `{}` ({}).\n    pub fn {}(mut self, v: {}) -> Self {{\n        self.{} = Some({});\n        self\n    }}\n",
                f.wire, f.location, f.name, arg.accepts, f.name, arg.convert
            );
        }
        let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
        let _ = writeln!(
            s,
            "    /// Sends the request: one call through the send path (auth, retries, redirects).\n    pub async fn send(self) -> Result<ResponseValue<{response}>> {{\n        let op = &meta::OPERATIONS[{index}];\n        let Self {{ islo{sep}{names} }} = self;",
            sep = if names.is_empty() { "" } else { ", " },
            names = names.join(", "),
        );
        for f in fields.iter().filter(|f| f.arg().stored.is_some()) {
            let value = if f.required {
                format!("{}.map_err(|e| body_error(op, e))?", f.name)
            } else {
                format!("{}.transpose().map_err(|e| body_error(op, e))?", f.name)
            };
            let _ = writeln!(s, "        let {} = {value};", f.name);
        }
        if matches!(op.body, BodyKind::Json { .. })
            && op
                .body_schema
                .as_ref()
                .is_some_and(|b| carries_float(n, b, &mut Vec::new()))
        {
            // serde_json would write a NaN or an infinity as `null`.
            let check = if op.body_required {
                "check_floats(op, &body)?;".to_string()
            } else {
                "if let Some(body) = &body {\n            check_floats(op, body)?;\n        }"
                    .to_string()
            };
            let _ = writeln!(s, "        {check}");
        }
        for f in fields.iter().filter(|f| f.location == "path") {
            let text = if f.ty == "::std::string::String" {
                f.name.clone()
            } else {
                format!("{}.to_string()", f.name)
            };
            let _ = writeln!(s, "        check_path_segment(op, {:?}, &{text})?;", f.wire);
        }
        let args: Vec<String> = positional_order(op, &fields)
            .into_iter()
            .map(positional_arg)
            .collect();
        let _ = writeln!(
            s,
            "        finish(islo, op, islo.plane({}).{}({}).await)\n    }}",
            plane(op.plane),
            op.id,
            args.join(", ")
        );
        if let Some(p) = paged {
            let items = if p.object { "page.items" } else { "page" };
            let total = if p.total {
                "u64::try_from(page.total).ok()"
            } else {
                "None"
            };
            // `limit` and `offset` are the pager's; every other value is copied into each
            // page's request.
            let kept: Vec<&Field> = fields
                .iter()
                .filter(|f| f.name != "limit" && f.name != "offset")
                .collect();
            let destructure: String = kept.iter().map(|f| format!(", {}", f.name)).collect();
            let clones: String = kept
                .iter()
                .filter(|f| !is_copy(&f.ty))
                .map(|f| format!(" let {0} = {0}.clone();", f.name))
                .collect();
            let _ = writeln!(
                s,
                "\n    /// Every item of every page, as a stream: `limit` and `offset` are set for each\n    /// page (see [`PageOptions`](crate::pages::PageOptions)); the other values set on this\n    /// request apply to every page. The stream owns a clone of the client.\n    pub fn items(self, options: crate::pages::PageOptions) -> crate::pages::Items<'static, {item}> {{\n        let Self {{ islo, limit: _, offset: _{destructure} }} = self;\n        let islo = islo.clone();\n        crate::pages::paginate(options, move |page_limit, page_offset| {{\n            let islo = islo.clone();{clones}\n            Box::pin(async move {{\n                let request = {name} {{ islo: &islo, limit: Some(i64::from(page_limit)), offset: Some(crate::pages::to_i64(page_offset)){destructure} }};\n                let page = request.send().await?.into_inner();\n                Ok(crate::pages::Page {{ total: {total}, items: {items} }})\n            }})\n        }})\n    }}",
                item = p.item,
            );
        }
        s.push_str("}\n\n");
        let _ = writeln!(
            s,
            "impl<'a> ::std::future::IntoFuture for {name}<'a> {{\n    type Output = Result<ResponseValue<{response}>>;\n    type IntoFuture = BoxFuture<'a, Self::Output>;\n    fn into_future(self) -> Self::IntoFuture {{\n        Box::pin(self.send())\n    }}\n}}\n"
        );
    }
    Ok(format!("impl Islo {{\n{methods}}}\n\n{s}"))
}
