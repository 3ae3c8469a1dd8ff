//! Turns the vendored Islo OpenAPI 3.1 document (as FastAPI emits it) into the OpenAPI 3.0
//! dialect that progenitor 0.15 digests, and extracts the facts the `islo` wrapper needs from
//! the spec (plane, idempotency, streaming, error bodies) as an operation table.
//!
//! Every rewrite is recorded in [`Normalized::rewrites`] so that nothing is changed silently.
//! The vendored document itself is never modified: this is a pure function from one JSON value
//! to another.

#![forbid(unsafe_code)]

use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// The result of [`normalize`].
#[derive(Debug, Clone)]
pub struct Normalized {
    /// An OpenAPI 3.0.3 document that progenitor accepts.
    pub spec: Value,
    /// Every operation of the source document (including internal ones), sorted by id.
    pub operations: Vec<Operation>,
    /// String enums that must stay open (unknown values preserved), sorted by name: every
    /// named string enum that is not a union's discriminator.
    pub open_enums: Vec<OpenEnum>,
    /// The update bodies, sorted by name: their optional nullable fields are three-state
    /// (absent, `null`, value), so the SDK generates their types (see
    /// [`RewriteKind::UpdateBody`]).
    pub update_bodies: Vec<UpdateBody>,
    /// What was rewritten, in document order.
    pub rewrites: Vec<Rewrite>,
}

/// A request-only JSON body of a PATCH or PUT operation with optional nullable fields: the
/// server tells a field left out (keep it) from one sent as `null` (clear it), as the
/// official Python SDK sends them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateBody {
    /// The component schema name (as in the source document).
    pub name: String,
    /// The operations that take it, sorted.
    pub operations: Vec<String>,
}

/// Which Islo plane serves an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Plane {
    /// The control plane (the document's top-level server).
    Control,
    /// The compute plane (operations with their own `servers`).
    Compute,
}

/// How an operation's request body is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyKind {
    /// No body.
    None,
    /// A JSON body, with the component schema name when it is a `$ref`.
    Json {
        /// The referenced component schema, if any.
        schema: Option<String>,
    },
    /// A `multipart/form-data` body with one binary part.
    Multipart {
        /// The name of the binary part (e.g. `file`).
        field: String,
    },
    /// Raw bytes of the given media type (e.g. `application/octet-stream`).
    Bytes {
        /// The declared media type.
        media_type: String,
    },
}

/// Where a parameter goes on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ParamLocation {
    /// A `{name}` segment of the path template.
    Path,
    /// A query-string pair (arrays repeat the key).
    Query,
    /// A request header.
    Header,
}

/// One parameter of an operation, as progenitor sees it after normalization.
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    /// The wire name.
    pub name: String,
    /// Where it goes.
    pub location: ParamLocation,
    /// Whether the spec requires it.
    pub required: bool,
    /// Its normalized schema.
    pub schema: Value,
}

/// What an operation's success response carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResponseKind {
    /// No body (e.g. 204).
    Empty,
    /// A JSON document, with the component schema name when it is a `$ref`.
    Json {
        /// The referenced component schema, if any.
        schema: Option<String>,
    },
    /// A `text/event-stream`.
    Sse,
    /// Raw bytes of the given media type (files, archives).
    Bytes {
        /// The declared media type.
        media_type: String,
    },
}

/// One documented error status and the schema of its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorStatus {
    /// The HTTP status code.
    pub status: u16,
    /// The component schema of the JSON body, if declared.
    pub schema: Option<String>,
}

/// What the wrapper needs to know about one operation.
#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    /// The `operationId`.
    pub id: String,
    /// The HTTP method, upper case.
    pub method: String,
    /// The path template, e.g. `/sandboxes/{sandbox_name}`.
    pub path: String,
    /// The single tag (resource group).
    pub tag: String,
    /// The plane that serves it.
    pub plane: Plane,
    /// Whether replaying it after it may have been processed is safe (GET, HEAD, PUT, DELETE, OPTIONS).
    pub idempotent: bool,
    /// Whether it is internal (`x-islo-internal`) and so not generated as a resource call.
    pub internal: bool,
    /// The request body.
    pub body: BodyKind,
    /// The success status code.
    pub success_status: u16,
    /// The success response.
    pub response: ResponseKind,
    /// Documented error statuses, sorted by status.
    pub errors: Vec<ErrorStatus>,
    /// The one-line summary.
    pub summary: String,
    /// The longer description (kept for the docs of the generated calls).
    pub description: String,
    /// The parameters, in document order (cookie parameters are left out, see
    /// [`RewriteKind::CookieParamDropped`]).
    pub params: Vec<Param>,
    /// Whether the request body is required (when there is one).
    pub body_required: bool,
    /// The normalized schema of the request body, when it is JSON.
    pub body_schema: Option<Value>,
    /// The normalized schema of the success response, when it is JSON.
    pub response_schema: Option<Value>,
}

/// A string enum whose generated Rust type keeps unknown values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenEnum {
    /// The component schema name (already PascalCase, as the generated type is named).
    pub name: String,
    /// The documented values, in document order.
    pub values: Vec<String>,
}

