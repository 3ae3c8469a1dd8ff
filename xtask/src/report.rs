//! The change report for SDK users: what a new spec adds, removes and changes compared with
//! the vendored one, each breaking change marked `BREAKING`. The report is sorted, so the
//! same pair of specs always gives the same text.
//!
//! What counts as breaking (for code using the SDK):
//! - an operation removed, made internal, or its method, path, plane or tag changed;
//!   a parameter removed, added as required, made required or changed in type; the request
//!   body or the success response changed;
//! - a schema removed, its kind changed, or a union variant removed;
//! - a field removed or changed in type; a field added as required, made required or made
//!   non-nullable in a schema sent in requests; a field made optional or nullable in a schema
//!   received in responses (a schema used nowhere counts as both);
//! - an enum value removed.
//!
//! Added operations, schemas, optional fields, enum values and error statuses are listed
//! but not marked.

use crate::operations_md::plane_name;
use islo_normalize::{BodyKind, Normalized, Operation, ResponseKind};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

/// The part of the report a change belongs to (in report order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Section {
    /// Operations added, removed or changed.
    Operations,
    /// Component schemas added, removed or changed as a whole.
    Schemas,
    /// Fields of component schemas.
    Fields,
    /// Values of string enums.
    EnumValues,
}

impl Section {
    fn title(self) -> &'static str {
        match self {
            Self::Operations => "Operations",
            Self::Schemas => "Schemas",
            Self::Fields => "Fields",
            Self::EnumValues => "Enum values",
        }
    }
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Change {
    /// Where it is listed.
    pub section: Section,
    /// What changed: an operation id, a schema name, or `Schema.field`.
    pub subject: String,
    /// The line, without the `BREAKING` mark.
    pub text: String,
    /// Whether code written against the old spec may stop compiling or working.
    pub breaking: bool,
}

/// The changes between two specs, sorted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Every change, sorted by section, subject and text.
    pub changes: Vec<Change>,
}

impl Report {
    /// How many changes are breaking.
    pub fn breaking_count(&self) -> usize {
        self.changes.iter().filter(|c| c.breaking).count()
    }

    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// The report as markdown; `old` and `new` name the two specs.
    pub fn render(&self, old: &str, new: &str) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "# API change report: {old} -> {new}\n");
        if self.changes.is_empty() {
            s.push_str("No changes to operations or schemas.\n");
            return s;
        }
        let _ = writeln!(
            s,
            "{} changes, {} breaking.",
            self.changes.len(),
            self.breaking_count()
        );
        let mut current = None;
        for c in &self.changes {
            if current != Some(c.section) {
                let _ = writeln!(s, "\n## {}\n", c.section.title());
                current = Some(c.section);
            }
            let mark = if c.breaking { "BREAKING " } else { "" };
            let _ = writeln!(s, "- {mark}{}", c.text);
        }
        s
    }
}

/// One side of the comparison: the source document and what the normalizer made of it.
#[derive(Debug, Clone, Copy)]
pub struct Side<'a> {
    /// The spec as vendored (OpenAPI 3.1).
    pub source: &'a Value,
    /// Its normalization (for the operation table).
    pub normalized: &'a Normalized,
}

/// Compares `old` with `new`.
pub fn compare(old: Side<'_>, new: Side<'_>) -> Report {
    let mut out = Changes::default();
    let mut usage = Usage::of(old.source);
    let new_usage = Usage::of(new.source);
    usage.request.extend(new_usage.request);
    usage.response.extend(new_usage.response);
    compare_operations(&mut out, old, new);
    compare_schemas(&mut out, old.source, new.source, &usage);
    let mut changes = out.0;
    changes.sort();
    changes.dedup();
    Report { changes }
}

#[derive(Default)]
struct Changes(Vec<Change>);

impl Changes {
    fn push(&mut self, section: Section, subject: &str, breaking: bool, text: String) {
        self.0.push(Change {
            section,
            subject: subject.to_string(),
            text,
            breaking,
        });
    }
}

// ---------------------------------------------------------------------------------------
// Schema descriptions

/// A compact description of a schema's type, with nullability apart.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Ty {
    desc: String,
    nullable: bool,
}

fn is_null(v: &Value) -> bool {
    v.get("type").and_then(Value::as_str) == Some("null")
}

fn ref_name(v: &Value) -> Option<&str> {
    v.get("$ref")?.as_str()?.rsplit('/').next()
}

