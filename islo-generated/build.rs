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
    let mut file: syn::File =
        syn::parse2(tokens).unwrap_or_else(|e| panic!("generated code does not parse: {e}"));
    lean::apply(&mut file, n);
    prettyplease::unparse(&file)
}

/// Rewrites of progenitor's per-call code that keep what a call does and drop allocations it
/// does not need (measured with `cargo bench -p islo --bench client`). Each rewrite checks
/// the shape it expects and the build fails if progenitor's output stops matching, so a
/// progenitor upgrade cannot silently undo them.
///
/// 1. `api-version` header: progenitor sends the spec's version for Dropshot servers; the
///    Islo server does not read it. Dropped, with the header map sized for what is left, and
///    the map itself dropped when no header parameter is left.
/// 2. Required builder fields start as `Err(String::new())` (no allocation) instead of
///    `Err("x was not initialized".to_string())`; `send` reports the same message.
/// 3. `String` path parameters are percent-encoded from the field, not from a copy of it.
/// 4. JSON answers: the tail of `send` becomes `client.exec_json(..)` (see `json_tail`):
///    the transport reads the body of a success inside its retry loop and hands back the
///    status, headers and bytes, so no response is rebuilt and the headers are moved into the
///    `ResponseValue` rather than cloned.
/// 5. Path parameters are percent-encoded straight into the URL (`crate::lean::PathSegment`,
///    the same character set as progenitor's `encode_path`).
/// 6. `client.exec(request, &info)` becomes `client.exec_operation(request, &info, op)` with
///    the operation's `meta::OPERATIONS` entry, so sending needs no lookup by name.
/// 7. The URL is built on the base of the operation's plane (`client.url_for(op, path)`)
///    instead of on the control plane's and moved afterwards. The base was parsed once; a
///    call parses only its path onto it (`lean::Base::join`), not scheme, host and port
///    again.
mod lean {
    use std::collections::{HashMap, HashSet};
    use syn::visit_mut::VisitMut;
    use syn::{parse_quote, Expr, Stmt};

    pub fn apply(file: &mut syn::File, n: &islo_normalize::Normalized) {
        let operations = n.operations.iter().filter(|op| !op.internal).count();
        let mut strings = HashMap::<String, HashSet<String>>::new();
        collect_string_fields(&file.items, &mut strings);
        // `meta::OPERATIONS` lists every operation in this order (see `operation_table`).
        let index = n
            .operations
            .iter()
            .enumerate()
            .map(|(i, op)| (op.id.clone(), i))
            .collect();
        let mut pass = Pass {
            strings,
            index,
            ..Pass::default()
        };
        pass.visit_file_mut(file);
        assert_eq!(
            pass.routed + pass.json,
            operations,
            "lean: `exec` calls given their operation"
        );
        // Every operation has one `send` (builder style), one `api-version` header and one
        // `new`; each of those must have been rewritten.
        assert_eq!(pass.sends, operations, "lean: `send` functions found");
        assert_eq!(
            pass.api_version, operations,
            "lean: `api-version` headers dropped"
        );
        assert_eq!(
            pass.required_new, pass.required_send,
            "lean: required-field messages moved into `send`"
        );
        assert!(
            pass.json > 0 && pass.paths > 0,
            "lean: no JSON decoding or path rewritten ({} {})",
            pass.json,
            pass.paths
        );
    }