/// What kind of rewrite was applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RewriteKind {
    /// `openapi: 3.1.x` became `3.0.3`.
    Version,
    /// `anyOf: [X, {type: null}]` became `X` with `nullable: true`.
    NullableAnyOf,
    /// `type: [X, "null"]` became `type: X` with `nullable: true`.
    NullableTypeArray,
    /// `const: v` became `enum: [v]` (keeps tagged unions tagged).
    ConstToEnum,
    /// An `anyOf` of component schemas became a `oneOf` (an untagged enum: the first member
    /// that decodes the value takes it, or decoding fails), because typify makes an `anyOf`
    /// it cannot prove exclusive a struct of optional flattened members, which decodes a
    /// value that no member takes whole as `{}`.
    AnyOfToOneOf,
    /// An optional array or map field that is not nullable became nullable: typify skips an
    /// empty `Vec` or map of an optional field when encoding, so `[]` or `{}` would come
    /// back absent; as an `Option` it comes back as sent.
    OptionalCollectionNullable,
    /// A component schema is an update body ([`UpdateBody`]): the JSON body of a PATCH or
    /// PUT operation that no response returns, with optional nullable fields. The schema is
    /// unchanged; the SDK generates its type (each optional nullable field three-state)
    /// instead of typify, which cannot tell a field left out from one sent as `null`.
    UpdateBody,
    /// A `title` was dropped so inline types are named after their place, not their title.
    TitleDropped,
    /// An inline string enum became a named component schema.
    EnumHoisted,
    /// A validation keyword (pattern, bounds, ...) was dropped; the server still validates.
    ConstraintDropped,
    /// A keyword progenitor ignores or rejects (examples, contentMediaType, ...) was dropped.
    KeywordDropped,
    /// Error responses were moved into the operation table (the wrapper decodes them).
    ErrorResponsesMoved,
    /// A `multipart/form-data` body became a raw body (the transport frames the part).
    MultipartBody,
    /// A stream or file response became a byte stream.
    StreamResponse,
    /// Path- or operation-level `servers` were moved into the operation table.
    ServersMoved,
    /// An internal operation was left out of the generated client.
    InternalOperationRemoved,
    /// Sibling keywords of a `$ref` were dropped.
    RefSiblingsDropped,
    /// Extra success responses were dropped (progenitor takes one success type).
    ExtraSuccessDropped,
    /// `additionalProperties: false` was dropped so unknown fields still decode.
    ClosedObjectOpened,
    /// An object schema that a response can carry got `additionalProperties: {}`, so its
    /// generated struct keeps the fields the spec does not declare (ones the server added
    /// since) in a flattened catch-all map, `extra`, and encodes them again: a value read
    /// from the server and written back (a webhook's rules, a line's stages) loses nothing.
    /// Objects only requests carry get none (nothing the server sends passes through them).
    UnknownFieldsKept,
    /// A `discriminator` object was dropped (tags are inferred from the `enum` of each variant).
    DiscriminatorDropped,
    /// A `default` that does not fit the schema (e.g. `null`) was dropped.
    DefaultDropped,
    /// The success status became the `2XX` range so any 2xx (201, 202, 204 ...) is a success.
    SuccessRange,
    /// A cookie parameter was left out (progenitor cannot send one; the SDK authenticates
    /// with a bearer token).
    CookieParamDropped,
    /// A request body of raw bytes (`application/octet-stream`, ...) is sent as given.
    BytesBody,
    /// In the spec the typed httpmock helpers are generated from (only): an array-valued
    /// query parameter is matched one value at a time (`when.status("a").status("b")`),
    /// because progenitor's mock matcher formats a parameter as one value.
    MockQueryArrayAsValue,
}

/// One rewrite, with the JSON pointer of the place it happened (in the source document).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rewrite {
    /// JSON pointer into the source document.
    pub pointer: String,
    /// What was done.
    pub kind: RewriteKind,
}

/// Why a document cannot be normalized. Each variant names the place (JSON pointer).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NormalizeError {
    /// The `openapi` field is missing or not 3.x.
    Version {
        /// What was found.
        found: String,
    },
    /// A required member is missing or has the wrong type.
    Shape {
        /// Where.
        pointer: String,
        /// What was expected.
        expected: &'static str,
    },
    /// Two operations share an `operationId`.
    DuplicateOperationId {
        /// The id.
        id: String,
        /// The second place it appears.
        pointer: String,
    },
    /// An operation has no `operationId`.
    MissingOperationId {
        /// Where.
        pointer: String,
    },
    /// An operation does not have exactly one tag.
    Tags {
        /// Where.
        pointer: String,
        /// How many tags it has.
        count: usize,
    },
    /// An operation's server is neither the top-level server nor a single other server.
    Plane {
        /// Where.
        pointer: String,
        /// Why.
        reason: String,
    },
    /// A media type the SDK cannot send or receive.
    MediaType {
        /// Where.
        pointer: String,
        /// The media type.
        media_type: String,
    },
    /// A `$ref` that does not resolve inside the document.
    UnresolvedRef {
        /// Where.
        pointer: String,
        /// The reference.
        reference: String,
    },
    /// A status code that is not a three-digit number.
    Status {
        /// Where.
        pointer: String,
    },
}

impl fmt::Display for NormalizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Version { found } => write!(
                f,
                "/openapi: expected an OpenAPI 3.x document, found {found}"
            ),
            Self::Shape { pointer, expected } => write!(f, "{pointer}: expected {expected}"),
            Self::DuplicateOperationId { id, pointer } => {
                write!(f, "{pointer}/operationId: duplicate operationId `{id}`")
            }
            Self::MissingOperationId { pointer } => {
                write!(f, "{pointer}: operation has no operationId")
            }
            Self::Tags { pointer, count } => {
                write!(
                    f,
                    "{pointer}/tags: an operation needs exactly one tag, found {count}"
                )
            }
            Self::Plane { pointer, reason } => {
                write!(f, "{pointer}: cannot derive the plane: {reason}")
            }
            Self::MediaType {
                pointer,
                media_type,
            } => {
                write!(f, "{pointer}: unsupported media type `{media_type}`")
            }
            Self::UnresolvedRef { pointer, reference } => {
                write!(f, "{pointer}: `$ref` {reference} does not resolve")
            }
            Self::Status { pointer } => write!(f, "{pointer}: not a status code"),
        }
    }
}

impl std::error::Error for NormalizeError {}

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];
const CONSTRAINTS: [&str; 11] = [
    "pattern",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minItems",
    "maxItems",
    "uniqueItems",
];
const DROPPED_KEYWORDS: [&str; 8] = [
    "examples",
    "example",
    "contentMediaType",
    "contentEncoding",
    "prefixItems",
    "$schema",
    "$id",
    "deprecated",
];

/// Escapes one JSON-pointer segment.
pub fn pointer_segment(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

/// Rust's keywords (strict and reserved), which an identifier made from a name must avoid.
const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub",
    "ref", "return", "self", "Self", "static", "struct", "super", "trait", "true", "type",
    "unsafe", "use", "where", "while", "abstract", "become", "box", "do", "final", "macro",
    "override", "priv", "try", "typeof", "unsized", "virtual", "yield", "gen",
];

