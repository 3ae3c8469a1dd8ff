//! The canonical text form of the vendored spec: keys sorted recursively (byte order),
//! two-space indentation, one trailing newline. Sorting is explicit because this workspace
//! enables serde_json's `preserve_order`, under which maps keep insertion order.

use serde_json::{Map, Value};

/// Returns a copy of `v` whose objects have their keys sorted, recursively.
pub fn sort_keys(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let mut out = Map::with_capacity(m.len());
            for k in keys {
                out.insert(k.clone(), sort_keys(&m[k]));
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(sort_keys).collect()),
        other => other.clone(),
    }
}

/// Renders `v` in canonical form: sorted keys, two-space indentation, trailing newline.
pub fn to_canonical_string(v: &Value) -> String {
    let mut s =
        serde_json::to_string_pretty(&sort_keys(v)).expect("a JSON value always serializes");
    s.push('\n');
    s
}

/// Whether `text` is a JSON document already in canonical form (`Err` if it is not JSON).
pub fn is_canonical(text: &str) -> Result<bool, serde_json::Error> {
    let v: Value = serde_json::from_str(text)?;
    Ok(to_canonical_string(&v) == text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_are_sorted_recursively_and_arrays_keep_their_order() {
        let v: Value =
            serde_json::from_str(r#"{"b":{"z":1,"a":[{"y":2,"x":1},3]},"a":null,"B":true}"#)
                .unwrap();
        let text = to_canonical_string(&v);
        assert_eq!(
            text,
            "{\n  \"B\": true,\n  \"a\": null,\n  \"b\": {\n    \"a\": [\n      {\n        \"x\": 1,\n        \"y\": 2\n      },\n      3\n    ],\n    \"z\": 1\n  }\n}\n"
        );
    }

    #[test]
    fn canonical_form_is_a_fixed_point_and_detects_drift() {
        let v = json!({"paths": {"/b": {}, "/a": {"get": {"tags": ["x"], "operationId": "a"}}}, "openapi": "3.1.0"});
        let text = to_canonical_string(&v);
        assert!(is_canonical(&text).unwrap());
        assert_eq!(
            to_canonical_string(&serde_json::from_str::<Value>(&text).unwrap()),
            text
        );
        // Same document, other key order / indentation / no trailing newline: not canonical.
        assert!(!is_canonical(&serde_json::to_string_pretty(&v).unwrap()).unwrap());
        assert!(!is_canonical(text.trim_end()).unwrap());
        assert!(!is_canonical(&serde_json::to_string(&sort_keys(&v)).unwrap()).unwrap());
        assert!(is_canonical("not json").is_err());
    }

    #[test]
    fn unicode_is_kept_verbatim_and_empty_containers_stay_compact() {
        let v = json!({"é": "ü → ✓", "e": {}, "d": []});
        assert_eq!(
            to_canonical_string(&v),
            "{\n  \"d\": [],\n  \"e\": {},\n  \"é\": \"ü → ✓\"\n}\n"
        );
    }
}
