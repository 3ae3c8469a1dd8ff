//! One test per rewrite the normalizer performs, each on a tiny inline OpenAPI 3.1 document:
//! the input, the exact output shape, and the recorded rewrite with its JSON pointer into the
//! source. Then the invariants it refuses to paper over (each error names its place), and the
//! real vendored spec.

use islo_normalize::{
    normalize, BodyKind, ErrorStatus, NormalizeError, Normalized, Operation, ParamLocation, Plane,
    ResponseKind, Rewrite, RewriteKind, UpdateBody,
};
use serde_json::{json, Value};

const CONTROL: &str = "https://api.islo.dev";
const COMPUTE: &str = "https://ca.compute.islo.dev";

/// A minimal FastAPI-style 3.1 document with the given paths and component schemas.
fn doc(paths: Value, schemas: Value) -> Value {
    json!({
        "openapi": "3.1.0",
        "info": {"title": "Islo", "version": "1.0.0"},
        "servers": [{"url": CONTROL}],
        "paths": paths,
        "components": {"schemas": schemas}
    })
}

/// A GET operation answering 200 with `schema`.
fn get_op(id: &str, schema: Value) -> Value {
    json!({
        "operationId": id,
        "tags": ["things"],
        "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": schema}}}}
    })
}

/// A document whose only operation returns the component schema `Thing`, defined by `thing`
/// (plus `extra` component schemas).
fn with_thing(thing: Value, extra: Value) -> Value {
    let mut schemas = json!({"Thing": thing});
    for (k, v) in extra.as_object().expect("object") {
        schemas[k] = v.clone();
    }
    doc(
        json!({"/things/{id}": {"get": get_op("get_thing", json!({"$ref": "#/components/schemas/Thing"}))}}),
        schemas,
    )
}

fn run(source: &Value) -> Normalized {
    normalize(source).unwrap_or_else(|e| panic!("normalize failed: {e}"))
}

fn has(n: &Normalized, pointer: &str, kind: RewriteKind) -> bool {
    n.rewrites.contains(&Rewrite {
        pointer: pointer.to_string(),
        kind,
    })
}

#[track_caller]
fn assert_rewrite(n: &Normalized, pointer: &str, kind: RewriteKind) {
    assert!(
        has(n, pointer, kind),
        "missing rewrite {kind:?} at {pointer}; recorded: {:#?}",
        n.rewrites
    );
}

fn kinds_at(n: &Normalized, pointer: &str) -> Vec<RewriteKind> {
    n.rewrites
        .iter()
        .filter(|r| r.pointer == pointer)
        .map(|r| r.kind)
        .collect()
}

fn op<'a>(n: &'a Normalized, id: &str) -> &'a Operation {
    n.operations
        .iter()
        .find(|o| o.id == id)
        .unwrap_or_else(|| panic!("no operation {id}"))
}

fn schema<'a>(n: &'a Normalized, name: &str) -> &'a Value {
    n.spec
        .pointer(&format!("/components/schemas/{name}"))
        .unwrap_or_else(|| panic!("no component schema {name}"))
}

// ---------------------------------------------------------------------------------------------
// Version

#[test]
fn version_3_1_becomes_3_0_3() {
    let n = run(&with_thing(json!({"type": "object"}), json!({})));
    assert_eq!(n.spec["openapi"], "3.0.3");
    assert_rewrite(&n, "/openapi", RewriteKind::Version);
}

#[test]
fn version_3_0_3_is_left_alone() {
    let mut source = with_thing(json!({"type": "object"}), json!({}));
    source["openapi"] = json!("3.0.3");
    let n = run(&source);
    assert_eq!(n.spec["openapi"], "3.0.3");
    assert!(kinds_at(&n, "/openapi").is_empty());
}

// ---------------------------------------------------------------------------------------------
// Nullability

#[test]
fn any_of_null_becomes_nullable() {
    let n = run(&with_thing(
        json!({
            "type": "object",
            "properties": {"note": {"anyOf": [{"type": "string"}, {"type": "null"}], "title": "Note"}}
        }),
        json!({}),
    ));
    assert_eq!(
        schema(&n, "Thing")["properties"]["note"],
        json!({"type": "string", "nullable": true})
    );
    assert_rewrite(
        &n,
        "/components/schemas/Thing/properties/note/anyOf",
        RewriteKind::NullableAnyOf,
    );
    assert_rewrite(
        &n,
        "/components/schemas/Thing/properties/note",
        RewriteKind::TitleDropped,
    );
}

#[test]
fn any_of_ref_and_null_becomes_all_of_ref_nullable() {
    let n = run(&with_thing(
        json!({
            "type": "object",
            "properties": {"owner": {"anyOf": [{"$ref": "#/components/schemas/Owner"}, {"type": "null"}]}}
        }),
        json!({"Owner": {"type": "object", "properties": {"name": {"type": "string"}}}}),
    ));
    assert_eq!(
        schema(&n, "Thing")["properties"]["owner"],
        json!({"allOf": [{"$ref": "#/components/schemas/Owner"}], "nullable": true})
    );
    assert_rewrite(
        &n,
        "/components/schemas/Thing/properties/owner/anyOf",
        RewriteKind::NullableAnyOf,
    );
}

#[test]
fn any_of_several_and_null_keeps_the_rest_and_is_nullable() {
    let n = run(&with_thing(
        json!({
            "type": "object",
            "properties": {"timeout": {"anyOf": [{"type": "string"}, {"type": "integer"}, {"type": "null"}]}}
        }),
        json!({}),
    ));
    assert_eq!(
        schema(&n, "Thing")["properties"]["timeout"],
        json!({"anyOf": [{"type": "string"}, {"type": "integer"}], "nullable": true, "title": "ThingTimeout"})
    );
    assert_rewrite(
        &n,
        "/components/schemas/Thing/properties/timeout/anyOf",
        RewriteKind::NullableAnyOf,
    );
}

#[test]
fn type_array_with_null_becomes_nullable() {
    let n = run(&with_thing(
        json!({"type": "object", "properties": {"count": {"type": ["integer", "null"]}}}),
        json!({}),
    ));
    assert_eq!(
        schema(&n, "Thing")["properties"]["count"],
        json!({"type": "integer", "nullable": true})
    );
    assert_rewrite(
        &n,
        "/components/schemas/Thing/properties/count",
        RewriteKind::NullableTypeArray,
    );
}

#[test]
fn type_array_of_two_types_becomes_any_of() {
    let n = run(&with_thing(
        json!({"type": "object", "properties": {"budget": {"type": ["number", "string"]}}}),
        json!({}),
    ));
    assert_eq!(
        schema(&n, "Thing")["properties"]["budget"],
        json!({"anyOf": [{"type": "number"}, {"type": "string"}], "title": "ThingBudget"})
    );
    assert_rewrite(
        &n,
        "/components/schemas/Thing/properties/budget",
        RewriteKind::NullableTypeArray,
    );
}

// ---------------------------------------------------------------------------------------------
// Tagged unions

/// `Pet` is a discriminated union of `Cat` and `Dog`, each tagged with a `const` `kind` and
/// carrying an inline enum of its own; `Owner` is not a union member and has an inline enum.
fn pets() -> Value {
    doc(
        json!({"/pets/{id}": {"get": get_op("get_pet", json!({"$ref": "#/components/schemas/Pet"}))}}),
        json!({
            "Pet": {
                "oneOf": [{"$ref": "#/components/schemas/Cat"}, {"$ref": "#/components/schemas/Dog"}],
                "discriminator": {
                    "propertyName": "kind",
                    "mapping": {"cat": "#/components/schemas/Cat", "dog": "#/components/schemas/Dog"}
                }
            },
            "Cat": {
                "type": "object",
                "required": ["kind"],
                "properties": {
                    "kind": {"const": "cat", "title": "Kind"},
                    "size": {"type": "string", "enum": ["small", "large"]}
                }
            },
            "Dog": {
                "type": "object",
                "required": ["kind"],
                "properties": {"kind": {"const": "dog", "type": "string"}}
            },
            "Owner": {
                "type": "object",
                "properties": {"tier": {"type": "string", "enum": ["free", "pro"]}}
            }
        }),
    )
}

#[test]
fn const_becomes_single_value_enum_on_the_discriminator() {
    let n = run(&pets());
    assert_eq!(
        schema(&n, "Cat")["properties"]["kind"],
        json!({"type": "string", "enum": ["cat"], "title": "CatKind"}),
        "a const without a type gets the type of its value"
    );
    assert_eq!(
        schema(&n, "Dog")["properties"]["kind"],
        json!({"type": "string", "enum": ["dog"], "title": "DogKind"})
    );
    assert_rewrite(
        &n,
        "/components/schemas/Cat/properties/kind",
        RewriteKind::ConstToEnum,
    );
    assert_rewrite(
        &n,
        "/components/schemas/Dog/properties/kind",
        RewriteKind::ConstToEnum,
    );
}