/// A wire name (a parameter or field) as the snake-case identifier progenitor and typify
/// give it: words split on non-alphanumerics and lower→upper boundaries, `_` in front of a
/// leading digit, `_` after a keyword (`type` → `type_`).
///
/// ```
/// assert_eq!(islo_normalize::snake_case_ident("sandboxName"), "sandbox_name");
/// assert_eq!(islo_normalize::snake_case_ident("x-trace-id"), "x_trace_id");
/// assert_eq!(islo_normalize::snake_case_ident("type"), "type_");
/// assert_eq!(islo_normalize::snake_case_ident("2fa"), "_2fa");
/// ```
pub fn snake_case_ident(name: &str) -> String {
    let mut out = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            if c.is_ascii_uppercase() && prev_lower {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
            prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        } else {
            if !out.is_empty() && !out.ends_with('_') {
                out.push('_');
            }
            prev_lower = false;
        }
    }
    let mut out = out.trim_end_matches('_').to_string();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    if KEYWORDS.contains(&out.as_str()) {
        out.push('_');
    }
    out
}

/// Converts a name to PascalCase the way the generated types are named
/// (split on non-alphanumerics and lower→upper boundaries, capitalise each word).
pub fn pascal_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut words: Vec<String> = Vec::new();
    let mut current = String::new();
    let chars: Vec<char> = name.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            continue;
        }
        let boundary = c.is_ascii_uppercase()
            && i > 0
            && (chars[i - 1].is_ascii_lowercase()
                || chars[i - 1].is_ascii_digit()
                || (chars[i - 1].is_ascii_uppercase()
                    && chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase())));
        if boundary && !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
        current.push(c);
    }
    if !current.is_empty() {
        words.push(current);
    }
    for w in words {
        let mut cs = w.chars();
        if let Some(first) = cs.next() {
            out.push(first.to_ascii_uppercase());
            out.extend(cs.map(|c| c.to_ascii_lowercase()));
        }
    }
    out
}

struct Ctx {
    rewrites: Vec<Rewrite>,
    hoisted: BTreeMap<String, Value>,
    taken_names: BTreeSet<String>,
    /// Component schemas that are members of a union: their inline enums stay closed so an
    /// open enum can never make one variant swallow another's payload.
    union_members: BTreeSet<String>,
    closed: bool,
    /// What is being normalized a response can carry: its objects keep unknown fields
    /// ([`RewriteKind::UnknownFieldsKept`]).
    returned: bool,
}

impl Ctx {
    fn note(&mut self, pointer: &str, kind: RewriteKind) {
        self.rewrites.push(Rewrite {
            pointer: pointer.to_string(),
            kind,
        });
    }

    fn unique_name(&mut self, base: &str) -> String {
        let mut name = base.to_string();
        let mut n = 2;
        while self.taken_names.contains(&name) {
            name = format!("{base}{n}");
            n += 1;
        }
        self.taken_names.insert(name.clone());
        name
    }
}

fn is_null_schema(v: &Value) -> bool {
    v.get("type").and_then(Value::as_str) == Some("null")
}

fn is_open_enum_candidate(obj: &Map<String, Value>) -> bool {
    let Some(values) = obj.get("enum").and_then(Value::as_array) else {
        return false;
    };
    !values.is_empty() && values.iter().all(Value::is_string)
}

