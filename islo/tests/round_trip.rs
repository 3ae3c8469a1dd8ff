//! Property test over the spec: nothing the API sends is lost or refused.
//!
//! For every component schema reachable from an operation's response or JSON request body,
//! values are drawn from the schema as the server publishes it (`openapi/islo.json`, OpenAPI
//! 3.1) with a fixed seed (`ISLO_ROUND_TRIP_SEED` picks another; `time` takes one from the
//! clock). The draws include unknown extra fields, unknown values of every enum that is not a
//! union's discriminator, `null` for every nullable field, absent optional fields, every
//! member of every union, date-times with and without an offset and floats with all their
//! digits. Integers are drawn within 64 bits: serde_json reads a larger one in a free-form
//! value as the nearest `f64` (README, "What is not kept"; `lossless.rs` pins it). Each value is written as JSON text, decoded as the schema's generated Rust type
//! (the table `islo/build.rs` generates from the normalized spec) and encoded again; the
//! result must equal what was sent.
//!
//! Unknown fields come back from each of the 209 objects a response can carry (the 85 that
//! requests carry too among them: a webhook's rules, a line's stages, the JSON-path
//! conditions, so what a response holds is written back whole): the normalizer gives them
//! `additionalProperties: {}` (`RewriteKind::UnknownFieldsKept`), so typify gives each a
//! flattened catch-all map, `extra`. A catch-all must hold only fields the spec does not
//! declare: a declared field in one means the wrong member of a union decoded the value
//! (which a catch-all would otherwise hide, since the JSON still comes back whole).
//!
//! One difference is by design and is the only one allowed (see [`Gen::object`]):
//!
//! An optional field sent as `null` comes back absent, except in the update bodies, whose
//! optional fields are three-state ([`islo::Patch`]): there a `null` means "clear the
//! field" and must come back as `null`. Elsewhere it is `Option<T>`, which has two states
//! for the three on the wire (absent, `null`, a value), and typify (0.8) has no setting
//! that changes how a field is encoded: its settings are derives, type-level attributes,
//! per-type renames, replacements, conversions and the map type, and the field attributes
//! (`skip_serializing_if = "Option::is_none"`) are fixed by its code. A type-level serde
//! attribute cannot see which fields came as `null`, nested `Option`s are flattened by
//! typify (and would be three-state anyway), and the catch-all cannot carry the nulls:
//! serde hands a flattened map only the keys no declared field takes (checked in
//! `islo-generated/tests/unknown_fields.rs`). Keeping them would take a three-state type
//! on the 444 optional nullable fields of the objects a response can carry (618 in the
//! spec), which turns every `if let Some(x) = response.field` in users' code into a
//! match on three states, or our own struct and `Deserialize` for every response object
//! in place of typify's (decoding each object twice, first into a map to see its nulls,
//! which also loses the line and column of decode errors). Nothing is lost by the allowance: these fields default to `None` on the
//! server (pydantic's `= None`), which sends `None` as `null`, so absent and `null` mean
//! the same there.
//!
//! A union whose members can both match a value fails here, because the member that wins
//! drops the other's fields or, if it has a catch-all, holds them there.

use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// Decodes a JSON text as a generated type and encodes the value again; also gives the
/// decoded value's `Debug` rendering (to look into its catch-all maps).
type RoundTrip = fn(&str) -> Result<(Value, String), String>;

fn round_trip<T: serde::de::DeserializeOwned + serde::Serialize + std::fmt::Debug>(
    text: &str,
) -> Result<(Value, String), String> {
    let value: T = serde_json::from_str(text).map_err(|e| format!("does not decode: {e}"))?;
    let json = serde_json::to_value(&value).map_err(|e| format!("does not encode: {e}"))?;
    Ok((json, format!("{value:?}")))
}

mod table {
    use super::{round_trip, RoundTrip};
    use islo::types;
    include!(concat!(env!("OUT_DIR"), "/schemas.rs"));
}