#[test]
fn discriminator_object_is_dropped_and_the_union_kept() {
    let n = run(&pets());
    assert_eq!(
        schema(&n, "Pet"),
        &json!({"oneOf": [{"$ref": "#/components/schemas/Cat"}, {"$ref": "#/components/schemas/Dog"}]})
    );
    assert_rewrite(
        &n,
        "/components/schemas/Pet/discriminator",
        RewriteKind::DiscriminatorDropped,
    );
}

#[test]
fn union_members_keep_their_inline_enums_closed() {
    let n = run(&pets());
    // Not hoisted: stays inline, named after its place, and is not an open enum.
    assert_eq!(
        schema(&n, "Cat")["properties"]["size"],
        json!({"type": "string", "enum": ["small", "large"], "title": "CatSize"})
    );
    assert!(n.spec.pointer("/components/schemas/CatSize").is_none());
    assert!(!has(
        &n,
        "/components/schemas/Cat/properties/size",
        RewriteKind::EnumHoisted
    ));
    assert!(n.open_enums.iter().all(|e| e.name != "CatSize"));
}

#[test]
fn inline_enum_outside_a_union_is_hoisted_and_open() {
    let n = run(&pets());
    assert_eq!(
        schema(&n, "Owner")["properties"]["tier"],
        json!({"$ref": "#/components/schemas/OwnerTier"})
    );
    assert_eq!(
        schema(&n, "OwnerTier"),
        &json!({"type": "string", "enum": ["free", "pro"]})
    );
    assert_rewrite(
        &n,
        "/components/schemas/Owner/properties/tier",
        RewriteKind::EnumHoisted,
    );
    let open = n
        .open_enums
        .iter()
        .find(|e| e.name == "OwnerTier")
        .expect("OwnerTier is open");
    assert_eq!(open.values, ["free", "pro"]);
}

#[test]
fn nullable_inline_enum_is_hoisted_behind_all_of() {
    let n = run(&with_thing(
        json!({
            "type": "object",
            "properties": {
                "mode": {"anyOf": [{"type": "string", "enum": ["fast", "safe"]}, {"type": "null"}]}
            }
        }),
        json!({}),
    ));
    assert_eq!(
        schema(&n, "Thing")["properties"]["mode"],
        json!({"allOf": [{"$ref": "#/components/schemas/ThingMode"}], "nullable": true})
    );
    assert_eq!(
        schema(&n, "ThingMode"),
        &json!({"type": "string", "enum": ["fast", "safe"]})
    );
    // The enum stands at `anyOf/0` in the source, so that is where the hoist is recorded.
    assert_rewrite(
        &n,
        "/components/schemas/Thing/properties/mode/anyOf/0",
        RewriteKind::EnumHoisted,
    );
}

#[test]
fn inline_enum_in_a_query_parameter_is_hoisted_after_the_operation() {
    let source = doc(
        json!({"/things": {"get": {
            "operationId": "list_things",
            "tags": ["things"],
            "parameters": [{"name": "sort_order", "in": "query", "required": false,
                            "schema": {"type": "string", "enum": ["asc", "desc"], "title": "Sort Order"}}],
            "responses": {"200": {"description": "OK"}}
        }}}),
        json!({}),
    );
    let n = run(&source);
    assert_eq!(
        n.spec
            .pointer("/paths/~1things/get/parameters/0/schema")
            .unwrap(),
        &json!({"$ref": "#/components/schemas/ListThingsSortOrder"})
    );
    assert_eq!(
        schema(&n, "ListThingsSortOrder"),
        &json!({"type": "string", "enum": ["asc", "desc"]})
    );
    assert_rewrite(
        &n,
        "/paths/~1things/get/parameters/0/schema",
        RewriteKind::EnumHoisted,
    );
}

#[test]
fn an_any_of_of_components_becomes_a_one_of() {
    // typify makes an `anyOf` it cannot prove exclusive a struct of optional flattened
    // members, which decodes a value no member takes whole as `{}`; a `oneOf` is an untagged
    // enum whose first matching member takes the value, or a decode error.
    let n = run(&with_thing(
        json!({"anyOf": [
            {"$ref": "#/components/schemas/Legacy"},
            {"$ref": "#/components/schemas/Tagged"}
        ]}),
        json!({
            "Legacy": {"type": "object", "required": ["equals"], "properties": {"equals": {}}},
            "Tagged": {"type": "object", "required": ["op"], "properties": {"op": {"const": "x"}}}
        }),
    ));
    assert_eq!(
        schema(&n, "Thing"),
        &json!({"oneOf": [
            {"$ref": "#/components/schemas/Legacy"},
            {"$ref": "#/components/schemas/Tagged"}
        ]})
    );
    assert_rewrite(
        &n,
        "/components/schemas/Thing/anyOf",
        RewriteKind::AnyOfToOneOf,
    );
}

#[test]
fn a_nullable_any_of_of_components_becomes_a_nullable_one_of() {
    let n = run(&with_thing(
        json!({"type": "object", "properties": {"when": {"anyOf": [
            {"$ref": "#/components/schemas/A"},
            {"$ref": "#/components/schemas/B"},
            {"type": "null"}
        ]}}}),
        json!({"A": {"type": "object"}, "B": {"type": "string"}}),
    ));
    assert_eq!(
        schema(&n, "Thing")["properties"]["when"],
        json!({
            "oneOf": [{"$ref": "#/components/schemas/A"}, {"$ref": "#/components/schemas/B"}],
            "nullable": true,
            "title": "ThingWhen"
        })
    );
    assert_rewrite(
        &n,
        "/components/schemas/Thing/properties/when/anyOf",
        RewriteKind::AnyOfToOneOf,
    );
}

#[test]
fn an_any_of_of_inline_types_is_left_to_typify() {
    // `[string, integer]` and the like are already untagged enums.
    let n = run(&with_thing(
        json!({"anyOf": [{"type": "string"}, {"type": "integer"}]}),
        json!({}),
    ));
    assert_eq!(
        schema(&n, "Thing"),
        &json!({"anyOf": [{"type": "string"}, {"type": "integer"}]})
    );
    assert!(kinds_at(&n, "/components/schemas/Thing/anyOf").is_empty());
}

#[test]
fn an_optional_collection_becomes_nullable_so_an_empty_one_is_kept() {
    // typify skips an empty `Vec` or map of an optional field when encoding, so `[]` and
    // `{}` would come back absent; as `Option`s they come back as sent.
    let n = run(&with_thing(
        json!({
            "type": "object",
            "required": ["must"],
            "properties": {
                "detail": {"type": "array", "items": {"type": "string"}},
                "ctx": {"type": "object"},
                "must": {"type": "array", "items": {"type": "string"}},
                "maybe": {"anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "null"}]},
                "name": {"type": "string"}
            }
        }),
        json!({}),
    ));
    let props = &schema(&n, "Thing")["properties"];
    assert_eq!(
        props["detail"],
        json!({"type": "array", "items": {"type": "string"}, "nullable": true})
    );
    assert_eq!(props["ctx"], json!({"type": "object", "nullable": true}));
    assert_eq!(
        props["must"],
        json!({"type": "array", "items": {"type": "string"}})
    );
    assert_eq!(props["name"], json!({"type": "string"}));
    assert_rewrite(
        &n,
        "/components/schemas/Thing/properties/detail",
        RewriteKind::OptionalCollectionNullable,
    );
    assert_rewrite(
        &n,
        "/components/schemas/Thing/properties/ctx",
        RewriteKind::OptionalCollectionNullable,
    );
    assert!(!kinds_at(&n, "/components/schemas/Thing/properties/maybe")
        .contains(&RewriteKind::OptionalCollectionNullable));
}

// ---------------------------------------------------------------------------------------------
// Unknown fields: kept by every object a response can carry

/// `get_thing` returns `Thing` (holding `Part`, `Choice` of `A`/`B`, `Labels`, a map, and
/// `Shared`), `create_thing` takes `Input` (holding `Shared`), `find_things` filters by
/// `Filter` (a query parameter) and returns `Found`, whose inline object `Page` sits in a
/// nullable `anyOf`; `inline_thing` answers with an inline object.
fn unknown_fields() -> Value {
    let json_body = |name: &str| json!({"required": true, "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{name}")}}}});
    let r = |name: &str| json!({"$ref": format!("#/components/schemas/{name}")});
    doc(
        json!({
            "/things": {
                "post": {
                    "operationId": "create_thing",
                    "tags": ["things"],
                    "requestBody": json_body("Input"),
                    "responses": {"204": {"description": "Created"}}
                },
                "get": {
                    "operationId": "find_things",
                    "tags": ["things"],
                    "parameters": [{"name": "filter", "in": "query", "schema": r("Filter")}],
                    "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": r("Found")}}}}
                }
            },
            "/things/{id}": {"get": get_op("get_thing", r("Thing"))},
            "/inline": {"get": get_op("inline_thing", json!({
                "type": "object",
                "properties": {"id": {"type": "string"}}
            }))}
        }),
        json!({
            "Thing": {"type": "object", "properties": {
                "part": r("Part"),
                "choice": r("Choice"),
                "labels": r("Labels"),
                "shared": r("Shared"),
                "typed": r("Typed")
            }},
            "Part": {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}},
            "Choice": {"oneOf": [r("A"), r("B")]},
            "A": {"type": "object", "required": ["a"], "properties": {"a": {"type": "string"}}},
            "B": {"type": "object", "required": ["b"], "properties": {"b": {"type": "integer"}}},
            "Labels": {"type": "object", "additionalProperties": {"type": "string"}},
            "Typed": {
                "type": "object",
                "properties": {"id": {"type": "string"}},
                "additionalProperties": {"type": "integer"}
            },
            "Shared": {"type": "object", "properties": {"id": {"type": "string"}}},
            "Input": {"type": "object", "properties": {"shared": r("Shared"), "name": {"type": "string"}}},
            "Filter": {"type": "object", "properties": {"name": {"type": "string"}}},
            "Found": {"type": "object", "properties": {
                "filter": r("Filter"),
                "page": {"anyOf": [
                    {"type": "object", "properties": {"next": {"type": "string"}}},
                    {"type": "null"}
                ]}
            }}
        }),
    )
}