/// Rewrites one schema in place (recursively). `name_hint` names hoisted inline enums;
/// `hoist` is false for component roots (they are already named).
fn schema(ctx: &mut Ctx, v: &mut Value, ptr: &str, name_hint: &str, hoist: bool) {
    let Some(obj) = v.as_object_mut() else {
        return;
    };

    if obj.contains_key("$ref") && obj.len() > 1 {
        let keep = obj.get("$ref").cloned();
        obj.clear();
        if let Some(r) = keep {
            obj.insert("$ref".into(), r);
        }
        ctx.note(ptr, RewriteKind::RefSiblingsDropped);
        return;
    }

    // const → single-value enum
    if let Some(c) = obj.remove("const") {
        if !obj.contains_key("type") {
            let t = match &c {
                Value::String(_) => Some("string"),
                Value::Bool(_) => Some("boolean"),
                Value::Number(n) if n.is_i64() || n.is_u64() => Some("integer"),
                Value::Number(_) => Some("number"),
                _ => None,
            };
            if let Some(t) = t {
                obj.insert("type".into(), json!(t));
            }
        }
        obj.insert("enum".into(), Value::Array(vec![c]));
        ctx.note(ptr, RewriteKind::ConstToEnum);
    }

    // type: [X, "null"]
    if let Some(Value::Array(types)) = obj.get("type").cloned() {
        let non_null: Vec<Value> = types
            .iter()
            .filter(|t| t.as_str() != Some("null"))
            .cloned()
            .collect();
        let had_null = non_null.len() != types.len();
        if non_null.len() == 1 {
            obj.insert("type".into(), non_null[0].clone());
        } else if non_null.is_empty() {
            obj.remove("type");
        } else {
            obj.remove("type");
            let variants = non_null.into_iter().map(|t| json!({ "type": t })).collect();
            obj.insert("anyOf".into(), Value::Array(variants));
        }
        if had_null {
            obj.insert("nullable".into(), Value::Bool(true));
        }
        ctx.note(ptr, RewriteKind::NullableTypeArray);
    }

    // anyOf / oneOf with a null member
    for key in ["anyOf", "oneOf"] {
        let Some(Value::Array(members)) = obj.get(key) else {
            continue;
        };
        if !members.iter().any(is_null_schema) {
            continue;
        }
        let idx = members.iter().position(|m| !is_null_schema(m)).unwrap_or(0);
        let rest: Vec<Value> = members
            .iter()
            .filter(|m| !is_null_schema(m))
            .cloned()
            .collect();
        obj.remove(key);
        ctx.note(&format!("{ptr}/{key}"), RewriteKind::NullableAnyOf);
        if rest.len() == 1 {
            let mut only = rest.into_iter().next().unwrap_or(Value::Null);
            if only.get("$ref").is_some() {
                obj.insert("allOf".into(), Value::Array(vec![only]));
            } else if only.is_object() {
                // Normalize the member where it stands in the source (so rewrites inside it
                // point there), then let it replace this wrapper, which only adds `null`.
                schema(
                    ctx,
                    &mut only,
                    &format!("{ptr}/{key}/{idx}"),
                    name_hint,
                    hoist,
                );
                for meta in ["title", "examples", "example"] {
                    if obj.remove(meta).is_some() && meta == "title" {
                        ctx.note(ptr, RewriteKind::TitleDropped);
                    }
                }
                if obj.get("default") == Some(&Value::Null) {
                    obj.remove("default");
                    ctx.note(&format!("{ptr}/default"), RewriteKind::DefaultDropped);
                }
                if let Value::Object(inner) = only {
                    for (k, val) in inner {
                        obj.insert(k, val);
                    }
                }
                if let Some(r) = obj.remove("$ref") {
                    obj.insert("allOf".into(), json!([{ "$ref": r }]));
                }
                obj.insert("nullable".into(), Value::Bool(true));
                return;
            }
        } else if !rest.is_empty() {
            obj.insert(key.into(), Value::Array(rest));
        }
        obj.insert("nullable".into(), Value::Bool(true));
    }

    if let Some(Value::Array(members)) = obj.get("anyOf") {
        if members.len() > 1 && members.iter().all(|m| ref_name(m).is_some()) {
            if let Some(members) = obj.remove("anyOf") {
                obj.insert("oneOf".into(), members);
            }
            ctx.note(&format!("{ptr}/anyOf"), RewriteKind::AnyOfToOneOf);
        }
    }

    if obj.remove("title").is_some() {
        ctx.note(ptr, RewriteKind::TitleDropped);
    }
    for k in DROPPED_KEYWORDS {
        if obj.remove(k).is_some() {
            ctx.note(&format!("{ptr}/{k}"), RewriteKind::KeywordDropped);
        }
    }
    for k in CONSTRAINTS {
        if obj.remove(k).is_some() {
            ctx.note(&format!("{ptr}/{k}"), RewriteKind::ConstraintDropped);
        }
    }
    if obj.get("additionalProperties") == Some(&Value::Bool(false)) {
        obj.remove("additionalProperties");
        ctx.note(ptr, RewriteKind::ClosedObjectOpened);
    }
    if obj.remove("discriminator").is_some() {
        ctx.note(
            &format!("{ptr}/discriminator"),
            RewriteKind::DiscriminatorDropped,
        );
    }
    // An object a response can carry keeps the fields it does not declare: typify gives a
    // schema-valued `additionalProperties` (not `true`, which it ignores) a flattened map.
    if ctx.returned
        && obj
            .get("properties")
            .and_then(Value::as_object)
            .is_some_and(|p| !p.is_empty())
        && matches!(
            obj.get("additionalProperties"),
            None | Some(Value::Bool(true))
        )
    {
        obj.insert("additionalProperties".into(), json!({}));
        ctx.note(ptr, RewriteKind::UnknownFieldsKept);
    }
    if obj.get("default") == Some(&Value::Null) {
        obj.remove("default");
        ctx.note(&format!("{ptr}/default"), RewriteKind::DefaultDropped);
    }

    // Recurse into children.
    let required: BTreeSet<String> = obj
        .get("required")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    if let Some(Value::Object(props)) = obj.get_mut("properties") {
        for (pname, pschema) in props.iter_mut() {
            let p = format!("{ptr}/properties/{}", pointer_segment(pname));
            let hint = format!("{name_hint}{}", pascal_case(pname));
            schema(ctx, pschema, &p, &hint, true);
            if !required.contains(pname) {
                if let Some(field) = pschema.as_object_mut() {
                    let collection = match field.get("type").and_then(Value::as_str) {
                        Some("array") => true,
                        Some("object") => !field.contains_key("properties"),
                        _ => false,
                    };
                    if collection
                        && !field.contains_key("nullable")
                        && !field.contains_key("default")
                    {
                        field.insert("nullable".into(), Value::Bool(true));
                        ctx.note(&p, RewriteKind::OptionalCollectionNullable);
                    }
                }
            }
        }
    }
    if let Some(items) = obj.get_mut("items") {
        schema(
            ctx,
            items,
            &format!("{ptr}/items"),
            &format!("{name_hint}Item"),
            true,
        );
    }
    if let Some(ap) = obj.get_mut("additionalProperties") {
        if ap.is_object() {
            schema(
                ctx,
                ap,
                &format!("{ptr}/additionalProperties"),
                &format!("{name_hint}Value"),
                true,
            );
        }
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(Value::Array(members)) = obj.get_mut(key) {
            for (i, m) in members.iter_mut().enumerate() {
                schema(
                    ctx,
                    m,
                    &format!("{ptr}/{key}/{i}"),
                    &format!("{name_hint}Variant{i}"),
                    true,
                );
            }
        }
    }
    if let Some(not) = obj.get_mut("not") {
        schema(ctx, not, &format!("{ptr}/not"), name_hint, true);
    }

    // Name every inline schema that becomes a Rust type after its place, uniquely: titles
    // from the source are dropped above because pydantic repeats them (two inline enums
    // titled "Kind" would collapse into one type).
    let will_hoist = !ctx.closed && is_open_enum_candidate(obj);
    if hoist && produces_type(obj) && !will_hoist {
        let name = ctx.unique_name(name_hint);
        obj.insert("title".into(), Value::String(name));
    }

    // Hoist inline string enums into named components so they can be open.
    if hoist && !ctx.closed && is_open_enum_candidate(obj) {
        let nullable = obj.remove("nullable");
        let name = ctx.unique_name(name_hint);
        let body = Value::Object(std::mem::take(obj));
        ctx.hoisted.insert(name.clone(), body);
        obj.insert("$ref".into(), json!(format!("#/components/schemas/{name}")));
        if nullable == Some(Value::Bool(true)) {
            let r = Value::Object(std::mem::take(obj));
            obj.insert("allOf".into(), Value::Array(vec![r]));
            obj.insert("nullable".into(), Value::Bool(true));
        }
        ctx.note(ptr, RewriteKind::EnumHoisted);
    }
}