/// Values drawn per schema (at least three per member for a union).
const DRAWS: usize = 24;
/// Below this depth the draw stops adding optional fields and array items.
const MAX_DEPTH: usize = 5;

// ---------------------------------------------------------------------------------------------
// Randomness

/// xorshift64*: deterministic for a given seed.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }
}

/// The base seed: fixed, unless `ISLO_ROUND_TRIP_SEED` is a number or `time`.
fn seed() -> u64 {
    match std::env::var("ISLO_ROUND_TRIP_SEED")
        .ok()
        .as_deref()
        .map(str::trim)
    {
        Some("time") => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1),
        Some(s) => s.parse().unwrap_or(0x1510_da7a),
        None => 0x1510_da7a,
    }
}

fn hash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

// ---------------------------------------------------------------------------------------------
// What the spec says

struct Spec {
    doc: Value,
    /// `(member, property)`: the property is its union's discriminator (its enum stays closed).
    discriminators: BTreeSet<(String, String)>,
    /// The update bodies: request-only JSON bodies of PATCH/PUT operations with optional
    /// nullable fields, which distinguish absent, `null` and a value.
    three_state: BTreeSet<String>,
    /// The objects that keep unknown fields: every object a response can carry.
    keeps_unknown: BTreeSet<String>,
}

fn ref_name(v: &Value) -> Option<&str> {
    v.get("$ref")?
        .as_str()?
        .strip_prefix("#/components/schemas/")
}

/// The members of a union (`anyOf`/`oneOf`) other than `{"type": "null"}`.
fn union_members(s: &Value) -> Option<Vec<&Value>> {
    ["anyOf", "oneOf"].iter().find_map(|k| {
        let members: Vec<&Value> = s
            .get(*k)?
            .as_array()?
            .iter()
            .filter(|m| m["type"] != "null")
            .collect();
        (!members.is_empty()).then_some(members)
    })
}

fn allows_null(s: &Value) -> bool {
    let in_union = ["anyOf", "oneOf"].iter().any(|k| {
        s.get(*k)
            .and_then(Value::as_array)
            .is_some_and(|a| a.iter().any(|m| m["type"] == "null"))
    });
    let in_types = s
        .get("type")
        .and_then(Value::as_array)
        .is_some_and(|a| a.iter().any(|t| t == "null"));
    in_union || in_types || is_any(s)
}

/// `{}` (pydantic's `Any`): every JSON value, `null` included.
fn is_any(s: &Value) -> bool {
    s.as_object().is_some_and(|o| {
        ![
            "type",
            "$ref",
            "anyOf",
            "oneOf",
            "allOf",
            "enum",
            "const",
            "properties",
        ]
        .iter()
        .any(|k| o.contains_key(*k))
    })
}

fn refs_in(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            if let Some(n) = ref_name(v) {
                out.insert(n.to_string());
            }
            m.values().for_each(|c| refs_in(c, out));
        }
        Value::Array(a) => a.iter().for_each(|c| refs_in(c, out)),
        _ => {}
    }
}

impl Spec {
    fn load() -> Self {
        let doc: Value = serde_json::from_str(islo::raw::OPENAPI_JSON).expect("the spec is JSON");
        let mut spec = Spec {
            doc,
            discriminators: BTreeSet::new(),
            three_state: BTreeSet::new(),
            keeps_unknown: BTreeSet::new(),
        };
        spec.discriminators = spec.find_discriminators();
        spec.three_state = spec.find_update_bodies();
        spec.keeps_unknown = spec
            .reachable_from_responses()
            .into_iter()
            .filter(|n| spec.is_object(n))
            .collect();
        spec
    }

    fn component(&self, name: &str) -> &Value {
        &self.doc["components"]["schemas"][name]
    }