#[test]
fn an_object_a_response_can_carry_keeps_unknown_fields() {
    // typify gives an object whose `additionalProperties` is a schema a flattened catch-all
    // map (`extra`); `{}` admits any value, so a field the server added since the spec is
    // decoded into it and encoded again. (`true`, or no keyword, is ignored by typify.)
    let n = run(&unknown_fields());
    // `Shared` is in a request body too and `Filter` a query parameter too: what the server
    // sends in them is kept when it is written back.
    for name in ["Thing", "Part", "A", "B", "Found", "Shared", "Filter"] {
        assert_eq!(
            schema(&n, name)["additionalProperties"],
            json!({}),
            "{name} keeps unknown fields"
        );
        assert_rewrite(
            &n,
            &format!("/components/schemas/{name}"),
            RewriteKind::UnknownFieldsKept,
        );
    }
    assert_eq!(
        schema(&n, "Part"),
        &json!({
            "type": "object",
            "required": ["id"],
            "properties": {"id": {"type": "string"}},
            "additionalProperties": {}
        })
    );
    // An inline object in a response-only component, pointed at where the source has it.
    assert_eq!(
        schema(&n, "Found")["properties"]["page"]["additionalProperties"],
        json!({})
    );
    assert_rewrite(
        &n,
        "/components/schemas/Found/properties/page/anyOf/0",
        RewriteKind::UnknownFieldsKept,
    );
    // An inline object a response carries (the success response is `2XX` in the output).
    let normalized = "/paths/~1inline/get/responses/2XX/content/application~1json/schema";
    assert_eq!(
        n.spec.pointer(normalized).unwrap()["additionalProperties"],
        json!({})
    );
    assert_rewrite(
        &n,
        "/paths/~1inline/get/responses/200/content/application~1json/schema",
        RewriteKind::UnknownFieldsKept,
    );
}

#[test]
fn an_object_only_requests_carry_or_a_map_does_not_get_a_catch_all() {
    // Nothing the server sends passes through an object only requests carry.
    let n = run(&unknown_fields());
    {
        let name = "Input";
        assert!(
            schema(&n, name).get("additionalProperties").is_none(),
            "{name}: {}",
            schema(&n, name)
        );
        assert!(!has(
            &n,
            &format!("/components/schemas/{name}"),
            RewriteKind::UnknownFieldsKept
        ));
    }
    // Maps and objects with a typed catch-all already keep every entry.
    assert_eq!(
        schema(&n, "Labels"),
        &json!({"type": "object", "additionalProperties": {"type": "string"}})
    );
    assert_eq!(
        schema(&n, "Typed")["additionalProperties"],
        json!({"type": "integer"})
    );
    for name in ["Labels", "Typed", "Choice"] {
        assert!(!has(
            &n,
            &format!("/components/schemas/{name}"),
            RewriteKind::UnknownFieldsKept
        ));
    }
}