/// Whether typify turns this inline schema into a named Rust type.
fn produces_type(obj: &Map<String, Value>) -> bool {
    let many = |k: &str| {
        obj.get(k)
            .and_then(Value::as_array)
            .is_some_and(|a| a.len() > 1)
    };
    obj.contains_key("enum")
        || obj.contains_key("properties")
        || many("anyOf")
        || many("oneOf")
        || many("allOf")
}

fn ref_name(v: &Value) -> Option<String> {
    v.get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix("#/components/schemas/"))
        .map(str::to_string)
}

fn shape(pointer: &str, expected: &'static str) -> NormalizeError {
    NormalizeError::Shape {
        pointer: pointer.to_string(),
        expected,
    }
}

fn server_url(v: &Value) -> Option<String> {
    v.as_array()?
        .first()?
        .get("url")?
        .as_str()
        .map(|s| s.trim_end_matches('/').to_string())
}

/// Normalizes a FastAPI-style OpenAPI 3.1 document for progenitor 0.15 and extracts the
/// operation table. Fails, naming the place, when the document breaks an invariant the SDK
/// relies on (unique ids, one tag, derivable plane, supported media types, resolvable refs).
pub fn normalize(source: &Value) -> Result<Normalized, NormalizeError> {
    let version = source.get("openapi").and_then(Value::as_str).unwrap_or("");
    if !version.starts_with("3.") {
        return Err(NormalizeError::Version {
            found: if version.is_empty() {
                "nothing".into()
            } else {
                version.to_string()
            },
        });
    }
    let mut doc = source.clone();
    let mut ctx = Ctx {
        rewrites: Vec::new(),
        hoisted: BTreeMap::new(),
        taken_names: BTreeSet::new(),
        union_members: BTreeSet::new(),
        closed: false,
        returned: false,
    };
    if version != "3.0.3" {
        doc["openapi"] = json!("3.0.3");
        ctx.note("/openapi", RewriteKind::Version);
    }
    let control = server_url(doc.get("servers").unwrap_or(&Value::Null))
        .ok_or_else(|| shape("/servers", "a top-level server (the control plane)"))?;

    let schema_names: BTreeSet<String> = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    ctx.taken_names = schema_names.iter().map(|n| pascal_case(n)).collect();
    ctx.taken_names.extend(schema_names.iter().cloned());

    check_refs(source, "", &schema_names)?;
    collect_union_members(source, &mut ctx.union_members);
    let tag_enums = discriminator_enums(source);
    let returned = returned_components(source);
    let mut update_candidates: BTreeMap<String, Vec<String>> = BTreeMap::new();

    // Components.
    if let Some(Value::Object(schemas)) = doc.pointer_mut("/components/schemas") {
        for (name, s) in schemas.iter_mut() {
            let ptr = format!("/components/schemas/{}", pointer_segment(name));
            let hint = pascal_case(name);
            ctx.closed = ctx.union_members.contains(name);
            ctx.returned = returned.contains(name);
            schema(&mut ctx, s, &ptr, &hint, false);
            ctx.closed = false;
            ctx.returned = false;
        }
    }

    // Operations.
    let mut operations = Vec::new();
    let mut seen_ids: BTreeMap<String, String> = BTreeMap::new();
    let paths = doc
        .get_mut("paths")
        .and_then(Value::as_object_mut)
        .ok_or_else(|| shape("/paths", "an object of paths"))?;
    let mut empty_paths = Vec::new();
    for (path, item) in paths.iter_mut() {
        let item_ptr = format!("/paths/{}", pointer_segment(path));
        let item = item
            .as_object_mut()
            .ok_or_else(|| shape(&item_ptr, "a path item object"))?;
        let path_server = item.remove("servers");
        if path_server.is_some() {
            ctx.note(&format!("{item_ptr}/servers"), RewriteKind::ServersMoved);
        }
        let path_params = item.get("parameters").cloned();
        let mut internal_methods = Vec::new();
        for method in METHODS {
            let Some(op) = item.get_mut(method) else {
                continue;
            };
            let op_ptr = format!("{item_ptr}/{method}");
            let op = op
                .as_object_mut()
                .ok_or_else(|| shape(&op_ptr, "an operation object"))?;
            let id = op
                .get("operationId")
                .and_then(Value::as_str)
                .ok_or_else(|| NormalizeError::MissingOperationId {
                    pointer: op_ptr.clone(),
                })?
                .to_string();
            if seen_ids.insert(id.clone(), op_ptr.clone()).is_some() {
                return Err(NormalizeError::DuplicateOperationId {
                    id,
                    pointer: op_ptr,
                });
            }
            let tags: Vec<String> = op
                .get("tags")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default();
            if tags.len() != 1 {
                return Err(NormalizeError::Tags {
                    pointer: op_ptr,
                    count: tags.len(),
                });
            }
            let op_server = op.remove("servers");
            if op_server.is_some() {
                ctx.note(&format!("{op_ptr}/servers"), RewriteKind::ServersMoved);
            }
            let plane = match op_server.as_ref().or(path_server.as_ref()) {
                None => Plane::Control,
                Some(s) => {
                    let n = s.as_array().map_or(0, Vec::len);
                    if n != 1 {
                        return Err(NormalizeError::Plane {
                            pointer: op_ptr,
                            reason: format!("expected exactly one server, found {n}"),
                        });
                    }
                    match server_url(s) {
                        Some(u) if u == control => Plane::Control,
                        Some(_) => Plane::Compute,
                        None => {
                            return Err(NormalizeError::Plane {
                                pointer: op_ptr,
                                reason: "server has no url".into(),
                            })
                        }
                    }
                }
            };
            let internal = op
                .get("x-islo-internal")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            let summary = op
                .get("summary")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let description = op
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let hint = pascal_case(&id);

            // Parameters.
            let mut params = Vec::new();
            if let Some(Value::Array(list)) = op.get_mut("parameters") {
                let mut kept = Vec::with_capacity(list.len());
                for (i, mut p) in std::mem::take(list).into_iter().enumerate() {
                    let p_ptr = format!("{op_ptr}/parameters/{i}");
                    let location = match p.get("in").and_then(Value::as_str) {
                        Some("path") => ParamLocation::Path,
                        Some("query") => ParamLocation::Query,
                        Some("header") => ParamLocation::Header,
                        Some("cookie") => {
                            ctx.note(&p_ptr, RewriteKind::CookieParamDropped);
                            continue;
                        }
                        _ => return Err(shape(&p_ptr, "a parameter `in` path, query or header")),
                    };
                    let name = p
                        .get("name")
                        .and_then(Value::as_str)
                        .ok_or_else(|| shape(&p_ptr, "a parameter with a name"))?
                        .to_string();
                    if let Some(obj) = p.as_object_mut() {
                        for k in ["examples", "example"] {
                            if obj.remove(k).is_some() {
                                ctx.note(&format!("{p_ptr}/{k}"), RewriteKind::KeywordDropped);
                            }
                        }
                    }
                    if let Some(s) = p.get_mut("schema") {
                        schema(
                            &mut ctx,
                            s,
                            &format!("{p_ptr}/schema"),
                            &format!("{hint}{}", pascal_case(&name)),
                            true,
                        );
                    }
                    params.push(Param {
                        required: location == ParamLocation::Path
                            || p.get("required").and_then(Value::as_bool).unwrap_or(false),
                        schema: p.get("schema").cloned().unwrap_or_else(|| json!({})),
                        name,
                        location,
                    });
                    kept.push(p);
                }
                *list = kept;
            }
            if let Some(pp) = &path_params {
                if pp.as_array().is_some_and(|a| !a.is_empty()) {
                    return Err(shape(
                        &format!("{item_ptr}/parameters"),
                        "parameters on operations, not on the path item",
                    ));
                }
            }

            // Request body.
            let mut body = BodyKind::None;
            let mut body_schema = None;
            let mut body_required = false;
            if let Some(rb) = op.get_mut("requestBody") {
                let rb_ptr = format!("{op_ptr}/requestBody");
                body_required = rb.get("required").and_then(Value::as_bool).unwrap_or(false);
                let content = rb
                    .get_mut("content")
                    .and_then(Value::as_object_mut)
                    .ok_or_else(|| shape(&rb_ptr, "a request body with content"))?;
                if content.len() != 1 {
                    return Err(NormalizeError::MediaType {
                        pointer: format!("{rb_ptr}/content"),
                        media_type: content.keys().cloned().collect::<Vec<_>>().join(", "),
                    });
                }
                let (media, media_obj) = content
                    .iter_mut()
                    .next()
                    .ok_or_else(|| shape(&rb_ptr, "one media type"))?;
                let media = media.clone();
                let mptr = format!("{rb_ptr}/content/{}", pointer_segment(&media));
                if media == "application/json" {
                    if let Some(s) = media_obj.get_mut("schema") {
                        body = BodyKind::Json {
                            schema: ref_name(s),
                        };
                        if let Some(name) = ref_name(s) {
                            if matches!(method, "patch" | "put") && !returned.contains(&name) {
                                update_candidates.entry(name).or_default().push(id.clone());
                            }
                        }
                        schema(
                            &mut ctx,
                            s,
                            &format!("{mptr}/schema"),
                            &format!("{hint}Body"),
                            true,
                        );
                        body_schema = Some(s.clone());
                    }
                } else if media == "multipart/form-data" {
                    let field =
                        multipart_field(source, media_obj).unwrap_or_else(|| "file".to_string());
                    body = BodyKind::Multipart { field };
                    content.clear();
                    content.insert(
                        "application/octet-stream".into(),
                        json!({"schema": {"type": "string", "format": "binary"}}),
                    );
                    ctx.note(&mptr, RewriteKind::MultipartBody);
                } else if media == "application/octet-stream" {
                    body = BodyKind::Bytes { media_type: media };
                    content.clear();
                    content.insert(
                        "application/octet-stream".into(),
                        json!({"schema": {"type": "string", "format": "binary"}}),
                    );
                    ctx.note(&mptr, RewriteKind::BytesBody);
                } else {
                    return Err(NormalizeError::MediaType {
                        pointer: mptr,
                        media_type: media,
                    });
                }
            }

            // Responses.
            let resp_ptr = format!("{op_ptr}/responses");
            let responses = op
                .get_mut("responses")
                .and_then(Value::as_object_mut)
                .ok_or_else(|| shape(&resp_ptr, "a responses object"))?;
            let mut errors = Vec::new();
            let mut success: Option<(u16, String, Value)> = None;
            let mut extra_success = false;
            let keys: Vec<String> = responses.keys().cloned().collect();
            for code in keys {
                let rptr = format!("{resp_ptr}/{}", pointer_segment(&code));
                let status: u16 = if code == "default" {
                    0
                } else if let Some(class) = code.strip_suffix("XX") {
                    class
                        .parse::<u16>()
                        .ok()
                        .filter(|c| (1..=5).contains(c))
                        .map(|c| c * 100)
                        .ok_or_else(|| NormalizeError::Status {
                            pointer: rptr.clone(),
                        })?
                } else {
                    code.parse()
                        .ok()
                        .filter(|c| (100..=599).contains(c))
                        .ok_or_else(|| NormalizeError::Status {
                            pointer: rptr.clone(),
                        })?
                };
                let r = responses.remove(&code).unwrap_or(Value::Null);
                if (200..300).contains(&status) {
                    if success.is_none() {
                        success = Some((status, code, r));
                    } else {
                        extra_success = true;
                        ctx.note(&rptr, RewriteKind::ExtraSuccessDropped);
                    }
                } else {
                    let schema_name = r
                        .get("content")
                        .and_then(|c| c.get("application/json"))
                        .and_then(|m| m.get("schema"))
                        .and_then(ref_name);
                    if status != 0 {
                        errors.push(ErrorStatus {
                            status,
                            schema: schema_name,
                        });
                    }
                    ctx.note(&rptr, RewriteKind::ErrorResponsesMoved);
                }
            }
            let _ = extra_success;
            let (success_status, code, mut r) =
                success.ok_or_else(|| shape(&resp_ptr, "a 2xx response"))?;
            let rptr = format!("{resp_ptr}/{code}");
            let mut response = ResponseKind::Empty;
            let mut response_schema = None;
            if let Some(obj) = r.as_object_mut() {
                obj.entry("description").or_insert(json!(""));
                if let Some(content) = obj.get_mut("content").and_then(Value::as_object_mut) {
                    let medias: Vec<String> = content.keys().cloned().collect();
                    let stream_media = medias
                        .iter()
                        .find(|m| m.as_str() != "application/json")
                        .cloned();
                    if let Some(media) = stream_media {
                        response = if media == "text/event-stream" {
                            ResponseKind::Sse
                        } else {
                            ResponseKind::Bytes {
                                media_type: media.clone(),
                            }
                        };
                        content.clear();
                        content.insert(
                            "application/octet-stream".into(),
                            json!({"schema": {"type": "string", "format": "binary"}}),
                        );
                        ctx.note(&format!("{rptr}/content"), RewriteKind::StreamResponse);
                    } else if let Some(m) = content.get_mut("application/json") {
                        if let Some(s) = m.get_mut("schema") {
                            response = ResponseKind::Json {
                                schema: ref_name(s),
                            };
                            ctx.returned = true;
                            schema(
                                &mut ctx,
                                s,
                                &format!("{rptr}/content/application~1json/schema"),
                                &format!("{hint}Response"),
                                true,
                            );
                            ctx.returned = false;
                            response_schema = Some(s.clone());
                        } else {
                            response = ResponseKind::Json { schema: None };
                        }
                    }
                    if content.is_empty() {
                        obj.remove("content");
                    }
                }
            }
            if code != "2XX" {
                ctx.note(&rptr, RewriteKind::SuccessRange);
            }
            responses.insert("2XX".to_string(), r);
            errors.sort_by_key(|e| e.status);

            let method_upper = method.to_ascii_uppercase();
            let idempotent = matches!(method, "get" | "head" | "put" | "delete" | "options");
            operations.push(Operation {
                id,
                method: method_upper,
                path: path.clone(),
                tag: tags[0].clone(),
                plane,
                idempotent,
                internal,
                body,
                success_status,
                response,
                errors,
                summary,
                description,
                params,
                body_required,
                body_schema,
                response_schema,
            });
            if internal {
                internal_methods.push(method);
            }
        }
        for m in internal_methods {
            item.remove(m);
            ctx.note(
                &format!("{item_ptr}/{m}"),
                RewriteKind::InternalOperationRemoved,
            );
        }
        item.remove("parameters");
        if !METHODS.iter().any(|m| item.contains_key(*m)) {
            empty_paths.push(path.clone());
        }
    }
    for p in empty_paths {
        paths.remove(&p);
    }

    // Insert hoisted enums.
    if !ctx.hoisted.is_empty() {
        let schemas = doc
            .pointer_mut("/components/schemas")
            .and_then(Value::as_object_mut)
            .ok_or_else(|| shape("/components/schemas", "an object of schemas"))?;
        for (name, s) in std::mem::take(&mut ctx.hoisted) {
            schemas.insert(name, s);
        }
    }

    // Open enums: every named string enum but a union's discriminator (which tells the
    // union's members apart, so an unknown tag must fail rather than pick a member).
    let mut open_enums = Vec::new();
    if let Some(schemas) = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
    {
        for (name, s) in schemas {
            if let Some(obj) = s.as_object() {
                if is_open_enum_candidate(obj) && !tag_enums.contains(name) {
                    let values = obj
                        .get("enum")
                        .and_then(Value::as_array)
                        .map(|a| {
                            a.iter()
                                .filter_map(Value::as_str)
                                .map(str::to_string)
                                .collect()
                        })
                        .unwrap_or_default();
                    open_enums.push(OpenEnum {
                        name: pascal_case(name),
                        values,
                    });
                }
            }
        }
    }

    // Update bodies: of the request-only PATCH/PUT bodies, those with an optional nullable
    // field (whose `null` the server reads as "clear it").
    let mut update_bodies = Vec::new();
    for (name, mut ops) in update_candidates {
        let Some(component) =
            doc.pointer(&format!("/components/schemas/{}", pointer_segment(&name)))
        else {
            continue;
        };
        let required: BTreeSet<&str> = component
            .get("required")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let three_state = component
            .get("properties")
            .and_then(Value::as_object)
            .is_some_and(|props| {
                props.iter().any(|(k, v)| {
                    !required.contains(k.as_str()) && v.get("nullable") == Some(&Value::Bool(true))
                })
            });
        if three_state {
            ops.sort();
            ops.dedup();
            ctx.note(
                &format!("/components/schemas/{}", pointer_segment(&name)),
                RewriteKind::UpdateBody,
            );
            update_bodies.push(UpdateBody {
                name,
                operations: ops,
            });
        }
    }

    operations.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(Normalized {
        spec: doc,
        operations,
        open_enums,
        update_bodies,
        rewrites: ctx.rewrites,
    })
}