    /// Follows `$ref`s; the name is that of the last component reached.
    fn resolve<'a>(&'a self, mut s: &'a Value) -> (&'a Value, Option<&'a str>) {
        let mut name = None;
        while let Some(n) = ref_name(s) {
            name = Some(n);
            s = self.component(n);
        }
        (s, name)
    }

    fn find_discriminators(&self) -> BTreeSet<(String, String)> {
        let mut out = BTreeSet::new();
        fn walk(spec: &Spec, v: &Value, out: &mut BTreeSet<(String, String)>) {
            match v {
                Value::Object(m) => {
                    if let Some(members) = union_members(v) {
                        let names: Vec<&str> = members.iter().filter_map(|m| ref_name(m)).collect();
                        if names.len() > 1 {
                            let by_object = v
                                .pointer("/discriminator/propertyName")
                                .and_then(Value::as_str);
                            let props: Vec<String> = match by_object {
                                Some(p) => vec![p.to_string()],
                                // A property that is a constant in every member tags them too.
                                None => spec.component(names[0])["properties"]
                                    .as_object()
                                    .map(|p| p.keys().cloned().collect::<Vec<String>>())
                                    .unwrap_or_default()
                                    .into_iter()
                                    .filter(|p| {
                                        names.iter().all(|n| {
                                            let s = &spec.component(n)["properties"][p];
                                            s.get("const").is_some() || s.get("enum").is_some()
                                        })
                                    })
                                    .collect(),
                            };
                            for n in &names {
                                for p in &props {
                                    out.insert((n.to_string(), p.clone()));
                                }
                            }
                        }
                    }
                    m.values().for_each(|c| walk(spec, c, out));
                }
                Value::Array(a) => a.iter().for_each(|c| walk(spec, c, out)),
                _ => {}
            }
        }
        walk(self, &self.doc, &mut out);
        out
    }

    /// Component names reachable (transitively) from `roots`.
    fn closure(&self, roots: BTreeSet<String>) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut todo: Vec<String> = roots.into_iter().collect();
        while let Some(n) = todo.pop() {
            if seen.insert(n.clone()) {
                let mut next = BTreeSet::new();
                refs_in(self.component(&n), &mut next);
                todo.extend(next.into_iter().filter(|x| !seen.contains(x)));
            }
        }
        seen
    }

    fn operations(&self) -> Vec<(&str, &Value)> {
        let mut out = Vec::new();
        for item in self.doc["paths"].as_object().expect("paths").values() {
            for (method, op) in item.as_object().expect("path item") {
                if op.get("operationId").is_some() {
                    out.push((method.as_str(), op));
                }
            }
        }
        out
    }

    fn json_schema(v: &Value) -> Option<&Value> {
        v.pointer("/content/application~1json/schema")
    }

    /// Components reachable from a JSON response (any status).
    fn reachable_from_responses(&self) -> BTreeSet<String> {
        let mut roots = BTreeSet::new();
        for (_, op) in self.operations() {
            for r in op["responses"]
                .as_object()
                .into_iter()
                .flat_map(|m| m.values())
            {
                if let Some(s) = Self::json_schema(r) {
                    refs_in(s, &mut roots);
                }
            }
        }
        self.closure(roots)
    }

    /// Components reachable from a JSON request body.
    fn reachable_from_request_bodies(&self) -> BTreeSet<String> {
        let mut roots = BTreeSet::new();
        for (_, op) in self.operations() {
            if let Some(s) = op.get("requestBody").and_then(Self::json_schema) {
                refs_in(s, &mut roots);
            }
        }
        self.closure(roots)
    }

    /// Components reachable from a request: a body of any media type, or a parameter.
    fn reachable_from_requests(&self) -> BTreeSet<String> {
        let mut roots = BTreeSet::new();
        for (_, op) in self.operations() {
            for k in ["requestBody", "parameters"] {
                if let Some(v) = op.get(k) {
                    refs_in(v, &mut roots);
                }
            }
        }
        self.closure(roots)
    }

    /// Whether the component is an object with declared fields (a struct, not a map).
    fn is_object(&self, name: &str) -> bool {
        self.component(name)["properties"]
            .as_object()
            .is_some_and(|p| !p.is_empty())
    }

    fn find_update_bodies(&self) -> BTreeSet<String> {
        let responses = self.reachable_from_responses();
        let mut out = BTreeSet::new();
        for (method, op) in self.operations() {
            if method != "patch" && method != "put" {
                continue;
            }
            let Some(name) = op
                .get("requestBody")
                .and_then(Self::json_schema)
                .and_then(ref_name)
            else {
                continue;
            };
            let s = self.component(name);
            let required: Vec<&str> = s["required"]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let optional_nullable = s["properties"].as_object().is_some_and(|p| {
                p.iter()
                    .any(|(k, v)| !required.contains(&k.as_str()) && allows_null(v))
            });
            if !responses.contains(name) && optional_nullable {
                out.insert(name.to_string());
            }
        }
        out
    }
}