#[test]
fn the_vendored_spec_keeps_unknown_fields_of_the_209_objects_a_response_can_carry() {
    let n = run(&vendored());
    let kept: Vec<&str> = n
        .rewrites
        .iter()
        .filter(|r| r.kind == RewriteKind::UnknownFieldsKept)
        .map(|r| r.pointer.as_str())
        .collect();
    assert_eq!(kept.len(), 209, "{kept:#?}");
    assert!(kept.iter().all(|p| p.starts_with("/components/schemas/")));
    for name in [
        "SandboxResponse",
        "SandboxSpec",
        "ErrorResponse",
        "HTTPValidationError",
        "ValidationError",
        "IncomingWebhookAuthResponseHmac",
        "ExecResult",
        "TokenResponse",
        // Shared with a request body.
        "IncomingWebhookRule",
        "LifecyclePolicy",
        "JsonPathConditionLessThan",
    ] {
        assert_eq!(
            schema(&n, name)["additionalProperties"],
            json!({}),
            "{name}"
        );
    }
    // Request-only: no catch-all.
    for name in ["SandboxCreate", "GatewayProfileUpdate"] {
        assert!(
            schema(&n, name).get("additionalProperties").is_none(),
            "{name}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Open enums: every string enum but a union's discriminator

/// `Verifier` is a union of `Hmac` and `Jwt` told apart by `kind`, a named one-value enum in
/// each member; `Hmac` also has `algorithm`, a named one-value enum that is not a tag, and
/// `Owner` (no union member) a `const` field.
fn verifiers() -> Value {
    doc(
        json!({"/v": {"get": get_op("get_v", json!({"$ref": "#/components/schemas/Verifier"}))}}),
        json!({
            "Verifier": {
                "oneOf": [{"$ref": "#/components/schemas/Hmac"}, {"$ref": "#/components/schemas/Jwt"}],
                "discriminator": {"propertyName": "kind", "mapping": {
                    "hmac": "#/components/schemas/Hmac", "jwt": "#/components/schemas/Jwt"
                }}
            },
            "Hmac": {
                "type": "object",
                "required": ["kind"],
                "properties": {
                    "kind": {"$ref": "#/components/schemas/HmacKind"},
                    "algorithm": {"anyOf": [{"$ref": "#/components/schemas/HmacAlgorithm"}, {"type": "null"}]}
                }
            },
            "HmacKind": {"type": "string", "enum": ["hmac"]},
            "HmacAlgorithm": {"type": "string", "enum": ["sha256"], "title": "HmacAlgorithm"},
            "Jwt": {
                "type": "object",
                "required": ["kind"],
                "properties": {"kind": {"$ref": "#/components/schemas/JwtKind"}}
            },
            "JwtKind": {"type": "string", "enum": ["jwt"]},
            "Owner": {
                "type": "object",
                "properties": {"plan": {"const": "team"}, "ref_kind": {"$ref": "#/components/schemas/HmacAlgorithm"}}
            }
        }),
    )
}

fn open_names(n: &Normalized) -> Vec<&str> {
    n.open_enums.iter().map(|e| e.name.as_str()).collect()
}

#[test]
fn a_named_single_value_enum_is_open() {
    let n = run(&verifiers());
    let algorithm = n
        .open_enums
        .iter()
        .find(|e| e.name == "HmacAlgorithm")
        .expect("HmacAlgorithm is open");
    assert_eq!(algorithm.values, ["sha256"]);
}

#[test]
fn a_named_enum_that_is_a_discriminator_stays_closed() {
    let n = run(&verifiers());
    let open = open_names(&n);
    assert!(!open.contains(&"HmacKind"), "{open:?}");
    assert!(!open.contains(&"JwtKind"), "{open:?}");
}

#[test]
fn a_const_outside_a_union_is_hoisted_and_open() {
    let n = run(&verifiers());
    assert_eq!(
        schema(&n, "Owner")["properties"]["plan"],
        json!({"$ref": "#/components/schemas/OwnerPlan"})
    );
    assert_eq!(
        schema(&n, "OwnerPlan"),
        &json!({"type": "string", "enum": ["team"]})
    );
    assert_rewrite(
        &n,
        "/components/schemas/Owner/properties/plan",
        RewriteKind::EnumHoisted,
    );
    assert!(open_names(&n).contains(&"OwnerPlan"));
}

#[test]
fn a_const_tag_inside_a_union_member_stays_closed_and_inline() {
    let n = run(&pets());
    assert!(n.spec.pointer("/components/schemas/CatKind").is_none());
    assert!(!open_names(&n).contains(&"CatKind"));
}

// ---------------------------------------------------------------------------------------------
// Titles and names

#[test]
fn colliding_inline_titles_become_distinct_named_types() {
    let n = run(&doc(
        json!({"/a": {"get": get_op("get_a", json!({"$ref": "#/components/schemas/A"}))},
               "/b": {"get": get_op("get_b", json!({"$ref": "#/components/schemas/B"}))}}),
        json!({
            "A": {"type": "object", "properties": {"kind": {"title": "Kind", "type": "string", "enum": ["x", "y"]}}},
            "B": {"type": "object", "properties": {"kind": {"title": "Kind", "type": "string", "enum": ["p", "q"]}}}
        }),
    ));
    assert_eq!(
        schema(&n, "A")["properties"]["kind"],
        json!({"$ref": "#/components/schemas/AKind"})
    );
    assert_eq!(
        schema(&n, "B")["properties"]["kind"],
        json!({"$ref": "#/components/schemas/BKind"})
    );
    assert_eq!(schema(&n, "AKind")["enum"], json!(["x", "y"]));
    assert_eq!(schema(&n, "BKind")["enum"], json!(["p", "q"]));
    assert!(
        n.spec.pointer("/components/schemas/Kind").is_none(),
        "the shared title names nothing"
    );
    for p in [
        "/components/schemas/A/properties/kind",
        "/components/schemas/B/properties/kind",
    ] {
        assert_rewrite(&n, p, RewriteKind::TitleDropped);
        assert_rewrite(&n, p, RewriteKind::EnumHoisted);
    }
}

#[test]
fn colliding_inline_object_titles_get_distinct_place_names() {
    let n = run(&doc(
        json!({"/a": {"get": get_op("get_a", json!({"$ref": "#/components/schemas/A"}))},
               "/b": {"get": get_op("get_b", json!({"$ref": "#/components/schemas/B"}))}}),
        json!({
            "A": {"type": "object", "properties": {"limits": {"title": "Limits", "type": "object", "properties": {"cpu": {"type": "integer"}}}}},
            "B": {"type": "object", "properties": {"limits": {"title": "Limits", "type": "object", "properties": {"gpu": {"type": "integer"}}}}}
        }),
    ));
    assert_eq!(schema(&n, "A")["properties"]["limits"]["title"], "ALimits");
    assert_eq!(schema(&n, "B")["properties"]["limits"]["title"], "BLimits");
}

#[test]
fn a_hoisted_name_never_reuses_an_existing_component_name() {
    let n = run(&doc(
        json!({"/a": {"get": get_op("get_a", json!({"$ref": "#/components/schemas/A"}))}}),
        json!({
            "A": {"type": "object", "properties": {"kind": {"type": "string", "enum": ["x", "y"]}}},
            "AKind": {"type": "object", "properties": {"legacy": {"type": "boolean"}}}
        }),
    ));
    assert_eq!(
        schema(&n, "A")["properties"]["kind"],
        json!({"$ref": "#/components/schemas/AKind2"})
    );
    assert_eq!(schema(&n, "AKind2")["enum"], json!(["x", "y"]));
    assert_eq!(
        schema(&n, "AKind")["properties"]["legacy"],
        json!({"type": "boolean"})
    );
}

// ---------------------------------------------------------------------------------------------
// Dropped keywords

#[test]
fn constraints_are_dropped_including_numeric_exclusive_minimum() {
    let n = run(&with_thing(
        json!({
            "type": "object",
            // Required, so that `tags` shows only the constraint rewrites.
            "required": ["tags"],
            "properties": {
                "vcpus": {"type": "integer", "exclusiveMinimum": 0, "maximum": 64},
                "name": {"type": "string", "pattern": "^[a-z-]+$", "minLength": 1, "maxLength": 63},
                "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 10, "uniqueItems": true}
            }
        }),
        json!({}),
    ));
    let props = &schema(&n, "Thing")["properties"];
    assert_eq!(props["vcpus"], json!({"type": "integer"}));
    assert_eq!(props["name"], json!({"type": "string"}));
    assert_eq!(
        props["tags"],
        json!({"type": "array", "items": {"type": "string"}})
    );
    for p in [
        "vcpus/exclusiveMinimum",
        "vcpus/maximum",
        "name/pattern",
        "name/minLength",
        "name/maxLength",
        "tags/maxItems",
        "tags/uniqueItems",
    ] {
        assert_rewrite(
            &n,
            &format!("/components/schemas/Thing/properties/{p}"),
            RewriteKind::ConstraintDropped,
        );
    }
}

#[test]
fn unsupported_keywords_are_dropped() {
    let n = run(&with_thing(
        json!({
            "type": "object",
            "properties": {
                "blob": {"type": "string", "contentMediaType": "application/octet-stream", "examples": ["aGk="]},
                "old": {"type": "string", "deprecated": true}
            }
        }),
        json!({}),
    ));
    let props = &schema(&n, "Thing")["properties"];
    assert_eq!(props["blob"], json!({"type": "string"}));
    assert_eq!(props["old"], json!({"type": "string"}));
    assert_rewrite(
        &n,
        "/components/schemas/Thing/properties/blob/contentMediaType",
        RewriteKind::KeywordDropped,
    );
    assert_rewrite(
        &n,
        "/components/schemas/Thing/properties/blob/examples",
        RewriteKind::KeywordDropped,
    );
    assert_rewrite(
        &n,
        "/components/schemas/Thing/properties/old/deprecated",
        RewriteKind::KeywordDropped,
    );
}

#[test]
fn ref_siblings_are_dropped() {
    let n = run(&with_thing(
        json!({
            "type": "object",
            "properties": {"owner": {"$ref": "#/components/schemas/Owner", "description": "Who owns it", "default": {}}}
        }),
        json!({"Owner": {"type": "object"}}),
    ));
    assert_eq!(
        schema(&n, "Thing")["properties"]["owner"],
        json!({"$ref": "#/components/schemas/Owner"})
    );
    assert_rewrite(
        &n,
        "/components/schemas/Thing/properties/owner",
        RewriteKind::RefSiblingsDropped,
    );
}

#[test]
fn additional_properties_false_is_opened() {
    let n = run(&with_thing(
        json!({"type": "object", "additionalProperties": false, "properties": {"id": {"type": "string"}}}),
        json!({}),
    ));
    // `Thing` only a response carries, so it also keeps unknown fields (see
    // `an_object_only_responses_carry_keeps_unknown_fields`).
    assert_eq!(
        schema(&n, "Thing"),
        &json!({"type": "object", "properties": {"id": {"type": "string"}}, "additionalProperties": {}})
    );
    assert_eq!(
        kinds_at(&n, "/components/schemas/Thing"),
        [
            RewriteKind::ClosedObjectOpened,
            RewriteKind::UnknownFieldsKept
        ]
    );
}

#[test]
fn additional_properties_schema_is_kept() {
    let n = run(&with_thing(
        json!({"type": "object", "additionalProperties": {"type": "string"}}),
        json!({}),
    ));
    assert_eq!(
        schema(&n, "Thing"),
        &json!({"type": "object", "additionalProperties": {"type": "string"}})
    );
    assert!(!has(
        &n,
        "/components/schemas/Thing",
        RewriteKind::ClosedObjectOpened
    ));
}

#[test]
fn null_default_is_dropped() {
    let n = run(&with_thing(
        json!({
            "type": "object",
            "properties": {"image": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": null}}
        }),
        json!({}),
    ));
    assert_eq!(
        schema(&n, "Thing")["properties"]["image"],
        json!({"type": "string", "nullable": true})
    );
    assert_rewrite(
        &n,
        "/components/schemas/Thing/properties/image/default",
        RewriteKind::DefaultDropped,
    );
}

// ---------------------------------------------------------------------------------------------
// Responses

#[test]
fn error_responses_move_to_the_operation_table() {
    let source = doc(
        json!({"/things/{id}": {"get": {
            "operationId": "get_thing",
            "tags": ["things"],
            "responses": {
                "200": {"description": "OK", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}},
                "401": {"description": "Unauthorized", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}},
                "422": {"description": "Validation Error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/HTTPValidationError"}}}},
                "default": {"description": "Anything else"}
            }
        }}}),
        json!({
            "Thing": {"type": "object"},
            "ErrorResponse": {"type": "object", "properties": {"message": {"type": "string"}}},
            "HTTPValidationError": {"type": "object", "properties": {"detail": {"type": "array", "items": {}}}}
        }),
    );
    let n = run(&source);
    let get = op(&n, "get_thing");
    assert_eq!(
        get.errors,
        [
            ErrorStatus {
                status: 401,
                schema: Some("ErrorResponse".into())
            },
            ErrorStatus {
                status: 422,
                schema: Some("HTTPValidationError".into())
            },
        ]
    );
    assert_eq!(get.success_status, 200);
    assert_eq!(
        get.response,
        ResponseKind::Json {
            schema: Some("Thing".into())
        }
    );
    let responses = n
        .spec
        .pointer("/paths/~1things~1{id}/get/responses")
        .unwrap();
    assert_eq!(
        responses,
        &json!({"2XX": {"description": "OK", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}}})
    );
    for code in ["401", "422", "default"] {
        assert_rewrite(
            &n,
            &format!("/paths/~1things~1{{id}}/get/responses/{code}"),
            RewriteKind::ErrorResponsesMoved,
        );
    }
    assert_rewrite(
        &n,
        "/paths/~1things~1{id}/get/responses/200",
        RewriteKind::SuccessRange,
    );
}