/// Strips `null` from `anyOf`/`oneOf`/`type` arrays (and honours `nullable: true`).
fn describe(v: &Value) -> Ty {
    let mut nullable = v.get("nullable").and_then(Value::as_bool).unwrap_or(false);
    if let Some(name) = ref_name(v) {
        return Ty {
            desc: name.to_string(),
            nullable,
        };
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(members) = v.get(key).and_then(Value::as_array) {
            let rest: Vec<&Value> = members.iter().filter(|m| !is_null(m)).collect();
            nullable |= rest.len() != members.len();
            let desc = match rest.as_slice() {
                [] => "null".to_string(),
                [one] => {
                    let t = describe(one);
                    nullable |= t.nullable;
                    t.desc
                }
                many => {
                    let parts: Vec<String> = many.iter().map(|m| describe(m).desc).collect();
                    format!("{key}<{}>", parts.join(" | "))
                }
            };
            return Ty { desc, nullable };
        }
    }
    if let Some(members) = v.get("allOf").and_then(Value::as_array) {
        let parts: Vec<String> = members.iter().map(|m| describe(m).desc).collect();
        let desc = if parts.len() == 1 {
            parts[0].clone()
        } else {
            format!("allOf<{}>", parts.join(" & "))
        };
        return Ty { desc, nullable };
    }
    let mut types: Vec<&str> = match v.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if types.len() > 1 || types == ["null"] {
        nullable |= types.contains(&"null");
        if types.len() > 1 {
            types.retain(|t| *t != "null");
        }
    }
    if let Some(c) = v.get("const") {
        return Ty {
            desc: format!("const {c}"),
            nullable,
        };
    }
    let base = match types.as_slice() {
        [] if v.get("properties").is_some() => "object".to_string(),
        [] => "any".to_string(),
        [one] => one.to_string(),
        many => many.join(" | "),
    };
    let desc = if v.get("enum").is_some() {
        format!("enum<{base}>")
    } else if base == "array" {
        let items = v
            .get("items")
            .map_or_else(|| "any".to_string(), |i| describe(i).desc);
        format!("array<{items}>")
    } else if base == "object" && v.get("properties").is_none() {
        match v.get("additionalProperties") {
            Some(ap) if ap.is_object() => format!("map<{}>", describe(ap).desc),
            _ => "object".to_string(),
        }
    } else if let Some(f) = v.get("format").and_then(Value::as_str) {
        format!("{base}({f})")
    } else {
        base
    };
    Ty { desc, nullable }
}

fn ty_text(t: &Ty) -> String {
    if t.nullable {
        format!("{} | null", t.desc)
    } else {
        t.desc.clone()
    }
}

/// The non-null inline schema inside `v` (through a nullable `anyOf`), if it is inline.
fn non_null_inline(v: &Value) -> Option<&Value> {
    for key in ["anyOf", "oneOf"] {
        if let Some(members) = v.get(key).and_then(Value::as_array) {
            let rest: Vec<&Value> = members.iter().filter(|m| !is_null(m)).collect();
            return match rest.as_slice() {
                [one] if one.get("$ref").is_none() => Some(one),
                _ => None,
            };
        }
    }
    (v.get("$ref").is_none()).then_some(v)
}

fn enum_values(v: &Value) -> Option<BTreeSet<String>> {
    let inner = non_null_inline(v)?;
    let values = inner.get("enum")?.as_array()?;
    Some(
        values
            .iter()
            .filter(|x| !x.is_null())
            .map(value_text)
            .collect(),
    )
}

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

// ---------------------------------------------------------------------------------------
// Where schemas are used

/// Which component schemas are sent (request bodies, parameters) and received (responses),
/// following `$ref`s transitively.
#[derive(Debug, Default)]
struct Usage {
    request: BTreeSet<String>,
    response: BTreeSet<String>,
}

impl Usage {
    fn of(spec: &Value) -> Self {
        let mut request = BTreeSet::new();
        let mut response = BTreeSet::new();
        for (_, _, op) in raw_operations(spec) {
            if let Some(p) = op.get("parameters") {
                collect_refs(p, &mut request);
            }
            if let Some(b) = op.get("requestBody") {
                collect_refs(b, &mut request);
            }
            if let Some(r) = op.get("responses") {
                collect_refs(r, &mut response);
            }
        }
        Self {
            request: closure(spec, request),
            response: closure(spec, response),
        }
    }

    /// (sent, received); a schema used nowhere counts as both.
    fn of_schema(&self, name: &str) -> (bool, bool) {
        let req = self.request.contains(name);
        let resp = self.response.contains(name);
        if !req && !resp {
            (true, true)
        } else {
            (req, resp)
        }
    }
}