// ---------------------------------------------------------------------------------------------
// Drawing values

/// Which members of which component unions were drawn.
type Coverage = BTreeMap<String, BTreeSet<usize>>;

struct Gen<'a> {
    spec: &'a Spec,
    rng: Rng,
    coverage: &'a mut Coverage,
}

/// A drawn value: what goes on the wire, and what must come back.
struct Draw {
    wire: Value,
    back: Value,
}

impl Draw {
    fn same(v: Value) -> Self {
        Self {
            back: v.clone(),
            wire: v,
        }
    }
}

const CHARS: &[&str] = &[
    "a", "Z", "0", " ", "-", "_", "/", ".", "\"", "\\", "\n", "\t", "\u{1}", "é", "ß", "中", "🦀",
    "\u{2028}", "%", "{", "}",
];

impl Gen<'_> {
    fn string(&mut self) -> String {
        (0..self.rng.below(12))
            .map(|_| CHARS[self.rng.below(CHARS.len())])
            .collect()
    }

    /// A date-time as servers send them: RFC 3339 with `Z` or an offset, with 0 to 9
    /// fraction digits, or (Python's naive `datetime.isoformat()`) with no offset.
    fn date_time(&mut self) -> String {
        let mut s = format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            1970 + self.rng.below(100),
            1 + self.rng.below(12),
            1 + self.rng.below(28),
            self.rng.below(24),
            self.rng.below(60),
            self.rng.below(60)
        );
        let digits = [0, 0, 1, 3, 6, 6, 9][self.rng.below(7)];
        if digits > 0 {
            s.push('.');
            for _ in 0..digits {
                s.push(char::from(b'0' + self.rng.below(10) as u8));
            }
        }
        match self.rng.below(4) {
            0 => s.push('Z'),
            1 => s.push_str("+00:00"),
            2 => s.push_str(&format!(
                "{}{:02}:{:02}",
                if self.rng.chance(2) { '+' } else { '-' },
                self.rng.below(15),
                [0, 30, 45][self.rng.below(3)]
            )),
            _ => {} // naive: no offset
        }
        s
    }

    /// A finite float, often one that needs all 17 significant digits.
    fn float(&mut self) -> f64 {
        match self.rng.below(5) {
            0 => 5.483_484_002_072_926_6e-80,
            1 => [-2.2, 0.1, 1e300, -0.0, 3.0][self.rng.below(5)],
            2 => (self.rng.next() as i64 as f64) / 1e6,
            _ => loop {
                let f = f64::from_bits(self.rng.next());
                if f.is_finite() {
                    break f;
                }
            },
        }
    }

    fn integer(&mut self) -> i64 {
        match self.rng.below(3) {
            0 => self.rng.below(100) as i64,
            1 => -(self.rng.below(1_000_000) as i64),
            _ => self.rng.next() as i64,
        }
    }

    /// Any JSON value (pydantic's `Any`); `null` only when `null_ok`.
    fn any(&mut self, depth: usize, null_ok: bool) -> Value {
        let kinds = if depth >= MAX_DEPTH { 5 } else { 7 };
        match self.rng.below(kinds) {
            0 if null_ok => Value::Null,
            0 | 1 => Value::Bool(self.rng.chance(2)),
            2 => json!(self.integer()),
            3 => json!(self.float()),
            4 => Value::String(self.string()),
            5 => Value::Array(
                (0..self.rng.below(3))
                    .map(|_| self.any(depth + 1, true))
                    .collect(),
            ),
            _ => Value::Object(
                (0..self.rng.below(3))
                    .map(|i| (format!("k{i}{}", self.string()), self.any(depth + 1, true)))
                    .collect(),
            ),
        }
    }

    /// How many required fields of `s` lead to another object: the member to pick when the
    /// draw must end.
    fn weight(&self, s: &Value, depth: usize) -> usize {
        let (s, _) = self.spec.resolve(s);
        if depth > 4 {
            return 100;
        }
        if let Some(members) = union_members(s) {
            return members
                .iter()
                .map(|m| self.weight(m, depth + 1))
                .min()
                .unwrap_or(0);
        }
        let required: Vec<&str> = s["required"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        s["properties"].as_object().map_or(0, |p| {
            p.iter()
                .filter(|(k, v)| required.contains(&k.as_str()) && ref_name(v).is_some())
                .map(|(_, v)| 1 + self.weight(v, depth + 1))
                .sum()
        })
    }

    /// A value of `schema`. `closed`: an enum here is a discriminator (known values only).
    /// `force`: the member to take if this is a union. `null_ok`: `null` may be drawn.
    fn value(
        &mut self,
        schema: &Value,
        depth: usize,
        closed: bool,
        force: Option<usize>,
        null_ok: bool,
    ) -> Draw {
        let (s, name) = self.spec.resolve(schema);
        if null_ok && allows_null(s) && self.rng.chance(5) {
            return Draw::same(Value::Null);
        }
        if let Some(c) = s.get("const") {
            return Draw::same(c.clone());
        }
        if let Some(values) = s.get("enum").and_then(Value::as_array) {
            let known: Vec<&Value> = values.iter().filter(|v| !v.is_null()).collect();
            if !closed && self.rng.chance(3) {
                // A value the server added after this spec.
                return Draw::same(json!(format!("added_later_{}", self.rng.below(100))));
            }
            return Draw::same(known[self.rng.below(known.len())].clone());
        }
        if let Some(members) = union_members(s) {
            let i = match force {
                Some(i) => i,
                None if depth >= MAX_DEPTH => (0..members.len())
                    .min_by_key(|&i| self.weight(members[i], 0))
                    .unwrap_or(0),
                None => self.rng.below(members.len()),
            };
            if let Some(n) = name {
                if members.len() > 1 {
                    self.coverage.entry(n.to_string()).or_default().insert(i);
                }
            }
            return self.value(members[i], depth + 1, closed, None, false);
        }
        if let Some(parts) = s.get("allOf").and_then(Value::as_array) {
            assert_eq!(parts.len(), 1, "allOf with several parts is not drawn: {s}");
            return self.value(&parts[0], depth, closed, force, null_ok);
        }
        let ty = match s.get("type") {
            Some(Value::String(t)) => Some(t.as_str()),
            Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).find(|t| *t != "null"),
            _ => None,
        };
        match ty {
            Some("string") if s["format"] == "date-time" => Draw::same(json!(self.date_time())),
            Some("string") => Draw::same(json!(self.string())),
            Some("integer") => Draw::same(json!(self.integer())),
            Some("number") => Draw::same(json!(self.float())),
            Some("boolean") => Draw::same(json!(self.rng.chance(2))),
            Some("null") => Draw::same(Value::Null),
            Some("array") => {
                let n = if depth >= MAX_DEPTH {
                    0
                } else {
                    self.rng.below(4)
                };
                let items = s.get("items").cloned().unwrap_or(json!({}));
                let (wire, back) = (0..n)
                    .map(|_| {
                        let d = self.value(&items, depth + 1, false, None, true);
                        (d.wire, d.back)
                    })
                    .unzip();
                Draw {
                    wire: Value::Array(wire),
                    back: Value::Array(back),
                }
            }
            Some("object") => self.object(s, name, depth),
            None if s.get("properties").is_some() => self.object(s, name, depth),
            None => Draw::same(self.any(depth, null_ok)),
            Some(other) => panic!("no draw for type {other}: {s}"),
        }
    }

    /// An object of `s` (the component `name`, if it is one).
    ///
    /// An unknown field is sent and expected back when `name` keeps unknown fields
    /// ([`Spec::keeps_unknown`]: every object a response can carry; an object only requests
    /// carry, which nothing the server sends passes through, has no catch-all), and the one
    /// difference allowed by design is made here: an optional field sent as `null` is
    /// expected back absent unless `name` is an update body (three-state fields).
    fn object(&mut self, s: &Value, name: Option<&str>, depth: usize) -> Draw {
        let mut wire = Map::new();
        let mut back = Map::new();
        let props = s.get("properties").and_then(Value::as_object);
        let Some(props) = props.filter(|p| !p.is_empty()) else {
            // A map: its entries are data.
            let values = match s.get("additionalProperties") {
                Some(v @ Value::Object(_)) => Some(v.clone()),
                _ => None,
            };
            let n = if depth >= MAX_DEPTH {
                0
            } else {
                self.rng.below(3)
            };
            for i in 0..n {
                let key = format!("key{i}{}", self.string());
                let d = match &values {
                    Some(v) => self.value(v, depth + 1, false, None, true),
                    None => Draw::same(self.any(depth + 1, true)),
                };
                wire.insert(key.clone(), d.wire);
                back.insert(key, d.back);
            }
            return Draw {
                wire: Value::Object(wire),
                back: Value::Object(back),
            };
        };
        let required: Vec<&str> = s["required"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let three_state = name.is_some_and(|n| self.spec.three_state.contains(n));
        for (p, ps) in props {
            let is_required = required.contains(&p.as_str());
            let closed = name.is_some_and(|n| {
                self.spec
                    .discriminators
                    .contains(&(n.to_string(), p.clone()))
            });
            let nullable = allows_null(self.spec.resolve(ps).0) || allows_null(ps);
            if !is_required {
                let pick = if depth >= MAX_DEPTH {
                    0
                } else {
                    self.rng.below(4)
                };
                match pick {
                    0 => continue, // absent
                    1 if nullable => {
                        wire.insert(p.clone(), Value::Null);
                        if three_state {
                            back.insert(p.clone(), Value::Null);
                        }
                        continue;
                    }
                    _ => {}
                }
            }
            let d = if is_required && nullable && self.rng.chance(5) {
                Draw::same(Value::Null)
            } else {
                self.value(ps, depth + 1, closed, None, false)
            };
            wire.insert(p.clone(), d.wire);
            back.insert(p.clone(), d.back);
        }
        let keeps_unknown = name.is_some_and(|n| self.spec.keeps_unknown.contains(n));
        if s.get("additionalProperties") != Some(&Value::Bool(false)) && self.rng.chance(2) {
            for i in 0..=self.rng.below(2) {
                // A field the server added after this spec.
                let key = format!("{UNKNOWN}{i}");
                let v = self.any(depth + 1, true);
                if keeps_unknown {
                    back.insert(key.clone(), v.clone());
                }
                wire.insert(key, v);
            }
        }
        Draw {
            wire: Value::Object(wire),
            back: Value::Object(back),
        }
    }
}