    /// Builder structs and their fields of type `Result<::std::string::String, String>`.
    fn collect_string_fields(items: &[syn::Item], out: &mut HashMap<String, HashSet<String>>) {
        for item in items {
            match item {
                syn::Item::Mod(m) => {
                    if let Some((_, items)) = &m.content {
                        collect_string_fields(items, out);
                    }
                }
                syn::Item::Struct(st) => {
                    for f in &st.fields {
                        let ty = &f.ty;
                        let text = quote::quote!(#ty).to_string().replace(' ', "");
                        if text == "Result<::std::string::String,String>" {
                            if let Some(id) = &f.ident {
                                out.entry(st.ident.to_string())
                                    .or_default()
                                    .insert(id.to_string());
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }

    #[derive(Default)]
    struct Pass {
        strings: HashMap<String, HashSet<String>>,
        /// operationId -> its index in `meta::OPERATIONS`.
        index: HashMap<String, usize>,
        routed: usize,
        current: Option<String>,
        /// (builder, field) -> the "was not initialized" message.
        messages: HashMap<(String, String), String>,
        sends: usize,
        api_version: usize,
        required_new: usize,
        required_send: usize,
        json: usize,
        paths: usize,
    }

    fn last_ident(path: &syn::Path) -> String {
        path.segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default()
    }

    impl Pass {
        fn rewrite_new(&mut self, block: &mut syn::Block) {
            let Some(builder) = self.current.clone() else {
                return;
            };
            for stmt in &mut block.stmts {
                let Stmt::Expr(Expr::Struct(init), _) = stmt else {
                    continue;
                };
                for field in &mut init.fields {
                    let syn::Member::Named(name) = &field.member else {
                        continue;
                    };
                    // `Err("x was not initialized".to_string())`
                    let Expr::Call(call) = &field.expr else {
                        continue;
                    };
                    let Expr::Path(f) = &*call.func else { continue };
                    if last_ident(&f.path) != "Err" || call.args.len() != 1 {
                        continue;
                    }
                    let Some(Expr::MethodCall(m)) = call.args.first() else {
                        continue;
                    };
                    let Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(lit),
                        ..
                    }) = &*m.receiver
                    else {
                        continue;
                    };
                    if m.method != "to_string" || !lit.value().ends_with("was not initialized") {
                        continue;
                    }
                    self.messages
                        .insert((builder.clone(), name.to_string()), lit.value());
                    field.expr = parse_quote!(Err(::std::string::String::new()));
                    self.required_new += 1;
                }
            }
        }

        fn rewrite_send(&mut self, block: &mut syn::Block) {
            self.sends += 1;
            let builder = self.current.clone().unwrap_or_default();
            let before = block.stmts.len();
            block.stmts.retain(|stmt| {
                let Stmt::Expr(Expr::MethodCall(m), _) = stmt else {
                    return true;
                };
                let text = quote::quote!(#m).to_string();
                !(m.method == "append" && text.contains("\"api-version\""))
            });
            let dropped = before - block.stmts.len();
            assert_eq!(
                dropped, 1,
                "lean: `{builder}::send` has no single api-version header"
            );
            self.api_version += 1;
            for stmt in &mut block.stmts {
                let Stmt::Local(local) = stmt else { continue };
                let syn::Pat::Ident(pat) = &local.pat else {
                    continue;
                };
                let var = pat.ident.to_string();
                let Some(init) = &mut local.init else {
                    continue;
                };
                // The header map, one entry smaller.
                if var == "header_map" {
                    if let Expr::Call(call) = &mut *init.expr {
                        if let Some(arg) = call.args.first_mut() {
                            if let Expr::Lit(syn::ExprLit {
                                lit: syn::Lit::Int(n),
                                ..
                            }) = arg
                            {
                                let size: usize = n.base10_parse().expect("header map size");
                                let smaller = size.saturating_sub(1);
                                *arg = parse_quote!(#smaller);
                            }
                        }
                    }
                    continue;
                }
                // `let x = x.map_err(Error::InvalidRequest)?;` for a required field.
                if let Some(message) = self.messages.get(&(builder.clone(), var.clone())) {
                    let ident = &pat.ident;
                    let expected: Expr = parse_quote!(#ident.map_err(Error::InvalidRequest)?);
                    if quote::quote!(#expected).to_string() == {
                        let e = &init.expr;
                        quote::quote!(#e).to_string()
                    } {
                        *init.expr = parse_quote!(#ident.map_err(|e| {
                            Error::InvalidRequest(if e.is_empty() {
                                #message.to_string()
                            } else {
                                e
                            })
                        })?);
                        self.required_send += 1;
                    }
                }
            }
            // With no header parameter left, the (empty) header map goes too.
            let appends = block.stmts.iter().any(|stmt| {
                quote::quote!(#stmt)
                    .to_string()
                    .contains("header_map . append")
            });
            if !appends {
                block.stmts.retain(|stmt| {
                    let Stmt::Local(local) = stmt else {
                        return true;
                    };
                    !matches!(&local.pat, syn::Pat::Ident(p) if p.ident == "header_map")
                });
            }
            let strings = self.strings.get(&builder).cloned().unwrap_or_default();
            let operation = operation_id(block)
                .and_then(|id| self.index.get(&id).copied())
                .unwrap_or_else(|| panic!("lean: `{builder}::send` names no known operation"));
            if json_tail(block, operation) {
                self.json += 1;
            }
            let mut exprs = ExprPass {
                strings,
                drop_headers: !appends,
                operation,
                paths: 0,
                routed: 0,
                based: 0,
            };
            exprs.visit_block_mut(block);
            assert_eq!(
                exprs.based, 1,
                "lean: `{builder}::send` builds its URL once"
            );
            self.paths += exprs.paths;
            self.routed += exprs.routed;
        }
    }

    impl VisitMut for Pass {
        fn visit_item_impl_mut(&mut self, item: &mut syn::ItemImpl) {
            let previous = self.current.take();
            if let syn::Type::Path(p) = &*item.self_ty {
                self.current = Some(last_ident(&p.path));
            }
            syn::visit_mut::visit_item_impl_mut(self, item);
            self.current = previous;
        }

        fn visit_impl_item_fn_mut(&mut self, f: &mut syn::ImplItemFn) {
            match f.sig.ident.to_string().as_str() {
                "new" => self.rewrite_new(&mut f.block),
                "send" if f.sig.asyncness.is_some() => self.rewrite_send(&mut f.block),
                _ => {}
            }
        }
    }

    /// For an operation whose success is a JSON document, replaces the tail of `send`
    ///
    /// ```text
    /// let result = client.exec(request, &info).await;
    /// client.post(&result, &info).await?;
    /// let response = result?;
    /// match response.status().as_u16() {
    ///     200..=299 => ResponseValue::from_response(response).await,
    ///     _ => Err(Error::UnexpectedResponse(response)),
    /// }
    /// ```
    ///
    /// (and the no-op `client.pre(..)` hook call before it)
    /// with `client.exec_json(request, &info, op).await`, which has the transport read the
    /// body of a success (so a body cut short can be retried) and decodes it, with the same
    /// results and errors. Returns whether it did. (`post` is progenitor's default no-op
    /// hook; this client does not override it.)
    fn json_tail(block: &mut syn::Block, operation: usize) -> bool {
        let n = block.stmts.len();
        if n < 4 {
            return false;
        }
        let text = |stmt: &Stmt| quote::quote!(#stmt).to_string().replace(' ', "");
        let tail: Vec<String> = block.stmts[n - 4..].iter().map(text).collect();
        let expected = [
            "letresult=client.exec(request,&info).await;",
            "client.post(&result,&info).await?;",
            "letresponse=result?;",
            "matchresponse.status().as_u16(){200..=299=>ResponseValue::from_response(response).await,_=>Err(Error::UnexpectedResponse(response)),}",
        ];
        // progenitor writes the 2xx arm as a block.
        let braced = "matchresponse.status().as_u16(){200..=299=>{ResponseValue::from_response(response).await}_=>Err(Error::UnexpectedResponse(response)),}";
        let matches = tail[..3] == expected[..3] && (tail[3] == expected[3] || tail[3] == braced);
        if !matches {
            assert!(
                !tail.iter().any(|t| t.contains("from_response")),
                "lean: unexpected JSON tail {tail:#?}"
            );
            return false;
        }
        block.stmts.truncate(n - 4);
        // `client.pre(&mut request, &info).await?;` is progenitor's default no-op hook (this
        // client does not override it); dropped so that the request is not held across it.
        let pre = block
            .stmts
            .len()
            .checked_sub(1)
            .map(|i| text(&block.stmts[i]));
        assert_eq!(
            pre.as_deref(),
            Some("client.pre(&mutrequest,&info).await?;"),
            "lean: `send` calls `pre` just before `exec`"
        );
        block.stmts.pop();
        block.stmts.push(Stmt::Expr(
            parse_quote!(
                client
                    .exec_json(request, &info, &crate::meta::OPERATIONS[#operation])
                    .await
            ),
            None,
        ));
        true
    }

    /// Whether `expr` is progenitor's `client.baseurl`.
    fn is_client_baseurl(expr: &Expr) -> bool {
        quote::quote!(#expr).to_string().replace(' ', "") == "client.baseurl"
    }

    /// `format!("{}/path/{}", client.baseurl, args..)` as
    /// `client.url_for(op, format_args!("/path/{}", args..)).map_err(Error::InvalidRequest)?`:
    /// the path is parsed onto the plane's base, which was parsed once.
    fn url_for(
        args: &syn::punctuated::Punctuated<Expr, syn::Token![,]>,
        index: usize,
    ) -> Option<Expr> {
        let mut it = args.iter();
        let Some(Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(template),
            ..
        })) = it.next()
        else {
            return None;
        };
        let path = template.value().strip_prefix("{}")?.to_string();
        if !path.starts_with('/') {
            return None;
        }
        if !is_client_baseurl(it.next()?) {
            return None;
        }
        let rest: Vec<&Expr> = it.collect();
        let path = syn::LitStr::new(&path, template.span());
        Some(parse_quote!(
            client
                .url_for(&crate::meta::OPERATIONS[#index], format_args!(#path #(, #rest)*))
                .map_err(Error::InvalidRequest)?
        ))
    }

    /// The `operation_id` of the `OperationInfo` a `send` builds.
    fn operation_id(block: &syn::Block) -> Option<String> {
        block.stmts.iter().find_map(|stmt| {
            let Stmt::Local(local) = stmt else {
                return None;
            };
            let Expr::Struct(init) = &*local.init.as_ref()?.expr else {
                return None;
            };
            if last_ident(&init.path) != "OperationInfo" {
                return None;
            }
            init.fields.iter().find_map(|f| match (&f.member, &f.expr) {
                (
                    syn::Member::Named(name),
                    Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(id),
                        ..
                    }),
                ) if name == "operation_id" => Some(id.value()),
                _ => None,
            })
        })
    }

    /// Expression rewrites inside one `send`.
    struct ExprPass {
        strings: HashSet<String>,
        /// Remove `.headers(header_map)` (the map was dropped).
        drop_headers: bool,
        operation: usize,
        paths: usize,
        routed: usize,
        based: usize,
    }

    impl VisitMut for ExprPass {
        fn visit_expr_mut(&mut self, expr: &mut Expr) {
            syn::visit_mut::visit_expr_mut(self, expr);
            // The URL is built in `format!(..)`, whose arguments are plain tokens to syn.
            if let Expr::Macro(m) = expr {
                if m.mac.path.is_ident("format") {
                    use syn::parse::Parser as _;
                    let parser =
                        syn::punctuated::Punctuated::<Expr, syn::Token![,]>::parse_terminated;
                    if let Ok(mut args) = parser.parse2(m.mac.tokens.clone()) {
                        let index = self.operation;
                        let based = self.based;
                        for arg in args.iter_mut() {
                            // The URL starts at the base (`url_for` picks the plane's).
                            if is_client_baseurl(arg) {
                                self.based += 1;
                                continue;
                            }
                            self.visit_expr_mut(arg);
                            // Percent-encode straight into the URL being formatted.
                            if let Expr::Call(call) = arg {
                                if let Expr::Path(f) = &*call.func {
                                    if f.path.is_ident("encode_path") {
                                        call.func = parse_quote!(crate::lean::PathSegment);
                                    }
                                }
                            }
                        }
                        if self.based > based {
                            // The URL: the path formatted onto the plane's parsed base.
                            *expr = url_for(&args, index).unwrap_or_else(|| {
                                panic!(
                                    "lean: URL of operation #{index} is not `format!(\"{{}}/..\", \
                                     client.baseurl, ..)`"
                                )
                            });
                        } else {
                            m.mac.tokens = quote::quote!(#args);
                        }
                    }
                }
                return;
            }
            if let Expr::MethodCall(m) = expr {
                if self.drop_headers
                    && m.method == "headers"
                    && quote::quote!(#m)
                        .to_string()
                        .ends_with(". headers (header_map)")
                {
                    *expr = (*m.receiver).clone();
                    return;
                }
            }
            // `client.exec(request, &info)` -> the operation's entry, without a lookup.
            if let Expr::MethodCall(m) = expr {
                if m.method == "exec" && m.args.len() == 2 {
                    let index = self.operation;
                    m.method = parse_quote!(exec_operation);
                    m.args.push(parse_quote!(&crate::meta::OPERATIONS[#index]));
                    self.routed += 1;
                }
                return;
            }
            let Expr::Call(call) = expr else { return };
            let Expr::Path(func) = &*call.func else {
                return;
            };
            let path = quote::quote!(#func).to_string().replace(' ', "");
            if path == "ResponseValue::from_response" {
                panic!("lean: a JSON answer is decoded outside `exec_json`");
            }
            if path != "encode_path" {
                return;
            }
            // `encode_path(&x.to_string())` with `x: String` -> `encode_path(&x)`
            let Some(Expr::Reference(r)) = call.args.first_mut() else {
                return;
            };
            let Expr::MethodCall(m) = &*r.expr else {
                return;
            };
            if m.method != "to_string" || !m.args.is_empty() {
                return;
            }
            let Expr::Path(var) = &*m.receiver else {
                return;
            };
            if var
                .path
                .get_ident()
                .is_some_and(|i| self.strings.contains(&i.to_string()))
            {
                let receiver = (*m.receiver).clone();
                *r.expr = receiver;
                self.paths += 1;
            }
        }
    }
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