fn collect_refs(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            if let Some(r) = m.get("$ref").and_then(Value::as_str) {
                if let Some(n) = r.strip_prefix("#/components/schemas/") {
                    out.insert(n.to_string());
                }
            }
            m.values().for_each(|c| collect_refs(c, out));
        }
        Value::Array(a) => a.iter().for_each(|c| collect_refs(c, out)),
        _ => {}
    }
}

fn closure(spec: &Value, mut names: BTreeSet<String>) -> BTreeSet<String> {
    let schemas = spec.pointer("/components/schemas");
    let mut todo: Vec<String> = names.iter().cloned().collect();
    while let Some(n) = todo.pop() {
        let mut found = BTreeSet::new();
        if let Some(s) = schemas.and_then(|s| s.get(&n)) {
            collect_refs(s, &mut found);
        }
        for f in found {
            if names.insert(f.clone()) {
                todo.push(f);
            }
        }
    }
    names
}

// ---------------------------------------------------------------------------------------
// Operations

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// (path, method, operation object) of every operation in document order.
fn raw_operations(spec: &Value) -> Vec<(&str, &str, &Value)> {
    let mut out = Vec::new();
    if let Some(paths) = spec.get("paths").and_then(Value::as_object) {
        for (path, item) in paths {
            for m in METHODS {
                if let Some(op) = item.get(m) {
                    out.push((path.as_str(), m, op));
                }
            }
        }
    }
    out
}

fn raw_operation<'a>(spec: &'a Value, op: &Operation) -> Option<&'a Value> {
    spec.get("paths")?
        .get(&op.path)?
        .get(op.method.to_ascii_lowercase())
}