/// How the fields this test adds (ones the spec does not declare) begin.
const UNKNOWN: &str = "added_later_";

/// The keys of every catch-all map (a field `extra: {..}`) in a `Debug` rendering of a
/// decoded value, outermost first.
fn catch_all_keys(debug: &str) -> Vec<String> {
    let chars: Vec<char> = debug.chars().collect();
    let mut keys = Vec::new();
    // For each open bracket: whether it opens a catch-all map.
    let mut open: Vec<bool> = Vec::new();
    let mut expect_key = false;
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '"' => {
                // A string literal (`Debug` escapes `"` and `\\` inside it).
                let mut text = String::new();
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    if chars[i] == '\\' {
                        i += 1;
                    }
                    if let Some(&c) = chars.get(i) {
                        text.push(c);
                    }
                    i += 1;
                }
                if expect_key {
                    keys.push(text);
                    expect_key = false;
                }
            }
            '{' | '[' | '(' => {
                const FIELD: &str = " extra: ";
                let catch_all = chars[i] == '{'
                    && i >= FIELD.len()
                    && chars[i - FIELD.len()..i].iter().copied().eq(FIELD.chars());
                open.push(catch_all);
                expect_key = catch_all;
            }
            '}' | ']' | ')' => {
                open.pop();
                expect_key = false;
            }
            ',' => expect_key = open.last() == Some(&true),
            _ => {}
        }
        i += 1;
    }
    keys
}