#[test]
fn success_status_becomes_the_2xx_range() {
    let source = doc(
        json!({"/things": {"post": {
            "operationId": "create_thing",
            "tags": ["things"],
            "responses": {"201": {"description": "Created", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}}}
        }}}),
        json!({"Thing": {"type": "object"}}),
    );
    let n = run(&source);
    let responses = n
        .spec
        .pointer("/paths/~1things/post/responses")
        .unwrap()
        .as_object()
        .unwrap();
    assert_eq!(responses.keys().collect::<Vec<_>>(), ["2XX"]);
    assert_eq!(op(&n, "create_thing").success_status, 201);
    assert_rewrite(
        &n,
        "/paths/~1things/post/responses/201",
        RewriteKind::SuccessRange,
    );
}

#[test]
fn an_empty_success_gets_a_description_and_no_content() {
    let source = doc(
        json!({"/things/{id}": {"delete": {
            "operationId": "delete_thing",
            "tags": ["things"],
            "responses": {"204": {}}
        }}}),
        json!({}),
    );
    let n = run(&source);
    assert_eq!(
        n.spec
            .pointer("/paths/~1things~1{id}/delete/responses")
            .unwrap(),
        &json!({"2XX": {"description": ""}})
    );
    let del = op(&n, "delete_thing");
    assert_eq!(del.response, ResponseKind::Empty);
    assert_eq!(del.success_status, 204);
    assert!(del.idempotent);
}

#[test]
fn extra_success_responses_are_dropped() {
    let source = doc(
        json!({"/things": {"post": {
            "operationId": "create_thing",
            "tags": ["things"],
            "responses": {
                "200": {"description": "Existing", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}},
                "201": {"description": "Created", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}}
            }
        }}}),
        json!({"Thing": {"type": "object"}}),
    );
    let n = run(&source);
    let responses = n.spec.pointer("/paths/~1things/post/responses").unwrap();
    assert_eq!(responses["2XX"]["description"], "Existing");
    assert_eq!(responses.as_object().unwrap().len(), 1);
    assert_eq!(op(&n, "create_thing").success_status, 200);
    assert_rewrite(
        &n,
        "/paths/~1things/post/responses/201",
        RewriteKind::ExtraSuccessDropped,
    );
}