/// Resolves a local `$ref` (e.g. to `#/components/parameters/...`), once.
fn resolve<'a>(spec: &'a Value, v: &'a Value) -> &'a Value {
    match v
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix('#'))
    {
        Some(ptr) if !ptr.starts_with("/components/schemas/") => spec.pointer(ptr).unwrap_or(v),
        _ => v,
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Param {
    required: bool,
    ty: Ty,
}

/// Parameters keyed by (location, name).
fn parameters(spec: &Value, op: &Value) -> BTreeMap<(String, String), Param> {
    let mut out = BTreeMap::new();
    for p in op
        .get("parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let p = resolve(spec, p);
        let name = p
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_string();
        let location = p
            .get("in")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_string();
        let required = p
            .get("required")
            .and_then(Value::as_bool)
            .unwrap_or(location == "path");
        let ty = p.get("schema").map_or(
            Ty {
                desc: "any".into(),
                nullable: false,
            },
            describe,
        );
        out.insert((location, name), Param { required, ty });
    }
    out
}

fn body_text(spec: &Value, raw: Option<&Value>, op: &Operation) -> String {
    let rb = raw
        .and_then(|o| o.get("requestBody"))
        .map(|b| resolve(spec, b));
    let optional = rb.and_then(|b| b.get("required")).and_then(Value::as_bool) != Some(true);
    let content = rb.and_then(|b| b.get("content")).and_then(Value::as_object);
    let described = content.and_then(|c| c.iter().next()).map(|(media, m)| {
        let ty = m
            .get("schema")
            .map_or_else(|| "any".to_string(), |s| ty_text(&describe(s)));
        format!("{media} {ty}")
    });
    let text = match (&op.body, described) {
        (BodyKind::None, _) => return "none".to_string(),
        (BodyKind::Multipart { field }, _) => format!("multipart/form-data (part `{field}`)"),
        (_, Some(d)) => d,
        (BodyKind::Json { schema }, None) => schema.clone().unwrap_or_else(|| "any".into()),
        (BodyKind::Bytes { media_type }, None) => format!("{media_type} bytes"),
    };
    if optional {
        format!("{text} (optional)")
    } else {
        text
    }
}

fn response_text(raw: Option<&Value>, op: &Operation) -> String {
    let status = op.success_status;
    let schema = raw
        .and_then(|o| o.get("responses"))
        .and_then(|r| r.get(status.to_string()))
        .and_then(|r| r.get("content"))
        .and_then(|c| c.get("application/json"))
        .and_then(|m| m.get("schema"));
    match &op.response {
        ResponseKind::Empty => format!("{status} empty"),
        ResponseKind::Json { schema: name } => {
            let ty = schema
                .map(|s| ty_text(&describe(s)))
                .or_else(|| name.clone())
                .unwrap_or_else(|| "any".into());
            format!("{status} application/json {ty}")
        }
        ResponseKind::Sse => format!("{status} text/event-stream"),
        ResponseKind::Bytes { media_type } => format!("{status} {media_type}"),
    }
}

fn op_where(op: &Operation) -> String {
    format!(
        "{} {} ({} plane, tag `{}`)",
        op.method,
        op.path,
        plane_name(op.plane),
        op.tag
    )
}

fn compare_operations(out: &mut Changes, old: Side<'_>, new: Side<'_>) {
    let olds: BTreeMap<&str, &Operation> = old
        .normalized
        .operations
        .iter()
        .map(|o| (o.id.as_str(), o))
        .collect();
    let news: BTreeMap<&str, &Operation> = new
        .normalized
        .operations
        .iter()
        .map(|o| (o.id.as_str(), o))
        .collect();
    let sec = Section::Operations;
    for (id, o) in &olds {
        if !news.contains_key(id) {
            out.push(
                sec,
                id,
                !o.internal,
                format!("operation `{id}` removed (was {})", op_where(o)),
            );
        }
    }
    for (id, n) in &news {
        let Some(o) = olds.get(id) else {
            let internal = if n.internal { ", internal" } else { "" };
            out.push(
                sec,
                id,
                false,
                format!("operation `{id}` added: {}{internal}", op_where(n)),
            );
            continue;
        };
        let field = |out: &mut Changes, what: &str, a: String, b: String| {
            if a != b {
                out.push(
                    sec,
                    id,
                    true,
                    format!("operation `{id}`: {what} changed: {a} -> {b}"),
                );
            }
        };
        field(out, "method", o.method.clone(), n.method.clone());
        field(out, "path", o.path.clone(), n.path.clone());
        field(
            out,
            "plane",
            plane_name(o.plane).into(),
            plane_name(n.plane).into(),
        );
        field(out, "tag", o.tag.clone(), n.tag.clone());
        if o.internal != n.internal {
            let text = if n.internal {
                format!("operation `{id}` became internal (no longer generated as a call)")
            } else {
                format!("operation `{id}` is no longer internal (now generated as a call)")
            };
            out.push(sec, id, n.internal, text);
        }
        let (raw_o, raw_n) = (raw_operation(old.source, o), raw_operation(new.source, n));
        field(
            out,
            "request body",
            body_text(old.source, raw_o, o),
            body_text(new.source, raw_n, n),
        );
        field(
            out,
            "success response",
            response_text(raw_o, o),
            response_text(raw_n, n),
        );

        let po = raw_o.map(|r| parameters(old.source, r)).unwrap_or_default();
        let pn = raw_n.map(|r| parameters(new.source, r)).unwrap_or_default();
        for ((loc, name), p) in &po {
            match pn.get(&(loc.clone(), name.clone())) {
                None => out.push(
                    sec,
                    id,
                    true,
                    format!("operation `{id}`: {loc} parameter `{name}` removed"),
                ),
                Some(q) => {
                    if p.ty != q.ty {
                        out.push(
                            sec,
                            id,
                            true,
                            format!(
                                "operation `{id}`: {loc} parameter `{name}` type changed: {} -> {}",
                                ty_text(&p.ty),
                                ty_text(&q.ty)
                            ),
                        );
                    }
                    if p.required != q.required {
                        let text = if q.required {
                            format!("operation `{id}`: {loc} parameter `{name}` became required")
                        } else {
                            format!("operation `{id}`: {loc} parameter `{name}` became optional")
                        };
                        out.push(sec, id, q.required, text);
                    }
                }
            }
        }
        for ((loc, name), q) in &pn {
            if !po.contains_key(&(loc.clone(), name.clone())) {
                let req = if q.required { "required" } else { "optional" };
                out.push(
                    sec,
                    id,
                    q.required,
                    format!(
                        "operation `{id}`: {req} {loc} parameter `{name}` added ({})",
                        ty_text(&q.ty)
                    ),
                );
            }
        }

        let eo: BTreeMap<u16, &Option<String>> =
            o.errors.iter().map(|e| (e.status, &e.schema)).collect();
        let en: BTreeMap<u16, &Option<String>> =
            n.errors.iter().map(|e| (e.status, &e.schema)).collect();
        let schema = |s: &Option<String>| s.clone().unwrap_or_else(|| "no schema".into());
        for (status, s) in &eo {
            match en.get(status) {
                None => out.push(
                    sec,
                    id,
                    false,
                    format!("operation `{id}`: error status {status} removed"),
                ),
                Some(t) if t != s => out.push(
                    sec,
                    id,
                    false,
                    format!(
                        "operation `{id}`: error status {status} body changed: {} -> {}",
                        schema(s),
                        schema(t)
                    ),
                ),
                Some(_) => {}
            }
        }
        for (status, t) in &en {
            if !eo.contains_key(status) {
                out.push(
                    sec,
                    id,
                    false,
                    format!(
                        "operation `{id}`: error status {status} added ({})",
                        schema(t)
                    ),
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Schemas and fields

#[derive(Debug, Clone, PartialEq, Eq)]
struct Field {
    ty: Ty,
    required: bool,
    enum_values: Option<BTreeSet<String>>,
}

/// Flattens the properties of `schema` (and of inline objects below them) into
/// `prefix.field` → [`Field`].
fn flatten(schema: &Value, prefix: &str, out: &mut BTreeMap<String, Field>) {
    let required: BTreeSet<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        for (name, p) in props {
            let path = format!("{prefix}.{name}");
            out.insert(
                path.clone(),
                Field {
                    ty: describe(p),
                    required: required.contains(name.as_str()),
                    enum_values: enum_values(p),
                },
            );
            if let Some(inner) = non_null_inline(p) {
                flatten(inner, &path, out);
                if let Some(items) = inner.get("items").and_then(non_null_inline) {
                    flatten(items, &format!("{path}[]"), out);
                }
            }
        }
    }
    for m in schema
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if m.get("$ref").is_none() {
            flatten(m, prefix, out);
        }
    }
}

/// The `$ref` variants of a union schema (`oneOf`/`anyOf` with more than one non-null member).
fn variants(schema: &Value) -> Option<BTreeSet<String>> {
    for key in ["oneOf", "anyOf"] {
        if let Some(members) = schema.get(key).and_then(Value::as_array) {
            let rest: Vec<&Value> = members.iter().filter(|m| !is_null(m)).collect();
            if rest.len() > 1 {
                return Some(rest.iter().map(|m| describe(m).desc).collect());
            }
        }
    }
    None
}

fn compare_schemas(out: &mut Changes, old: &Value, new: &Value, usage: &Usage) {
    let empty = serde_json::Map::new();
    let olds = old
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let news = new
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let olds: BTreeMap<&String, &Value> = olds.iter().collect();
    let news: BTreeMap<&String, &Value> = news.iter().collect();
    for name in olds.keys() {
        if !news.contains_key(name) {
            out.push(
                Section::Schemas,
                name,
                true,
                format!("schema `{name}` removed"),
            );
        }
    }
    for (name, n) in &news {
        let Some(o) = olds.get(name) else {
            out.push(
                Section::Schemas,
                name,
                false,
                format!("schema `{name}` added ({})", ty_text(&describe(n))),
            );
            continue;
        };
        let (sent, received) = usage.of_schema(name);
        compare_schema(out, name, o, n, sent, received);
    }
}

fn compare_schema(out: &mut Changes, name: &str, o: &Value, n: &Value, sent: bool, received: bool) {
    let (vo, vn) = (variants(o), variants(n));
    match (&vo, &vn) {
        (Some(a), Some(b)) => {
            for v in a.difference(b) {
                out.push(
                    Section::Schemas,
                    name,
                    true,
                    format!("schema `{name}`: variant `{v}` removed"),
                );
            }
            for v in b.difference(a) {
                out.push(
                    Section::Schemas,
                    name,
                    false,
                    format!("schema `{name}`: variant `{v}` added"),
                );
            }
        }
        _ => {
            let (to, tn) = (describe(o), describe(n));
            if to.desc != tn.desc {
                out.push(
                    Section::Schemas,
                    name,
                    true,
                    format!("schema `{name}`: type changed: {} -> {}", to.desc, tn.desc),
                );
            }
        }
    }
    enum_changes(out, name, enum_values(o).as_ref(), enum_values(n).as_ref());

    let (mut fo, mut fnew) = (BTreeMap::new(), BTreeMap::new());
    flatten(o, name, &mut fo);
    flatten(n, name, &mut fnew);
    let sec = Section::Fields;
    for (path, f) in &fo {
        if !fnew.contains_key(path) {
            let req = if f.required { "required" } else { "optional" };
            out.push(
                sec,
                path,
                true,
                format!("field `{path}` removed (was {}, {req})", ty_text(&f.ty)),
            );
        }
    }
    for (path, g) in &fnew {
        let Some(f) = fo.get(path) else {
            let req = if g.required { "required" } else { "optional" };
            out.push(
                sec,
                path,
                g.required && sent,
                format!("field `{path}` added ({}, {req})", ty_text(&g.ty)),
            );
            continue;
        };
        if f.ty.desc != g.ty.desc {
            out.push(
                sec,
                path,
                true,
                format!(
                    "field `{path}`: type changed: {} -> {}",
                    f.ty.desc, g.ty.desc
                ),
            );
        }
        if f.required != g.required {
            let (text, breaking) = if g.required {
                (format!("field `{path}` became required"), sent)
            } else {
                (format!("field `{path}` became optional"), received)
            };
            out.push(sec, path, breaking, text);
        }
        if f.ty.nullable != g.ty.nullable {
            let (text, breaking) = if g.ty.nullable {
                (format!("field `{path}` became nullable"), received)
            } else {
                (format!("field `{path}` is no longer nullable"), sent)
            };
            out.push(sec, path, breaking, text);
        }
        enum_changes(out, path, f.enum_values.as_ref(), g.enum_values.as_ref());
    }
}

fn enum_changes(
    out: &mut Changes,
    subject: &str,
    o: Option<&BTreeSet<String>>,
    n: Option<&BTreeSet<String>>,
) {
    // Only a list of values that changed is reported here; a field or schema that became
    // (or stopped being) an enum shows up as a type change.
    let (Some(o), Some(n)) = (o, n) else {
        return;
    };
    for v in o.difference(n) {
        out.push(
            Section::EnumValues,
            subject,
            true,
            format!("`{subject}`: enum value `{v}` removed"),
        );
    }
    for v in n.difference(o) {
        out.push(
            Section::EnumValues,
            subject,
            false,
            format!("`{subject}`: enum value `{v}` added"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ok(schema: Option<&str>) -> Value {
        match schema {
            Some(s) => {
                json!({"description": "ok", "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{s}")}}}})
            }
            None => json!({"description": "ok"}),
        }
    }

    fn base() -> Value {
        json!({
            "openapi": "3.1.0",
            "servers": [{"url": "https://api"}],
            "paths": {
                "/things": {
                    "get": {"operationId": "list_things", "tags": ["things"], "summary": "List",
                            "parameters": [{"name": "limit", "in": "query", "required": false, "schema": {"type": "integer"}}],
                            "responses": {"200": ok(Some("Thing")), "401": ok(Some("Error"))}},
                    "post": {"operationId": "create_thing", "tags": ["things"],
                             "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ThingCreate"}}}},
                             "responses": {"200": ok(Some("Thing"))}}
                },
                "/things/{id}": {
                    "delete": {"operationId": "delete_thing", "tags": ["things"],
                               "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
                               "responses": {"204": ok(None)}}
                },
                "/old": {"get": {"operationId": "old_op", "tags": ["things"], "responses": {"200": ok(None)}}}
            },
            "components": {"schemas": {
                "Error": {"type": "object", "properties": {"detail": {"type": "string"}}},
                "Kind": {"type": "string", "enum": ["a", "b", "c"]},
                "Thing": {"type": "object", "required": ["id", "name"], "properties": {
                    "id": {"type": "string"},
                    "name": {"type": "string"},
                    "size": {"type": "integer"},
                    "note": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                    "state": {"type": "string", "enum": ["on", "off"]},
                    "meta": {"type": "object", "properties": {"owner": {"type": "string"}}}
                }},
                "ThingCreate": {"type": "object", "required": ["name"], "properties": {
                    "name": {"type": "string"},
                    "kind": {"$ref": "#/components/schemas/Kind"},
                    "size": {"type": "integer"}
                }},
                "Gone": {"type": "object", "properties": {"x": {"type": "string"}}}
            }}
        })
    }

    fn run(old: &Value, new: &Value) -> Report {
        let (no, nn) = (
            islo_normalize::normalize(old).unwrap(),
            islo_normalize::normalize(new).unwrap(),
        );
        compare(
            Side {
                source: old,
                normalized: &no,
            },
            Side {
                source: new,
                normalized: &nn,
            },
        )
    }

    /// The rendered lines of the report (`- ...`), for easy assertions.
    fn lines(r: &Report) -> Vec<String> {
        r.render("old", "new")
            .lines()
            .filter_map(|l| l.strip_prefix("- "))
            .map(str::to_string)
            .collect()
    }

    fn assert_line(lines: &[String], expected: &str) {
        assert!(
            lines.iter().any(|l| l == expected),
            "missing `{expected}` in:\n{}",
            lines.join("\n")
        );
    }

    #[test]
    fn identical_specs_report_nothing() {
        let r = run(&base(), &base());
        assert!(r.is_empty());
        assert_eq!(
            r.render("a", "b"),
            "# API change report: a -> b\n\nNo changes to operations or schemas.\n"
        );
    }

    #[test]
    fn operations_added_removed_and_changed() {
        let old = base();
        let mut new = base();
        new["paths"].as_object_mut().unwrap().remove("/old");
        new["paths"]["/new"] = json!({"servers": [{"url": "https://compute"}],
            "get": {"operationId": "new_op", "tags": ["things"], "responses": {"200": ok(Some("Thing"))}}});
        // list_things: parameter made required and retyped, a new required one, error added/removed.
        new["paths"]["/things"]["get"]["parameters"] = json!([
            {"name": "limit", "in": "query", "required": true, "schema": {"type": "string"}},
            {"name": "q", "in": "query", "required": true, "schema": {"type": "string"}},
            {"name": "page", "in": "query", "schema": {"anyOf": [{"type": "integer"}, {"type": "null"}]}}
        ]);
        new["paths"]["/things"]["get"]["responses"] =
            json!({"200": ok(Some("Thing")), "404": ok(Some("Error"))});
        // create_thing: body schema and success response changed.
        new["paths"]["/things"]["post"]["requestBody"]["content"]["application/json"]["schema"] =
            json!({"$ref": "#/components/schemas/Thing"});
        new["paths"]["/things"]["post"]["responses"] = json!({"201": ok(Some("ThingCreate"))});
        // delete_thing: method moved to POST on another path.
        let del = new["paths"]
            .as_object_mut()
            .unwrap()
            .remove("/things/{id}")
            .unwrap();
        new["paths"]["/things/{id}/delete"] = json!({"post": del["delete"].clone()});

        let r = run(&old, &new);
        let l = lines(&r);
        assert_line(
            &l,
            "operation `new_op` added: GET /new (compute plane, tag `things`)",
        );
        assert_line(
            &l,
            "BREAKING operation `old_op` removed (was GET /old (control plane, tag `things`))",
        );
        assert_line(&l, "BREAKING operation `list_things`: query parameter `limit` type changed: integer -> string");
        assert_line(
            &l,
            "BREAKING operation `list_things`: query parameter `limit` became required",
        );
        assert_line(
            &l,
            "BREAKING operation `list_things`: required query parameter `q` added (string)",
        );
        assert_line(
            &l,
            "operation `list_things`: optional query parameter `page` added (integer | null)",
        );
        assert_line(&l, "operation `list_things`: error status 401 removed");
        assert_line(
            &l,
            "operation `list_things`: error status 404 added (Error)",
        );
        assert_line(
            &l,
            "BREAKING operation `create_thing`: request body changed: application/json ThingCreate -> application/json Thing",
        );
        assert_line(
            &l,
            "BREAKING operation `create_thing`: success response changed: 200 application/json Thing -> 201 application/json ThingCreate",
        );
        assert_line(
            &l,
            "BREAKING operation `delete_thing`: method changed: DELETE -> POST",
        );
        assert_line(
            &l,
            "BREAKING operation `delete_thing`: path changed: /things/{id} -> /things/{id}/delete",
        );
        // The plane of an operation is compared too.
        let mut moved = base();
        moved["paths"]["/old"]["servers"] = json!([{"url": "https://compute"}]);
        assert_eq!(
            lines(&run(&old, &moved)),
            ["BREAKING operation `old_op`: plane changed: control -> compute"]
        );
    }

    #[test]
    fn fields_schemas_and_enum_values() {
        let old = base();
        let mut new = base();
        let schemas = new["components"]["schemas"].as_object_mut().unwrap();
        schemas.remove("Gone");
        schemas.insert(
            "Fresh".into(),
            json!({"type": "object", "properties": {"y": {"type": "string"}}}),
        );
        schemas.insert(
            "Kind".into(),
            json!({"type": "string", "enum": ["a", "c", "d"]}),
        );
        let thing = schemas["Thing"].as_object_mut().unwrap();
        thing["required"] = json!(["id"]);
        let props = thing["properties"].as_object_mut().unwrap();
        props.remove("size");
        props["id"] = json!({"type": "integer"});
        props["note"] = json!({"type": "string"});
        props["state"] = json!({"type": "string", "enum": ["on", "paused"]});
        props["meta"]["properties"]["team"] = json!({"type": "string"});
        props.insert("extra".into(), json!({"type": "boolean"}));
        props.insert(
            "created".into(),
            json!({"type": "string", "format": "date-time"}),
        );
        thing["required"]
            .as_array_mut()
            .unwrap()
            .push(json!("created"));
        let create = schemas["ThingCreate"].as_object_mut().unwrap();
        create["required"] = json!(["name", "size", "label"]);
        create["properties"]["label"] = json!({"type": "string"});
        create["properties"]["color"] = json!({"type": "string"});

        let r = run(&old, &new);
        let l = lines(&r);
        let expected = [
            // Schemas
            "schema `Fresh` added (object)",
            "BREAKING schema `Gone` removed",
            // Fields (Thing is only received, ThingCreate only sent)
            "field `Thing.created` added (string(date-time), required)",
            "field `Thing.extra` added (boolean, optional)",
            "BREAKING field `Thing.id`: type changed: string -> integer",
            "field `Thing.meta.team` added (string, optional)",
            "BREAKING field `Thing.name` became optional",
            "field `Thing.note` is no longer nullable",
            "BREAKING field `Thing.size` removed (was integer, optional)",
            "field `ThingCreate.color` added (string, optional)",
            "BREAKING field `ThingCreate.label` added (string, required)",
            "BREAKING field `ThingCreate.size` became required",
            // Enum values
            "BREAKING `Kind`: enum value `b` removed",
            "`Kind`: enum value `d` added",
            "BREAKING `Thing.state`: enum value `off` removed",
            "`Thing.state`: enum value `paused` added",
        ];
        assert_eq!(l, expected, "report:\n{}", r.render("old", "new"));
        assert_eq!(r.breaking_count(), 8);
        let text = r.render("old", "new");
        assert!(
            text.starts_with(
                "# API change report: old -> new\n\n16 changes, 8 breaking.\n\n## Schemas\n"
            ),
            "{text}"
        );
        assert!(text.contains("\n## Fields\n") && text.contains("\n## Enum values\n"));
        assert!(!text.contains("## Operations"));
    }

    #[test]
    fn nullability_and_requiredness_follow_the_direction_of_the_data() {
        let mut old = base();
        old["components"]["schemas"]["ThingCreate"]["properties"]["note"] =
            json!({"anyOf": [{"type": "string"}, {"type": "null"}]});
        let mut new = old.clone();
        // Sent: losing nullability breaks callers that send null; received: gaining it breaks readers.
        new["components"]["schemas"]["ThingCreate"]["properties"]["note"] =
            json!({"type": "string"});
        new["components"]["schemas"]["Thing"]["properties"]["size"] =
            json!({"type": ["integer", "null"]});
        let l = lines(&run(&old, &new));
        assert_eq!(
            l,
            [
                "BREAKING field `Thing.size` became nullable",
                "BREAKING field `ThingCreate.note` is no longer nullable"
            ]
        );
        // And the other way round neither breaks.
        let l = lines(&run(&new, &old));
        assert_eq!(
            l,
            [
                "field `Thing.size` is no longer nullable",
                "field `ThingCreate.note` became nullable"
            ]
        );
    }

    #[test]
    fn union_variants_and_schema_kind() {
        let mut old = base();
        old["components"]["schemas"]["Either"] = json!({"oneOf": [{"$ref": "#/components/schemas/Thing"}, {"$ref": "#/components/schemas/Gone"}]});
        let mut new = old.clone();
        new["components"]["schemas"]["Either"] = json!({"oneOf": [{"$ref": "#/components/schemas/Thing"}, {"$ref": "#/components/schemas/Error"}]});
        new["components"]["schemas"]["Kind"] = json!({"type": "integer"});
        let l = lines(&run(&old, &new));
        assert_eq!(
            l,
            [
                "schema `Either`: variant `Error` added",
                "BREAKING schema `Either`: variant `Gone` removed",
                "BREAKING schema `Kind`: type changed: enum<string> -> integer",
            ]
        );
    }

    #[test]
    fn report_is_deterministic_whatever_the_key_order() {
        let old = base();
        let mut new = base();
        new["components"]["schemas"]
            .as_object_mut()
            .unwrap()
            .remove("Gone");
        new["paths"].as_object_mut().unwrap().remove("/old");
        // Same document with every object's keys reversed.
        fn reversed(v: &Value) -> Value {
            match v {
                Value::Object(m) => Value::Object(
                    m.iter()
                        .rev()
                        .map(|(k, v)| (k.clone(), reversed(v)))
                        .collect(),
                ),
                Value::Array(a) => Value::Array(a.iter().map(reversed).collect()),
                o => o.clone(),
            }
        }
        let a = run(&old, &new).render("o", "n");
        let b = run(&reversed(&old), &reversed(&new)).render("o", "n");
        assert_eq!(a, b);
        let r = run(&old, &new);
        let mut sorted = r.changes.clone();
        sorted.sort();
        assert_eq!(sorted, r.changes);
    }
}