/// The first place where `got` and `want` differ.
fn diff(got: &Value, want: &Value, at: &str) -> Option<String> {
    match (got, want) {
        (Value::Object(g), Value::Object(w)) => {
            for (k, wv) in w {
                match g.get(k) {
                    None => return Some(format!("{at}.{k}: missing (sent {wv})")),
                    Some(gv) => {
                        if let Some(d) = diff(gv, wv, &format!("{at}.{k}")) {
                            return Some(d);
                        }
                    }
                }
            }
            g.keys()
                .find(|k| !w.contains_key(*k))
                .map(|k| format!("{at}.{k}: came back as {} but was not sent", g[k]))
        }
        (Value::Array(g), Value::Array(w)) if g.len() == w.len() => g
            .iter()
            .zip(w)
            .enumerate()
            .find_map(|(i, (gv, wv))| diff(gv, wv, &format!("{at}[{i}]"))),
        _ if got == want => None,
        _ => Some(format!("{at}: sent {want}, came back {got}")),
    }
}

#[test]
fn every_schema_reachable_from_the_api_round_trips() {
    let spec = Spec::load();
    let table: BTreeMap<&str, RoundTrip> = table::SCHEMAS.iter().copied().collect();
    let mut names = spec.reachable_from_responses();
    names.extend(spec.reachable_from_request_bodies());
    let base = seed();
    println!(
        "seed {base} (ISLO_ROUND_TRIP_SEED), {} schemas",
        names.len()
    );
    let mut coverage = Coverage::new();
    let mut failures: BTreeMap<&str, (usize, String)> = BTreeMap::new();
    for name in &names {
        let Some(rt) = table.get(name.as_str()) else {
            failures.insert(name, (1, "no generated type".into()));
            continue;
        };
        let schema = spec.component(name);
        let width = union_members(schema).map_or(1, |m| m.len());
        for i in 0..DRAWS.max(3 * width) {
            let mut g = Gen {
                spec: &spec,
                rng: Rng::new(base ^ hash(name) ^ (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)),
                coverage: &mut coverage,
            };
            let force = (width > 1).then_some(i % width);
            let draw = g.value(
                &json!({ "$ref": format!("#/components/schemas/{name}") }),
                0,
                false,
                force,
                false,
            );
            let text = serde_json::to_string(&draw.wire).expect("JSON text");
            let problem = match rt(&text) {
                Err(e) => Some(e),
                // A catch-all holds only what the spec does not declare: a declared field
                // there would mean the wrong union member decoded the value.
                Ok((_, debug))
                    if catch_all_keys(&debug)
                        .iter()
                        .any(|k| !k.starts_with(UNKNOWN)) =>
                {
                    Some(format!(
                        "a catch-all took declared fields {:?}: {debug}",
                        catch_all_keys(&debug)
                    ))
                }
                Ok((got, _)) => diff(&got, &draw.back, "$"),
            };
            if let Some(p) = problem {
                let entry = failures
                    .entry(name)
                    .or_insert_with(|| (0, format!("{p}\n      sent: {text}")));
                entry.0 += 1;
            }
        }
    }
    // Every member of every union was drawn.
    for (union, members) in &coverage {
        let width = union_members(spec.component(union)).map_or(0, |m| m.len());
        for i in 0..width {
            if !members.contains(&i) {
                failures.insert(union, (1, format!("member {i} never drawn")));
            }
        }
    }
    let report: Vec<String> = failures
        .iter()
        .map(|(name, (n, first))| format!("{name} ({n} draws): {first}"))
        .collect();
    assert!(
        report.is_empty(),
        "{} of {} schemas lose or refuse data:\n{}",
        report.len(),
        names.len(),
        report.join("\n")
    );
}

