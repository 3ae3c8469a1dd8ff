//! The embedded OpenAPI document: operations, example generation from JSON
//! schemas, and a small validator (used by the conformance tests).

use std::sync::OnceLock;

use bytes::Bytes;
use serde_json::{Map, Value};

/// The OpenAPI document the fake serves (as the server publishes it).
pub(crate) const SPEC_JSON: &str = islo_generated::OPENAPI_JSON;

/// The canned answer of one operation, generated from its first `2xx` response.
#[derive(Debug)]
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) struct SpecOp {
    /// First `2xx` status (200 when none is declared).
    pub(crate) status: u16,
    /// Content type of that response (`None` = no body).
    pub(crate) content_type: Option<String>,
    /// Schema of that response body, if any.
    pub(crate) schema: Option<Value>,
    /// Canned body generated from `schema`.
    pub(crate) body: Bytes,
    /// The raw operation object.
    pub(crate) raw: Value,
}

/// Parsed document plus its operations, by `operationId`.
#[derive(Debug)]
pub(crate) struct Spec {
    pub(crate) doc: Value,
    pub(crate) ops: std::collections::HashMap<String, SpecOp>,
}

const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

impl Spec {
    /// Parses a document.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let doc: Value =
            serde_json::from_str(text).map_err(|e| format!("the OpenAPI document: {e}"))?;
        let mut ops = std::collections::HashMap::new();
        if let Some(paths) = doc.get("paths").and_then(Value::as_object) {
            for item in paths.values() {
                for m in METHODS {
                    let Some(op) = item.get(*m) else { continue };
                    let Some(id) = op.get("operationId").and_then(Value::as_str) else {
                        continue;
                    };
                    let (status, content_type, schema) = first_success(&doc, op);
                    let body = match (&content_type, &schema) {
                        (Some(ct), Some(s)) if ct.contains("json") => {
                            let v = generate(&doc, s);
                            Bytes::from(serde_json::to_vec(&v).unwrap_or_default())
                        }
                        (Some(ct), _) if ct.contains("event-stream") => {
                            Bytes::from_static(b": keep-alive\n\nevent: message\ndata: {}\n\n")
                        }
                        (Some(ct), _) if ct.contains("json") => Bytes::from_static(b"null"),
                        (Some(_), _) => Bytes::new(),
                        (None, _) => Bytes::new(),
                    };
                    ops.insert(
                        id.to_owned(),
                        SpecOp {
                            status,
                            content_type,
                            schema,
                            body,
                            raw: op.clone(),
                        },
                    );
                }
            }
        }
        Ok(Spec { doc, ops })
    }
}

impl Spec {
    /// An example of `operation_id`'s JSON answer.
    pub(crate) fn example_response(&self, operation_id: &str) -> Option<Value> {
        let op = self.ops.get(operation_id)?;
        if !op.content_type.as_deref()?.contains("json") {
            return None;
        }
        Some(generate(&self.doc, op.schema.as_ref()?))
    }

    /// An example of `operation_id`'s JSON request body.
    pub(crate) fn example_request(&self, operation_id: &str) -> Option<Value> {
        let op = self.ops.get(operation_id)?;
        let schema = op
            .raw
            .pointer("/requestBody/content/application~1json/schema")?;
        Some(generate(&self.doc, schema))
    }
}

/// The embedded spec, parsed once. `Err` if it is not valid JSON.
pub(crate) fn embedded() -> Result<&'static Spec, String> {
    static SPEC: OnceLock<Result<Spec, String>> = OnceLock::new();
    SPEC.get_or_init(|| Spec::parse(SPEC_JSON))
        .as_ref()
        .map_err(Clone::clone)
}