#[test]
fn sse_response_becomes_a_byte_stream() {
    let source = doc(
        json!({"/sandboxes/{name}/events": {"get": {
            "operationId": "sandbox_events",
            "tags": ["sandboxes"],
            "responses": {"200": {"description": "Events", "content": {"text/event-stream": {"schema": {"type": "string"}}}}}
        }}}),
        json!({}),
    );
    let n = run(&source);
    assert_eq!(
        n.spec
            .pointer("/paths/~1sandboxes~1{name}~1events/get/responses/2XX/content")
            .unwrap(),
        &json!({"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}})
    );
    assert_eq!(op(&n, "sandbox_events").response, ResponseKind::Sse);
    assert_rewrite(
        &n,
        "/paths/~1sandboxes~1{name}~1events/get/responses/200/content",
        RewriteKind::StreamResponse,
    );
}

#[test]
fn file_response_becomes_a_byte_stream_with_its_media_type() {
    let source = doc(
        json!({"/sandboxes/{name}/files-archive": {"get": {
            "operationId": "download_archive",
            "tags": ["sandboxes"],
            "responses": {"200": {"description": "Archive", "content": {"application/gzip": {"schema": {"type": "string", "format": "binary"}}}}}
        }}}),
        json!({}),
    );
    let n = run(&source);
    assert_eq!(
        n.spec
            .pointer("/paths/~1sandboxes~1{name}~1files-archive/get/responses/2XX/content")
            .unwrap(),
        &json!({"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}})
    );
    assert_eq!(
        op(&n, "download_archive").response,
        ResponseKind::Bytes {
            media_type: "application/gzip".into()
        }
    );
    assert_rewrite(
        &n,
        "/paths/~1sandboxes~1{name}~1files-archive/get/responses/200/content",
        RewriteKind::StreamResponse,
    );
}

// ---------------------------------------------------------------------------------------------
// Request bodies

#[test]
fn multipart_body_becomes_raw_with_its_part_name() {
    let source = doc(
        json!({"/sandboxes/{name}/files": {"post": {
            "operationId": "upload_file",
            "tags": ["sandboxes"],
            "requestBody": {"required": true, "content": {"multipart/form-data": {"schema": {"$ref": "#/components/schemas/UploadForm"}}}},
            "responses": {"200": {"description": "OK"}}
        }}}),
        json!({"UploadForm": {
            "type": "object",
            "required": ["upload"],
            "properties": {"note": {"type": "string"}, "upload": {"type": "string", "format": "binary"}}
        }}),
    );
    let n = run(&source);
    assert_eq!(
        n.spec
            .pointer("/paths/~1sandboxes~1{name}~1files/post/requestBody")
            .unwrap(),
        &json!({"required": true, "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}})
    );
    let upload = op(&n, "upload_file");
    assert_eq!(
        upload.body,
        BodyKind::Multipart {
            field: "upload".into()
        }
    );
    assert!(!upload.idempotent);
    assert_rewrite(
        &n,
        "/paths/~1sandboxes~1{name}~1files/post/requestBody/content/multipart~1form-data",
        RewriteKind::MultipartBody,
    );
}

#[test]
fn json_body_is_recorded_with_its_schema() {
    let source = doc(
        json!({"/things": {"post": {
            "operationId": "create_thing",
            "tags": ["things"],
            "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ThingCreate"}}}},
            "responses": {"200": {"description": "OK"}}
        }}}),
        json!({"ThingCreate": {"type": "object"}}),
    );
    let n = run(&source);
    assert_eq!(
        op(&n, "create_thing").body,
        BodyKind::Json {
            schema: Some("ThingCreate".into())
        }
    );
}

// ---------------------------------------------------------------------------------------------
// Update bodies: three-state optional fields

/// `update_thing` (PATCH) takes `ThingUpdate`, `replace_thing` (PUT) takes `Thing`, which
/// `get_thing` also returns, `create_thing` (POST) takes `ThingCreate`, and `touch_thing`
/// (PATCH) takes `ThingTouch`, whose only field is required.
fn updates() -> Value {
    let body = |id: &str, method_schema: &str| {
        json!({
            "operationId": id,
            "tags": ["things"],
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{method_schema}")}}}},
            "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}}}
        })
    };
    let nullable_name =
        json!({"anyOf": [{"type": "string"}, {"type": "null"}], "default": null, "title": "Name"});
    doc(
        json!({
            "/things": {"post": body("create_thing", "ThingCreate")},
            "/things/{id}": {
                "get": get_op("get_thing", json!({"$ref": "#/components/schemas/Thing"})),
                "patch": body("update_thing", "ThingUpdate"),
                "put": body("replace_thing", "Thing")
            },
            "/things/{id}/touch": {"patch": body("touch_thing", "ThingTouch")}
        }),
        json!({
            "Thing": {"type": "object", "properties": {"name": nullable_name.clone()}},
            "ThingCreate": {"type": "object", "properties": {"name": nullable_name.clone()}},
            "ThingUpdate": {"type": "object", "properties": {"name": nullable_name}},
            "ThingTouch": {"type": "object", "required": ["at"], "properties": {"at": {"type": "string"}}}
        }),
    )
}

#[test]
fn a_request_only_patch_body_with_optional_nullable_fields_is_an_update_body() {
    let n = run(&updates());
    assert_eq!(
        n.update_bodies,
        [UpdateBody {
            name: "ThingUpdate".into(),
            operations: vec!["update_thing".into()],
        }]
    );
    assert_rewrite(
        &n,
        "/components/schemas/ThingUpdate",
        RewriteKind::UpdateBody,
    );
    // The schema itself is left as it is (the SDK generates the type from it).
    assert_eq!(
        schema(&n, "ThingUpdate"),
        &json!({"type": "object", "properties": {"name": {"type": "string", "nullable": true}}})
    );
}

#[test]
fn a_body_a_response_returns_a_post_body_and_one_without_optional_fields_are_not() {
    let n = run(&updates());
    let names: Vec<&str> = n.update_bodies.iter().map(|b| b.name.as_str()).collect();
    for not in ["Thing", "ThingCreate", "ThingTouch"] {
        assert!(!names.contains(&not), "{not} is no update body");
        // (`Thing`, which a response returns, keeps unknown fields; none is an update body.)
        assert!(
            !kinds_at(&n, &format!("/components/schemas/{not}")).contains(&RewriteKind::UpdateBody)
        );
    }
}

#[test]
fn the_vendored_spec_has_nine_update_bodies() {
    let n = run(&vendored());
    let bodies: Vec<(&str, &str)> = n
        .update_bodies
        .iter()
        .map(|b| (b.name.as_str(), b.operations[0].as_str()))
        .collect();
    assert_eq!(
        bodies,
        [
            ("CloudRoleUpdate", "update_cloud_role"),
            ("ContainerRegistryUpdate", "update_container_registry"),
            ("EnvironmentUpdate", "update_environment"),
            ("GatewayProfileUpdate", "update_gateway_profile"),
            ("GatewayRuleUpdate", "update_gateway_rule"),
            ("IncomingWebhookUpdate", "update_incoming_webhook"),
            ("KnowledgeItemUpdate", "update_knowledge"),
            ("LineScheduleUpsert", "upsert_factory_line_schedule"),
            ("LineUpdate", "update_factory_line"),
        ]
    );
    assert!(n.update_bodies.iter().all(|b| b.operations.len() == 1));
}

// ---------------------------------------------------------------------------------------------
// Planes and internal operations

#[test]
fn path_level_servers_move_to_the_table_as_the_compute_plane() {
    let source = doc(
        json!({"/sandboxes": {
            "servers": [{"url": COMPUTE}],
            "get": get_op("list_sandboxes", json!({"type": "array", "items": {}})),
        }}),
        json!({}),
    );
    let n = run(&source);
    assert_eq!(op(&n, "list_sandboxes").plane, Plane::Compute);
    let item = n
        .spec
        .pointer("/paths/~1sandboxes")
        .unwrap()
        .as_object()
        .unwrap();
    assert!(!item.contains_key("servers"));
    assert!(item.contains_key("get"));
    assert_rewrite(&n, "/paths/~1sandboxes/servers", RewriteKind::ServersMoved);
}

#[test]
fn operation_level_servers_move_to_the_table() {
    let mut create = get_op("create_snapshot", json!({"type": "object"}));
    create["servers"] = json!([{"url": format!("{COMPUTE}/")}]);
    let mut get = get_op("get_status", json!({"type": "object"}));
    get["servers"] = json!([{"url": CONTROL}]);
    let source = doc(
        json!({"/snapshots": {"post": create}, "/status": {"get": get}, "/plain": {"get": get_op("plain", json!({"type": "object"}))}}),
        json!({}),
    );
    let n = run(&source);
    assert_eq!(op(&n, "create_snapshot").plane, Plane::Compute);
    assert_eq!(
        op(&n, "get_status").plane,
        Plane::Control,
        "the top-level server is the control plane"
    );
    assert_eq!(op(&n, "plain").plane, Plane::Control);
    assert!(n.spec.pointer("/paths/~1snapshots/post/servers").is_none());
    assert_rewrite(
        &n,
        "/paths/~1snapshots/post/servers",
        RewriteKind::ServersMoved,
    );
    assert_rewrite(&n, "/paths/~1status/get/servers", RewriteKind::ServersMoved);
}

#[test]
fn internal_operation_is_removed_but_kept_in_the_table() {
    let mut exchange = get_op("exchange_token", json!({"type": "object"}));
    exchange["x-islo-internal"] = json!(true);
    let source = doc(
        json!({"/auth/token": {"post": exchange}, "/things": {"get": get_op("list_things", json!({"type": "array", "items": {}}))}}),
        json!({}),
    );
    let n = run(&source);
    assert!(
        n.spec.pointer("/paths/~1auth~1token").is_none(),
        "a path left without operations is removed"
    );
    assert!(n.spec.pointer("/paths/~1things/get").is_some());
    let token = op(&n, "exchange_token");
    assert!(token.internal);
    assert_eq!(token.method, "POST");
    assert!(!op(&n, "list_things").internal);
    assert_rewrite(
        &n,
        "/paths/~1auth~1token/post",
        RewriteKind::InternalOperationRemoved,
    );
}

#[test]
fn the_operation_table_is_sorted_and_complete() {
    let source = doc(
        json!({
            "/b": {"get": get_op("zeta", json!({"type": "object"})), "put": {
                "operationId": "alpha", "tags": ["letters"], "summary": "Replace b",
                "responses": {"200": {"description": "OK"}}
            }}
        }),
        json!({}),
    );
    let n = run(&source);
    let ids: Vec<&str> = n.operations.iter().map(|o| o.id.as_str()).collect();
    assert_eq!(ids, ["alpha", "zeta"]);
    assert_eq!(
        op(&n, "alpha"),
        &Operation {
            id: "alpha".into(),
            method: "PUT".into(),
            path: "/b".into(),
            tag: "letters".into(),
            plane: Plane::Control,
            idempotent: true,
            internal: false,
            body: BodyKind::None,
            success_status: 200,
            response: ResponseKind::Empty,
            errors: vec![],
            summary: "Replace b".into(),
            description: String::new(),
            params: vec![],
            body_required: false,
            body_schema: None,
            response_schema: None,
        }
    );
}

#[test]
fn parameters_are_listed_with_their_place_requiredness_and_schema() {
    let source = doc(
        json!({"/things/{thing_id}": {"get": {
            "operationId": "get_thing", "tags": ["things"], "summary": "Get a thing",
            "parameters": [
                {"name": "thing_id", "in": "path", "required": true, "schema": {"type": "string", "title": "Thing Id"}},
                {"name": "limit", "in": "query", "schema": {"anyOf": [{"type": "integer"}, {"type": "null"}]}},
                {"name": "x-trace", "in": "header", "required": true, "schema": {"type": "string"}}
            ],
            "responses": {"200": {"description": "OK"}}
        }}}),
        json!({}),
    );
    let n = run(&source);
    let params = &op(&n, "get_thing").params;
    let summary: Vec<(&str, ParamLocation, bool)> = params
        .iter()
        .map(|p| (p.name.as_str(), p.location, p.required))
        .collect();
    assert_eq!(
        summary,
        [
            ("thing_id", ParamLocation::Path, true),
            ("limit", ParamLocation::Query, false),
            ("x-trace", ParamLocation::Header, true),
        ]
    );
    // The schema is the normalized one (what progenitor types the parameter from).
    assert_eq!(
        params[1].schema,
        json!({"type": "integer", "nullable": true})
    );
}

#[test]
fn cookie_parameters_are_dropped_and_recorded_at_their_source_place() {
    let source = doc(
        json!({"/c": {"get": {
            "operationId": "get_c", "tags": ["c"], "summary": "C",
            "parameters": [
                {"name": "session", "in": "cookie", "schema": {"type": "string"}},
                {"name": "q", "in": "query", "schema": {"type": "string"}}
            ],
            "responses": {"200": {"description": "OK"}}
        }}}),
        json!({}),
    );
    let n = run(&source);
    assert_rewrite(
        &n,
        "/paths/~1c/get/parameters/0",
        RewriteKind::CookieParamDropped,
    );
    let names: Vec<&str> = op(&n, "get_c")
        .params
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    assert_eq!(names, ["q"]);
    let kept = n.spec.pointer("/paths/~1c/get/parameters").unwrap();
    assert_eq!(kept.as_array().unwrap().len(), 1);
}

#[test]
fn octet_stream_body_is_raw_bytes_not_json() {
    let source = doc(
        json!({"/blob": {"put": {
            "operationId": "put_blob", "tags": ["blobs"], "summary": "Put",
            "requestBody": {"required": true, "content": {"application/octet-stream": {"schema": {"type": "string", "contentMediaType": "application/octet-stream"}}}},
            "responses": {"204": {"description": "Done"}}
        }}}),
        json!({}),
    );
    let n = run(&source);
    let o = op(&n, "put_blob");
    assert_eq!(
        o.body,
        BodyKind::Bytes {
            media_type: "application/octet-stream".into()
        }
    );
    assert!(o.body_required);
    assert_rewrite(
        &n,
        "/paths/~1blob/put/requestBody/content/application~1octet-stream",
        RewriteKind::BytesBody,
    );
    assert_eq!(
        n.spec
            .pointer("/paths/~1blob/put/requestBody/content/application~1octet-stream/schema")
            .unwrap(),
        &json!({"type": "string", "format": "binary"})
    );
}

#[test]
fn descriptions_are_kept_for_the_docs() {
    let source = doc(
        json!({"/d": {"get": {
            "operationId": "get_d", "tags": ["d"], "summary": "D", "description": "Longer words.",
            "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}}}
        }}}),
        json!({"Thing": {"type": "object", "description": "A thing.", "properties": {
            "name": {"type": "string", "description": "Its name."}
        }}}),
    );
    let n = run(&source);
    assert_eq!(op(&n, "get_d").description, "Longer words.");
    assert_eq!(schema(&n, "Thing")["description"], json!("A thing."));
    assert_eq!(
        schema(&n, "Thing")["properties"]["name"]["description"],
        json!("Its name.")
    );
}

// ---------------------------------------------------------------------------------------------
// Errors: each names its place

#[track_caller]
fn assert_error_names(err: &NormalizeError, pointer: &str) {
    let text = err.to_string();
    assert!(
        text.contains(pointer),
        "error `{text}` does not name {pointer}"
    );
}

#[test]
fn duplicate_operation_id_is_an_error() {
    let source = doc(
        json!({"/a": {"get": get_op("get_thing", json!({"type": "object"}))},
               "/b": {"get": get_op("get_thing", json!({"type": "object"}))}}),
        json!({}),
    );
    let err = normalize(&source).unwrap_err();
    assert_eq!(
        err,
        NormalizeError::DuplicateOperationId {
            id: "get_thing".into(),
            pointer: "/paths/~1b/get".into()
        }
    );
    assert_error_names(&err, "/paths/~1b/get/operationId");
}

#[test]
fn missing_operation_id_is_an_error() {
    let source = doc(
        json!({"/a": {"get": {"tags": ["t"], "responses": {"200": {"description": "OK"}}}}}),
        json!({}),
    );
    let err = normalize(&source).unwrap_err();
    assert_eq!(
        err,
        NormalizeError::MissingOperationId {
            pointer: "/paths/~1a/get".into()
        }
    );
    assert_error_names(&err, "/paths/~1a/get");
}

#[test]
fn an_operation_without_a_tag_is_an_error() {
    let mut untagged = get_op("get_a", json!({"type": "object"}));
    untagged.as_object_mut().unwrap().remove("tags");
    let err = normalize(&doc(json!({"/a": {"get": untagged}}), json!({}))).unwrap_err();
    assert_eq!(
        err,
        NormalizeError::Tags {
            pointer: "/paths/~1a/get".into(),
            count: 0
        }
    );
    assert_error_names(&err, "/paths/~1a/get/tags");
}

#[test]
fn an_operation_with_two_tags_is_an_error() {
    let mut tagged = get_op("get_a", json!({"type": "object"}));
    tagged["tags"] = json!(["things", "more"]);
    let err = normalize(&doc(json!({"/a": {"get": tagged}}), json!({}))).unwrap_err();
    assert_eq!(
        err,
        NormalizeError::Tags {
            pointer: "/paths/~1a/get".into(),
            count: 2
        }
    );
    assert_error_names(&err, "/paths/~1a/get/tags");
}

#[test]
fn an_unresolvable_ref_is_an_error() {
    let source = with_thing(
        json!({"type": "object", "properties": {"owner": {"$ref": "#/components/schemas/Missing"}}}),
        json!({}),
    );
    let err = normalize(&source).unwrap_err();
    assert_eq!(
        err,
        NormalizeError::UnresolvedRef {
            pointer: "/components/schemas/Thing/properties/owner".into(),
            reference: "#/components/schemas/Missing".into(),
        }
    );
    assert_error_names(&err, "/components/schemas/Thing/properties/owner");
}

#[test]
fn an_unsupported_request_media_type_is_an_error() {
    let source = doc(
        json!({"/a": {"post": {
            "operationId": "post_a",
            "tags": ["t"],
            "requestBody": {"content": {"application/xml": {"schema": {"type": "string"}}}},
            "responses": {"200": {"description": "OK"}}
        }}}),
        json!({}),
    );
    let err = normalize(&source).unwrap_err();
    assert_eq!(
        err,
        NormalizeError::MediaType {
            pointer: "/paths/~1a/post/requestBody/content/application~1xml".into(),
            media_type: "application/xml".into(),
        }
    );
    assert_error_names(&err, "/paths/~1a/post/requestBody/content/application~1xml");
}

#[test]
fn two_request_media_types_are_an_error() {
    let source = doc(
        json!({"/a": {"post": {
            "operationId": "post_a",
            "tags": ["t"],
            "requestBody": {"content": {"application/json": {"schema": {}}, "application/x-www-form-urlencoded": {"schema": {}}}},
            "responses": {"200": {"description": "OK"}}
        }}}),
        json!({}),
    );
    let err = normalize(&source).unwrap_err();
    assert!(
        matches!(&err, NormalizeError::MediaType { pointer, .. } if pointer == "/paths/~1a/post/requestBody/content")
    );
}

#[test]
fn two_servers_on_an_operation_is_an_error() {
    let mut op_ = get_op("get_a", json!({"type": "object"}));
    op_["servers"] = json!([{"url": COMPUTE}, {"url": "https://eu.compute.islo.dev"}]);
    let err = normalize(&doc(json!({"/a": {"get": op_}}), json!({}))).unwrap_err();
    assert!(
        matches!(&err, NormalizeError::Plane { pointer, .. } if pointer == "/paths/~1a/get"),
        "{err:?}"
    );
    assert_error_names(&err, "/paths/~1a/get");
}

#[test]
fn a_bad_status_code_is_an_error() {
    let mut op_ = get_op("get_a", json!({"type": "object"}));
    op_["responses"]["2OO"] = json!({"description": "typo"});
    let err = normalize(&doc(json!({"/a": {"get": op_}}), json!({}))).unwrap_err();
    assert_eq!(
        err,
        NormalizeError::Status {
            pointer: "/paths/~1a/get/responses/2OO".into()
        }
    );
}

#[test]
fn no_top_level_server_is_an_error() {
    let mut source = with_thing(json!({"type": "object"}), json!({}));
    source.as_object_mut().unwrap().remove("servers");
    let err = normalize(&source).unwrap_err();
    assert!(
        matches!(&err, NormalizeError::Shape { pointer, .. } if pointer == "/servers"),
        "{err:?}"
    );
    assert_error_names(&err, "/servers");
}

#[test]
fn swagger_2_is_an_error() {
    let err = normalize(&json!({"swagger": "2.0", "paths": {}})).unwrap_err();
    assert_eq!(
        err,
        NormalizeError::Version {
            found: "nothing".into()
        }
    );
    assert_error_names(&err, "/openapi");
    let err = normalize(&json!({"openapi": "2.0", "paths": {}})).unwrap_err();
    assert_eq!(
        err,
        NormalizeError::Version {
            found: "2.0".into()
        }
    );
    assert_error_names(&err, "/openapi");
}

#[test]
fn garbage_is_an_error() {
    for garbage in [
        json!("not a spec"),
        json!(null),
        json!([1, 2, 3]),
        json!({"openapi": 3.1}),
    ] {
        let err = normalize(&garbage).unwrap_err();
        assert!(
            matches!(err, NormalizeError::Version { .. }),
            "{garbage}: {err:?}"
        );
        assert_error_names(&err, "/openapi");
    }
}

// ---------------------------------------------------------------------------------------------
// The vendored spec

fn vendored() -> Value {
    serde_json::from_str(include_str!("../../../openapi/islo.json"))
        .expect("openapi/islo.json is JSON")
}

#[test]
fn the_vendored_spec_normalizes() {
    let n = run(&vendored());
    assert_eq!(n.operations.len(), 110);
    assert_eq!(
        n.operations
            .iter()
            .filter(|o| o.plane == Plane::Compute)
            .count(),
        33
    );
    let internal: Vec<&str> = n
        .operations
        .iter()
        .filter(|o| o.internal)
        .map(|o| o.id.as_str())
        .collect();
    assert_eq!(internal, ["exchange_token"]);
    assert_eq!(n.spec["openapi"], "3.0.3");
    let upload = op(&n, "upload_file");
    assert_eq!(
        upload.body,
        BodyKind::Multipart {
            field: "file".into()
        }
    );
    assert_eq!(upload.plane, Plane::Compute);
    assert_eq!(op(&n, "exec_in_sandbox_stream").response, ResponseKind::Sse);
    assert_eq!(
        op(&n, "download_archive").response,
        ResponseKind::Bytes {
            media_type: "application/gzip".into()
        }
    );
    assert_eq!(op(&n, "list_sandboxes").plane, Plane::Compute);
    assert_eq!(op(&n, "list_environments").plane, Plane::Control);
    let mut ids: Vec<&str> = n.operations.iter().map(|o| o.id.as_str()).collect();
    let sorted = {
        let mut s = ids.clone();
        s.sort();
        s
    };
    assert_eq!(ids, sorted, "the operation table is sorted by id");
    ids.dedup();
    assert_eq!(ids.len(), 110);
}

#[test]
fn the_vendored_spec_normalizes_to_a_valid_openapi_3_0_document() {
    let n = run(&vendored());
    let parsed: openapiv3::OpenAPI = serde_json::from_value(n.spec.clone())
        .unwrap_or_else(|e| panic!("normalized spec does not parse: {e}"));
    assert_eq!(parsed.openapi, "3.0.3");
    let operations = parsed.operations().count();
    assert_eq!(
        operations, 109,
        "every public operation is in the output, the internal one is not"
    );
    assert!(parsed.paths.paths.keys().all(|p| p != "/auth/token"));
}

#[test]
fn the_vendored_spec_leaves_no_3_1_keywords_behind() {
    let n = run(&vendored());
    fn walk(v: &Value, ptr: &str, bad: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                for (k, c) in m {
                    let here = format!("{ptr}/{k}");
                    let is_31 = k == "const"
                        || k == "examples"
                        || (k == "type" && c.is_array())
                        || (k == "exclusiveMinimum" && c.is_number())
                        || (k == "exclusiveMaximum" && c.is_number())
                        || k == "contentMediaType"
                        || k == "discriminator";
                    if is_31 {
                        bad.push(here.clone());
                    }
                    if k == "anyOf" || k == "oneOf" {
                        if let Some(a) = c.as_array() {
                            if a.iter().any(|x| x["type"] == "null") {
                                bad.push(here.clone());
                            }
                        }
                    }
                    walk(c, &here, bad);
                }
            }
            Value::Array(a) => a
                .iter()
                .enumerate()
                .for_each(|(i, c)| walk(c, &format!("{ptr}/{i}"), bad)),
            _ => {}
        }
    }
    let mut bad = Vec::new();
    walk(
        n.spec.pointer("/components").unwrap(),
        "/components",
        &mut bad,
    );
    walk(n.spec.pointer("/paths").unwrap(), "/paths", &mut bad);
    assert!(bad.is_empty(), "3.1-only constructs left: {bad:?}");
}