#[test]
fn the_update_bodies_are_the_nine_request_only_patch_and_put_bodies() {
    let spec = Spec::load();
    let names: Vec<&str> = spec.three_state.iter().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "CloudRoleUpdate",
            "ContainerRegistryUpdate",
            "EnvironmentUpdate",
            "GatewayProfileUpdate",
            "GatewayRuleUpdate",
            "IncomingWebhookUpdate",
            "KnowledgeItemUpdate",
            "LineScheduleUpsert",
            "LineUpdate",
        ]
    );
}

#[test]
fn unknown_fields_are_kept_by_every_object_a_response_can_carry() {
    // The 124 objects only responses carry and the 85 that requests carry too (a webhook's
    // rules, a line's stages, the JSON-path conditions, ...): what the server sends in one is
    // kept when it is written back.
    let spec = Spec::load();
    assert_eq!(spec.keeps_unknown.len(), 209);
    let requests = spec.reachable_from_requests();
    let shared = spec
        .keeps_unknown
        .iter()
        .filter(|n| requests.contains(*n))
        .count();
    assert_eq!(shared, 85);
    for name in [
        "SandboxResponse",
        "ErrorResponse",
        "ExecResult",
        "TokenResponse",
        "IncomingWebhookRule",
        "JsonPathConditionLessThan",
        "LifecyclePolicy",
        "SandboxConfig",
    ] {
        assert!(spec.keeps_unknown.contains(name), "{name}");
    }
}