fn first_success(doc: &Value, op: &Value) -> (u16, Option<String>, Option<Value>) {
    let Some(responses) = op.get("responses").and_then(Value::as_object) else {
        return (200, None, None);
    };
    let mut codes: Vec<(u16, &Value)> = responses
        .iter()
        .filter_map(|(k, v)| {
            let c = if k.eq_ignore_ascii_case("2XX") {
                200
            } else {
                k.parse().ok()?
            };
            (200..300).contains(&c).then_some((c, v))
        })
        .collect();
    codes.sort_by_key(|(c, _)| *c);
    let Some((status, resp)) = codes.first() else {
        return (200, None, None);
    };
    let resp = resolve(doc, resp);
    let Some(content) = resp.get("content").and_then(Value::as_object) else {
        return (*status, None, None);
    };
    let pick = content
        .iter()
        .find(|(k, _)| k.contains("json"))
        .or_else(|| content.iter().next());
    match pick {
        Some((ct, media)) => (*status, Some(ct.clone()), media.get("schema").cloned()),
        None => (*status, None, None),
    }
}

/// Follows `$ref` chains (local references only).
pub(crate) fn resolve<'a>(doc: &'a Value, mut v: &'a Value) -> &'a Value {
    for _ in 0..32 {
        let Some(r) = v.get("$ref").and_then(Value::as_str) else {
            return v;
        };
        let Some(ptr) = r.strip_prefix('#') else {
            return v;
        };
        match doc.pointer(ptr) {
            Some(t) => v = t,
            None => return v,
        }
    }
    v
}

/// Generates an example value for `schema`.
pub(crate) fn generate(doc: &Value, schema: &Value) -> Value {
    gen(doc, schema, 0, "")
}

const MAX_DEPTH: usize = 12;

fn is_null_schema(doc: &Value, s: &Value) -> bool {
    let s = resolve(doc, s);
    s.get("type").and_then(Value::as_str) == Some("null")
}

fn schema_types(s: &Value) -> Vec<&str> {
    match s.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn gen(doc: &Value, schema: &Value, depth: usize, name: &str) -> Value {
    let s = resolve(doc, schema);
    if let Some(v) = s.get("const") {
        return v.clone();
    }
    if let Some(first) = s
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|a| a.iter().find(|v| !v.is_null()).or(a.first()))
    {
        return first.clone();
    }
    if let Some(v) = s.get("default") {
        if !v.is_null() {
            return v.clone();
        }
    }
    if let Some(v) = s
        .get("examples")
        .and_then(Value::as_array)
        .and_then(|a| a.first())
    {
        return v.clone();
    }
    if let Some(v) = s.get("example") {
        return v.clone();
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(alts) = s.get(key).and_then(Value::as_array) {
            let pick = alts
                .iter()
                .find(|a| !is_null_schema(doc, a))
                .or(alts.first());
            return match pick {
                Some(p) => gen(doc, p, depth + 1, name),
                None => Value::Null,
            };
        }
    }
    if let Some(parts) = s.get("allOf").and_then(Value::as_array) {
        let mut out = Map::new();
        let mut other = None;
        for p in parts {
            match gen(doc, p, depth + 1, name) {
                Value::Object(o) => out.extend(o),
                v => other = Some(v),
            }
        }
        // Sibling properties next to allOf.
        if let Value::Object(o) = gen_object(doc, s, depth, true) {
            out.extend(o);
        }
        return match other {
            Some(v) if out.is_empty() => v,
            _ => Value::Object(out),
        };
    }
    let types = schema_types(s);
    let ty = types
        .iter()
        .copied()
        .find(|t| *t != "null")
        .or(types.first().copied());
    let ty = match ty {
        Some(t) => t,
        None if s.get("properties").is_some() => "object",
        None if s.get("items").is_some() => "array",
        None => return Value::Object(Map::new()),
    };
    match ty {
        "null" => Value::Null,
        "boolean" => Value::Bool(true),
        "integer" => {
            let lo = s.get("minimum").and_then(Value::as_i64).or_else(|| {
                s.get("exclusiveMinimum")
                    .and_then(Value::as_i64)
                    .map(|m| m + 1)
            });
            let hi = s.get("maximum").and_then(Value::as_i64).or_else(|| {
                s.get("exclusiveMaximum")
                    .and_then(Value::as_i64)
                    .map(|m| m - 1)
            });
            let v = lo.map_or(1, |lo| lo.max(1));
            Value::from(hi.map_or(v, |hi| v.min(hi)))
        }
        "number" => {
            let lo = s
                .get("minimum")
                .and_then(Value::as_f64)
                .unwrap_or(1.0)
                .max(1.0);
            Value::from(
                s.get("maximum")
                    .and_then(Value::as_f64)
                    .map_or(lo, |hi| lo.min(hi)),
            )
        }
        "string" => Value::String(gen_string(s, name)),
        "array" => {
            if depth >= MAX_DEPTH {
                return Value::Array(Vec::new());
            }
            let item = s.get("items").map_or(Value::String("string".into()), |i| {
                gen(doc, i, depth + 1, name)
            });
            Value::Array(vec![item])
        }
        _ => gen_object(doc, s, depth, depth >= MAX_DEPTH),
    }
}