#[test]
fn the_vendored_spec_keeps_closed_only_the_union_discriminators() {
    let n = run(&vendored());
    let open = open_names(&n);
    // The named one-value enums: none is a tag of its union, so all are open.
    for name in [
        "EnvironmentVariableInputPlacement",
        "GitHubRepositorySelectorKind",
        "HmacAlgorithm",
        "IsloKnowledgeItemExternalRefKind",
        "KnowledgeBindingType",
        "LinearIssueSelectorKind",
        "PayloadMappingType",
        "RegistryProvider",
        "SignatureEncoding",
        "SlackChannelSelectorKind",
        "SlackMessageExternalRefKind",
        "TriggerPathBindingType",
        "UrlExternalRefKind",
    ] {
        assert!(open.contains(&name), "{name} is closed");
    }
    // Every string enum left closed is a union member's tag: an inline enum at the
    // property its union is discriminated by.
    let source = vendored();
    let mut tags = std::collections::BTreeSet::new();
    for s in source["components"]["schemas"]
        .as_object()
        .unwrap()
        .values()
    {
        if let (Some(members), Some(p)) = (
            s["oneOf"].as_array(),
            s.pointer("/discriminator/propertyName")
                .and_then(Value::as_str),
        ) {
            for m in members {
                let name = m["$ref"]
                    .as_str()
                    .unwrap()
                    .trim_start_matches("#/components/schemas/");
                tags.insert(format!("/components/schemas/{name}/properties/{p}"));
            }
        }
    }
    fn walk(v: &Value, ptr: &str, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                if m.get("enum").is_some() && m.get("type") == Some(&json!("string")) {
                    out.push(ptr.to_string());
                }
                for (k, c) in m {
                    walk(c, &format!("{ptr}/{k}"), out);
                }
            }
            Value::Array(a) => a
                .iter()
                .enumerate()
                .for_each(|(i, c)| walk(c, &format!("{ptr}/{i}"), out)),
            _ => {}
        }
    }
    let mut enums = Vec::new();
    walk(
        &n.spec["components"]["schemas"],
        "/components/schemas",
        &mut enums,
    );
    let closed: Vec<&String> = enums
        .iter()
        .filter(|p| {
            let name = p.trim_start_matches("/components/schemas/");
            !open.contains(&name) && !tags.contains(p.as_str())
        })
        .collect();
    assert!(
        closed.is_empty(),
        "closed enums that are no union's tag: {closed:?}"
    );
}