#[test]
fn the_catch_all_scanner_finds_the_keys_of_every_extra_map() {
    let debug = r#"Outer { a: "extra: {\"no\": 1}", extra: {"added_later_0": Object {"k": Array [String("}")]}, "x\"y": Null}, inner: Some(Inner { my_extra: {"no": Null}, extra: {} }), list: [Leaf { extra: {"added_later_1": Bool(true)} }] }"#;
    assert_eq!(
        catch_all_keys(debug),
        ["added_later_0", "x\"y", "added_later_1"]
    );
}

#[test]
fn the_draws_cover_what_the_spec_can_send() {
    // The generator itself: discriminators are found, unions are many, and a draw of a
    // discriminated union member keeps its tag.
    let spec = Spec::load();
    assert!(spec
        .discriminators
        .contains(&("JsonPathConditionLessThan".into(), "op".into())));
    assert!(spec
        .discriminators
        .contains(&("IsloKnowledgeItemExternalRef".into(), "provider".into())));
    assert!(!spec
        .discriminators
        .contains(&("IsloKnowledgeItemExternalRef".into(), "kind".into())));
    let mut coverage = Coverage::new();
    let mut g = Gen {
        spec: &spec,
        rng: Rng::new(7),
        coverage: &mut coverage,
    };
    let d = g.value(
        &json!({"$ref": "#/components/schemas/JsonPathConditionLessThan"}),
        0,
        false,
        None,
        false,
    );
    assert_eq!(d.wire["op"], "less_than");
    assert!(d.wire["value"].is_f64());
}