fn gen_object(doc: &Value, s: &Value, depth: usize, required_only: bool) -> Value {
    let mut out = Map::new();
    let required: Vec<&str> = s
        .get("required")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if let Some(props) = s.get("properties").and_then(Value::as_object) {
        for (k, v) in props {
            if required_only && !required.contains(&k.as_str()) {
                continue;
            }
            out.insert(k.clone(), gen(doc, v, depth + 1, k));
        }
    }
    Value::Object(out)
}

fn gen_string(s: &Value, name: &str) -> String {
    let fmt = s.get("format").and_then(Value::as_str).unwrap_or("");
    let v = match fmt {
        "date-time" => "2026-01-01T00:00:00Z".to_owned(),
        "date" => "2026-01-01".to_owned(),
        "time" => "00:00:00Z".to_owned(),
        "uuid" => "00000000-0000-4000-8000-000000000000".to_owned(),
        "uri" | "url" => "https://example.com/".to_owned(),
        "email" => "user@example.com".to_owned(),
        "ipv4" => "127.0.0.1".to_owned(),
        "byte" => "AAAA".to_owned(),
        "duration" => "P1D".to_owned(),
        _ => {
            if name.is_empty() {
                "string".to_owned()
            } else {
                name.to_owned()
            }
        }
    };
    let min = s.get("minLength").and_then(Value::as_u64).unwrap_or(0) as usize;
    let max = s
        .get("maxLength")
        .and_then(Value::as_u64)
        .map(|m| m as usize);
    let mut v = v;
    while v.chars().count() < min {
        v.push('x');
    }
    if let Some(max) = max {
        if v.chars().count() > max {
            v = v.chars().take(max).collect();
        }
    }
    v
}