/// The spec that progenitor's typed httpmock helpers are generated from: the normalized spec
/// with each array-valued query parameter typed as its item, so that a mock matches one value
/// per call (`status=a` present) instead of needing a list formatted as one value. The
/// client keeps the array; the rewrites returned name each parameter changed (pointers into
/// the normalized document, which has the source's operation layout).
pub fn mock_spec(normalized: &Normalized) -> (Value, Vec<Rewrite>) {
    let mut spec = normalized.spec.clone();
    let mut rewrites = Vec::new();
    if let Some(Value::Object(paths)) = spec.get_mut("paths") {
        for (path, item) in paths.iter_mut() {
            let Some(item) = item.as_object_mut() else {
                continue;
            };
            for method in METHODS {
                let Some(Value::Array(params)) =
                    item.get_mut(method).and_then(|op| op.get_mut("parameters"))
                else {
                    continue;
                };
                for (i, p) in params.iter_mut().enumerate() {
                    if p.get("in").and_then(Value::as_str) != Some("query") {
                        continue;
                    }
                    let Some(s) = p.get_mut("schema").and_then(Value::as_object_mut) else {
                        continue;
                    };
                    if s.get("type").and_then(Value::as_str) != Some("array") {
                        continue;
                    }
                    let items = s.remove("items").unwrap_or_else(|| json!({}));
                    s.remove("type");
                    if let Value::Object(items) = items {
                        for (k, v) in items {
                            s.insert(k, v);
                        }
                    }
                    rewrites.push(Rewrite {
                        pointer: format!(
                            "/paths/{}/{method}/parameters/{i}/schema",
                            pointer_segment(path)
                        ),
                        kind: RewriteKind::MockQueryArrayAsValue,
                    });
                }
            }
        }
    }
    (spec, rewrites)
}