#[test]
fn every_rewrite_of_the_vendored_spec_points_into_the_source() {
    let source = vendored();
    let n = run(&source);
    let dangling: Vec<&Rewrite> = n
        .rewrites
        .iter()
        .filter(|r| source.pointer(&r.pointer).is_none())
        .collect();
    assert!(
        dangling.is_empty(),
        "{} rewrites point nowhere, e.g. {:?}",
        dangling.len(),
        &dangling[..dangling.len().min(5)]
    );
}

#[test]
fn a_rewrite_inside_a_nullable_any_of_member_points_at_the_member() {
    let n = run(&with_thing(
        json!({
            "type": "object",
            "properties": {"env": {"anyOf": [
                {"type": "object", "additionalProperties": {"anyOf": [{"type": "string"}, {"type": "null"}]}},
                {"type": "null"}
            ]}}
        }),
        json!({}),
    ));
    assert_eq!(
        schema(&n, "Thing")["properties"]["env"],
        json!({"type": "object", "additionalProperties": {"type": "string", "nullable": true}, "nullable": true})
    );
    assert_rewrite(
        &n,
        "/components/schemas/Thing/properties/env/anyOf/0/additionalProperties/anyOf",
        RewriteKind::NullableAnyOf,
    );
}

#[test]
fn every_rewrite_kind_fires_on_the_vendored_spec_or_a_test_above() {
    // The kinds the vendored spec exercises today; the rest are covered by the inline tests.
    let n = run(&vendored());
    for kind in [
        RewriteKind::Version,
        RewriteKind::NullableAnyOf,
        RewriteKind::ConstToEnum,
        RewriteKind::TitleDropped,
        RewriteKind::ErrorResponsesMoved,
        RewriteKind::MultipartBody,
        RewriteKind::StreamResponse,
        RewriteKind::ServersMoved,
        RewriteKind::InternalOperationRemoved,
        RewriteKind::DiscriminatorDropped,
        RewriteKind::DefaultDropped,
        RewriteKind::SuccessRange,
        RewriteKind::AnyOfToOneOf,
        RewriteKind::OptionalCollectionNullable,
        RewriteKind::UpdateBody,
    ] {
        assert!(
            n.rewrites.iter().any(|r| r.kind == kind),
            "{kind:?} never fires on the vendored spec"
        );
    }
    // Every other kind names the test above that makes it fire (a kind added to the
    // normalizer does not compile here until it is given one).
    let source = include_str!("rewrites.rs");
    for kind in [
        RewriteKind::NullableTypeArray,
        RewriteKind::EnumHoisted,
        RewriteKind::ConstraintDropped,
        RewriteKind::KeywordDropped,
        RewriteKind::RefSiblingsDropped,
        RewriteKind::ExtraSuccessDropped,
        RewriteKind::ClosedObjectOpened,
        RewriteKind::UnknownFieldsKept,
        RewriteKind::CookieParamDropped,
        RewriteKind::BytesBody,
        RewriteKind::MockQueryArrayAsValue,
    ] {
        let test = covered_by(kind).unwrap_or_else(|| panic!("{kind:?} fires on the spec"));
        assert!(
            source.contains(&format!("fn {test}() {{")),
            "{kind:?}: no test {test}"
        );
    }
}

/// The test that makes `kind` fire, for the kinds the vendored spec does not exercise.
fn covered_by(kind: RewriteKind) -> Option<&'static str> {
    use RewriteKind::*;
    match kind {
        Version
        | NullableAnyOf
        | ConstToEnum
        | TitleDropped
        | ErrorResponsesMoved
        | MultipartBody
        | StreamResponse
        | ServersMoved
        | InternalOperationRemoved
        | DiscriminatorDropped
        | DefaultDropped
        | SuccessRange
        | AnyOfToOneOf
        | OptionalCollectionNullable
        | UpdateBody => None,
        NullableTypeArray => Some("type_array_with_null_becomes_nullable"),
        EnumHoisted => Some("union_members_keep_their_inline_enums_closed"),
        ConstraintDropped => Some("constraints_are_dropped_including_numeric_exclusive_minimum"),
        KeywordDropped => Some("unsupported_keywords_are_dropped"),
        RefSiblingsDropped => Some("ref_siblings_are_dropped"),
        ExtraSuccessDropped => Some("extra_success_responses_are_dropped"),
        ClosedObjectOpened => Some("additional_properties_false_is_opened"),
        UnknownFieldsKept => Some("an_object_a_response_can_carry_keeps_unknown_fields"),
        CookieParamDropped => {
            Some("cookie_parameters_are_dropped_and_recorded_at_their_source_place")
        }
        BytesBody => Some("octet_stream_body_is_raw_bytes_not_json"),
        MockQueryArrayAsValue => Some("mock_spec_turns_array_query_parameters_into_single_values"),
    }
}

#[test]
fn mock_spec_turns_array_query_parameters_into_single_values() {
    let source = doc(
        json!({"/s": {"get": {
            "operationId": "list_s", "tags": ["s"], "summary": "S",
            "parameters": [
                {"name": "status", "in": "query", "schema": {"anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "null"}]}},
                {"name": "limit", "in": "query", "schema": {"type": "integer"}}
            ],
            "responses": {"200": {"description": "OK"}}
        }}}),
        json!({}),
    );
    let n = run(&source);
    let (mocks, rewrites) = islo_normalize::mock_spec(&n);
    assert_eq!(
        mocks.pointer("/paths/~1s/get/parameters/0/schema").unwrap(),
        &json!({"type": "string", "nullable": true})
    );
    assert_eq!(
        mocks.pointer("/paths/~1s/get/parameters/1/schema").unwrap(),
        &json!({"type": "integer"})
    );
    assert_eq!(
        rewrites,
        [Rewrite {
            pointer: "/paths/~1s/get/parameters/0/schema".into(),
            kind: RewriteKind::MockQueryArrayAsValue,
        }]
    );
    // The client's spec keeps the array.
    assert_eq!(
        n.spec
            .pointer("/paths/~1s/get/parameters/0/schema/type")
            .unwrap(),
        &json!("array")
    );
}