#[cfg(test)]
/// Validates `value` against `schema` (types, required, enum, const,
/// anyOf/oneOf/allOf, items, properties, additionalProperties, date-time and
/// uuid formats). Returns the first problem found.
pub(crate) fn validate(doc: &Value, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    let s = resolve(doc, schema);
    if let Some(c) = s.get("const") {
        if c != value {
            return Err(format!("{at}: expected const {c}, got {value}"));
        }
    }
    if let Some(e) = s.get("enum").and_then(Value::as_array) {
        if !e.contains(value) {
            return Err(format!("{at}: {value} not in enum {e:?}"));
        }
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(alts) = s.get(key).and_then(Value::as_array) {
            let errs: Vec<String> = alts
                .iter()
                .filter_map(|a| validate(doc, a, value, at).err())
                .collect();
            if errs.len() == alts.len() && !alts.is_empty() {
                return Err(format!(
                    "{at}: no {key} alternative matches: {}",
                    errs.join(" | ")
                ));
            }
        }
    }
    if let Some(parts) = s.get("allOf").and_then(Value::as_array) {
        for p in parts {
            validate(doc, p, value, at)?;
        }
    }
    let types = schema_types(s);
    let nullable = s.get("nullable").and_then(Value::as_bool).unwrap_or(false);
    if !types.is_empty() {
        let ok = types.iter().any(|t| type_matches(t, value)) || (nullable && value.is_null());
        if !ok {
            return Err(format!("{at}: expected type {types:?}, got {value}"));
        }
    }
    match value {
        Value::Object(o) => {
            if let Some(req) = s.get("required").and_then(Value::as_array) {
                for r in req.iter().filter_map(Value::as_str) {
                    if !o.contains_key(r) {
                        return Err(format!("{at}: missing required property {r:?}"));
                    }
                }
            }
            let props = s.get("properties").and_then(Value::as_object);
            for (k, v) in o {
                match props.and_then(|p| p.get(k)) {
                    Some(ps) => validate(doc, ps, v, &format!("{at}.{k}"))?,
                    None => match s.get("additionalProperties") {
                        Some(Value::Bool(false)) => {
                            return Err(format!("{at}: unexpected property {k:?}"));
                        }
                        Some(ap @ Value::Object(_)) => validate(doc, ap, v, &format!("{at}.{k}"))?,
                        _ => {}
                    },
                }
            }
        }
        Value::Array(a) => {
            if let Some(items) = s.get("items") {
                for (i, v) in a.iter().enumerate() {
                    validate(doc, items, v, &format!("{at}[{i}]"))?;
                }
            }
        }
        Value::String(st) => {
            let fmt = s.get("format").and_then(Value::as_str).unwrap_or("");
            if fmt == "date-time" && !is_date_time(st) {
                return Err(format!("{at}: {st:?} is not a date-time"));
            }
            if fmt == "uuid" && !is_uuid(st) {
                return Err(format!("{at}: {st:?} is not a uuid"));
            }
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
fn type_matches(t: &str, v: &Value) -> bool {
    match t {
        "null" => v.is_null(),
        "boolean" => v.is_boolean(),
        "integer" => v.is_i64() || v.is_u64() || v.as_f64().is_some_and(|f| f.fract() == 0.0),
        "number" => v.is_number(),
        "string" => v.is_string(),
        "array" => v.is_array(),
        "object" => v.is_object(),
        _ => true,
    }
}

#[cfg(test)]
/// `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`.
pub(crate) fn is_date_time(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 20 {
        return false;
    }
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    if !(digits(0..4) && b[4] == b'-' && digits(5..7) && b[7] == b'-' && digits(8..10)) {
        return false;
    }
    if !(matches!(b[10], b'T' | b't' | b' ')
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19))
    {
        return false;
    }
    let mut i = 19;
    if b[i] == b'.' {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    match &b[i..] {
        [b'Z' | b'z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => [h1, h2, m1, m2].iter().all(|c| c.is_ascii_digit()),
        _ => false,
    }
}

#[cfg(test)]
/// 8-4-4-4-12 hex digits.
pub(crate) fn is_uuid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.bytes().all(|c| c.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn generator_and_validator_agree() {
        let doc = json!({"components": {"schemas": {
            "Err": {"type": "object", "required": ["code", "message"], "properties": {
                "code": {"$ref": "#/components/schemas/Code"},
                "message": {"type": "string"},
                "when": {"type": "string", "format": "date-time"},
                "id": {"anyOf": [{"type": "string", "format": "uuid"}, {"type": "null"}]},
                "n": {"type": "integer", "minimum": 5},
                "items": {"type": "array", "items": {"type": "number"}},
                "kind": {"const": "k"},
                "extra": {"type": "object", "additionalProperties": {"type": "string"}}
            }},
            "Code": {"type": "string", "enum": ["A", "B"]}
        }}});
        let s = json!({"$ref": "#/components/schemas/Err"});
        let v = generate(&doc, &s);
        assert_eq!(v["code"], "A");
        assert_eq!(v["when"], "2026-01-01T00:00:00Z");
        assert_eq!(v["n"], 5);
        assert!(is_uuid(v["id"].as_str().unwrap()));
        validate(&doc, &s, &v, "$").unwrap();
        assert!(validate(&doc, &s, &json!({"code": "C", "message": "m"}), "$").is_err());
        assert!(validate(&doc, &s, &json!({"code": "A"}), "$").is_err());
        assert!(validate(
            &doc,
            &s,
            &json!({"code": "A", "message": "m", "when": "x"}),
            "$"
        )
        .is_err());
    }

    #[test]
    fn date_time_and_uuid() {
        assert!(is_date_time("2026-01-01T00:00:00Z"));
        assert!(is_date_time("2026-01-01T00:00:00.123+02:00"));
        assert!(!is_date_time("2026-01-01"));
        assert!(is_uuid("00000000-0000-4000-8000-000000000000"));
        assert!(!is_uuid("0000"));
    }

    #[test]
    fn embedded_spec_parses() {
        embedded().unwrap();
    }
}