fn multipart_field(source: &Value, media: &Value) -> Option<String> {
    let s = media.get("schema")?;
    let resolved = match ref_name(s) {
        Some(n) => source.pointer(&format!("/components/schemas/{}", pointer_segment(&n)))?,
        None => s,
    };
    let props = resolved.get("properties")?.as_object()?;
    props
        .iter()
        .find(|(_, p)| {
            p.get("format").and_then(Value::as_str) == Some("binary")
                || p.get("contentMediaType").is_some()
        })
        .map(|(k, _)| k.clone())
}

fn collect_union_members(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            for key in ["oneOf", "anyOf"] {
                if let Some(Value::Array(members)) = m.get(key) {
                    let real: Vec<String> = members.iter().filter_map(ref_name).collect();
                    if real.len() > 1 {
                        out.extend(real);
                    }
                }
            }
            m.values().for_each(|c| collect_union_members(c, out));
        }
        Value::Array(a) => a.iter().for_each(|c| collect_union_members(c, out)),
        _ => {}
    }
}

/// Every component schema `v` references (directly), in document order.
fn refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if let Some(n) = ref_name(v) {
                out.push(n);
            }
            m.values().for_each(|c| refs(c, out));
        }
        Value::Array(a) => a.iter().for_each(|c| refs(c, out)),
        _ => {}
    }
}

/// The component schemas a response can carry (any status, any media type), transitively.
fn returned_components(source: &Value) -> BTreeSet<String> {
    let mut todo = Vec::new();
    if let Some(paths) = source.get("paths").and_then(Value::as_object) {
        for item in paths.values().filter_map(Value::as_object) {
            for m in METHODS {
                if let Some(r) = item.get(m).and_then(|op| op.get("responses")) {
                    refs(r, &mut todo);
                }
            }
        }
    }
    closure(source, todo)
}

/// `roots` and every component schema they reference, transitively.
fn closure(source: &Value, mut todo: Vec<String>) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    while let Some(n) = todo.pop() {
        if seen.insert(n.clone()) {
            if let Some(s) = source.pointer(&format!("/components/schemas/{}", pointer_segment(&n)))
            {
                refs(s, &mut todo);
            }
        }
    }
    seen
}

/// The component a schema stands for: a `$ref`, or the one non-null member of an
/// `anyOf`/`oneOf`/`allOf` that is a `$ref`.
fn direct_ref(v: &Value) -> Option<String> {
    if let Some(n) = ref_name(v) {
        return Some(n);
    }
    ["anyOf", "oneOf", "allOf"].iter().find_map(|k| {
        let members: Vec<&Value> = v
            .get(*k)?
            .as_array()?
            .iter()
            .filter(|m| !is_null_schema(m))
            .collect();
        match members.as_slice() {
            [only] => ref_name(only),
            _ => None,
        }
    })
}

/// Named enums that are a union's discriminator: the schema of the property a union's
/// `discriminator` names (or, without one, of a property every member gives an `enum` or
/// `const`) in each member, when it is a component.
fn discriminator_enums(source: &Value) -> BTreeSet<String> {
    let schemas = source.pointer("/components/schemas");
    let component = |n: &str| schemas.and_then(|s| s.get(n));
    let is_tag = |v: &Value| {
        let v = direct_ref(v).and_then(|n| component(&n)).unwrap_or(v);
        v.get("enum").is_some() || v.get("const").is_some()
    };
    let mut out = BTreeSet::new();
    let mut unions = Vec::new();
    fn collect<'a>(v: &'a Value, out: &mut Vec<&'a Value>) {
        match v {
            Value::Object(m) => {
                if ["oneOf", "anyOf"].iter().any(|k| m.contains_key(*k)) {
                    out.push(v);
                }
                m.values().for_each(|c| collect(c, out));
            }
            Value::Array(a) => a.iter().for_each(|c| collect(c, out)),
            _ => {}
        }
    }
    collect(source, &mut unions);
    for u in unions {
        let members: Vec<String> = ["oneOf", "anyOf"]
            .iter()
            .filter_map(|k| u.get(*k).and_then(Value::as_array))
            .flatten()
            .filter_map(ref_name)
            .collect();
        if members.len() < 2 {
            continue;
        }
        let props = |n: &String| {
            component(n)
                .and_then(|c| c.get("properties"))
                .and_then(Value::as_object)
        };
        let tags: Vec<String> = match u
            .pointer("/discriminator/propertyName")
            .and_then(Value::as_str)
        {
            Some(p) => vec![p.to_string()],
            None => props(&members[0])
                .map(|p| p.keys().cloned().collect::<Vec<_>>())
                .unwrap_or_default()
                .into_iter()
                .filter(|p| {
                    members
                        .iter()
                        .all(|m| props(m).and_then(|ps| ps.get(p)).is_some_and(is_tag))
                })
                .collect(),
        };
        for m in &members {
            for t in &tags {
                if let Some(n) = props(m).and_then(|ps| ps.get(t)).and_then(direct_ref) {
                    out.insert(n);
                }
            }
        }
    }
    out
}

fn check_refs(v: &Value, ptr: &str, names: &BTreeSet<String>) -> Result<(), NormalizeError> {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(r)) = m.get("$ref") {
                let ok = r
                    .strip_prefix("#/components/schemas/")
                    .is_some_and(|n| names.contains(n));
                if !ok {
                    return Err(NormalizeError::UnresolvedRef {
                        pointer: ptr.to_string(),
                        reference: r.clone(),
                    });
                }
            }
            for (k, child) in m {
                check_refs(child, &format!("{ptr}/{}", pointer_segment(k)), names)?;
            }
            Ok(())
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                check_refs(child, &format!("{ptr}/{i}"), names)?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}
