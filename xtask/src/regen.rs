//! `cargo xtask regen`: validate a candidate spec, report what changes, write it canonically.

use crate::canonical::to_canonical_string;
use crate::fernignore::FernIgnore;
use crate::operations_md;
use crate::report::{self, Side};
use islo_normalize::Normalized;
use serde_json::Value;
use std::fmt;
use std::io::Write;
use std::path::{Component, Path, PathBuf};
use std::process::Command;

/// The vendored spec, relative to the workspace root.
pub const SPEC_PATH: &str = "openapi/islo.json";
/// The generated crate's copy of the spec (what its package ships and its build script
/// reads): written with the spec, and `--check` proves it identical.
pub const PACKAGE_COPY: &str = "islo-generated/islo.json";

/// The command line of `regen`.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Options {
    /// The candidate spec (default: the vendored one).
    pub from: Option<PathBuf>,
    /// Where to write the spec (default: [`SPEC_PATH`]); `OPERATIONS.md` goes next to it.
    pub out: Option<PathBuf>,
    /// Print the report and write nothing.
    pub report_only: bool,
    /// Skip `cargo check -p islo` with the candidate.
    pub skip_build: bool,
    /// Only check that the checked-in spec is canonical and the derived files are current.
    pub check: bool,
}

impl Options {
    /// Parses the arguments after `regen`.
    pub fn parse(args: &[String]) -> Result<Self, Error> {
        let mut o = Self::default();
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            let (flag, inline) = match arg.split_once('=') {
                Some((f, v)) if f.starts_with("--") => (f, Some(v.to_string())),
                _ => (arg.as_str(), None),
            };
            let mut value = |name: &str| -> Result<PathBuf, Error> {
                inline
                    .clone()
                    .or_else(|| it.next().cloned())
                    .filter(|v| !v.is_empty())
                    .map(PathBuf::from)
                    .ok_or_else(|| Error::Usage(format!("{name} needs a path")))
            };
            match flag {
                "--from" => o.from = Some(value("--from")?),
                "--out" => o.out = Some(value("--out")?),
                "--report-only" if inline.is_none() => o.report_only = true,
                "--skip-build" if inline.is_none() => o.skip_build = true,
                "--check" if inline.is_none() => o.check = true,
                _ => return Err(Error::Usage(format!("unexpected argument `{arg}`"))),
            }
        }
        if o.check && (o.from.is_some() || o.out.is_some() || o.report_only) {
            return Err(Error::Usage("--check takes no other option".into()));
        }
        Ok(o)
    }
}

/// Why `regen` failed. Nothing is written when it fails.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// Bad command line.
    Usage(String),
    /// The candidate is not a spec the SDK can be generated from; the message names the place
    /// (file and JSON pointer, or line and column for malformed JSON).
    Invalid(String),
    /// The path is hand-written: `.fernignore` lists it.
    Refused {
        /// The refused path, relative to the workspace root.
        path: String,
        /// The `.fernignore` pattern that matched.
        pattern: String,
    },
    /// `islo-generated` does not build with the candidate.
    Build(String),
    /// `--check` found stale files.
    Stale(Vec<String>),
    /// A file could not be read or written.
    Io(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Usage(m) | Self::Invalid(m) | Self::Build(m) | Self::Io(m) => f.write_str(m),
            Self::Refused { path, pattern } => write!(
                f,
                "refusing to write `{path}`: it is hand-written (matched by `{pattern}` in .fernignore)"
            ),
            Self::Stale(items) => {
                f.write_str("out of date:\n")?;
                for i in items {
                    writeln!(f, "  - {i}")?;
                }
                f.write_str("run `cargo xtask regen` to regenerate")
            }
        }
    }
}

impl std::error::Error for Error {}

fn io(what: &Path, e: std::io::Error) -> Error {
    Error::Io(format!("{}: {e}", what.display()))
}

/// Finds the workspace root: the nearest ancestor of `start` whose `Cargo.toml` has a
/// `[workspace]` table. Returned canonicalized.
pub fn find_root(start: &Path) -> Result<PathBuf, Error> {
    let start = start.canonicalize().map_err(|e| io(start, e))?;
    for dir in start.ancestors() {
        let manifest = dir.join("Cargo.toml");
        if let Ok(text) = std::fs::read_to_string(&manifest) {
            if text.lines().any(|l| l.trim() == "[workspace]") {
                return Ok(dir.to_path_buf());
            }
        }
    }
    Err(Error::Io(format!(
        "{}: not inside a Cargo workspace",
        start.display()
    )))
}

/// Makes `p` absolute (against `cwd`) and removes `.` and `..` lexically, then resolves
/// symbolic links in the longest existing prefix.
pub fn absolute(cwd: &Path, p: &Path) -> PathBuf {
    let joined = cwd.join(p);
    let mut out = PathBuf::new();
    for c in joined.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    let mut existing = out.as_path();
    let mut rest = Vec::new();
    while !existing.exists() {
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_os_string());
                existing = parent;
            }
            _ => return out,
        }
    }
    let mut resolved = existing
        .canonicalize()
        .unwrap_or_else(|_| existing.to_path_buf());
    resolved.extend(rest.iter().rev());
    resolved
}

/// `path` (absolute, see [`absolute`]) relative to `root` with `/` separators, or `None`
/// when it lies outside the workspace.
pub fn relative_to_root(root: &Path, path: &Path) -> Option<String> {
    let rel = path.strip_prefix(root).ok()?;
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    Some(parts.join("/"))
}

/// Fails with [`Error::Refused`] when `path` is hand-written: matched by `.fernignore`
/// (`.fernignore` itself is always protected). Paths outside the workspace are not checked.
pub fn check_writable(root: &Path, ignore: &FernIgnore, path: &Path) -> Result<(), Error> {
    let Some(rel) = relative_to_root(root, &absolute(root, path)) else {
        return Ok(());
    };
    if rel.eq_ignore_ascii_case(FernIgnore::FILE_NAME) {
        return Err(Error::Refused {
            path: rel,
            pattern: FernIgnore::FILE_NAME.into(),
        });
    }
    match ignore.matching_pattern(&rel) {
        Some(pattern) => Err(Error::Refused {
            path: rel,
            pattern: pattern.to_string(),
        }),
        None => Ok(()),
    }
}

/// The one function through which `regen` writes files: refuses paths matched by
/// `.fernignore` ([`check_writable`]), leaves the file untouched when it already has
/// `contents`, and otherwise replaces it atomically. Returns whether the file changed.
pub fn write_guarded(
    root: &Path,
    ignore: &FernIgnore,
    path: &Path,
    contents: &str,
) -> Result<bool, Error> {
    let path = absolute(root, path);
    check_writable(root, ignore, &path)?;
    if std::fs::read(&path).ok().as_deref() == Some(contents.as_bytes()) {
        return Ok(false);
    }
    let parent = path
        .parent()
        .ok_or_else(|| Error::Io(format!("{}: no parent folder", path.display())))?;
    std::fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = parent.join(format!(".{name}.xtask-{}.tmp", std::process::id()));
    check_writable(root, ignore, &tmp)?;
    std::fs::write(&tmp, contents).map_err(|e| io(&tmp, e))?;
    std::fs::rename(&tmp, &path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        io(&path, e)
    })?;
    Ok(true)
}

/// Parses and validates a candidate spec: JSON, OpenAPI 3.x, unique operation ids, one tag
/// per operation, a derivable plane, supported media types and resolvable references (the
/// normalizer's invariants). Errors name the file and the place.
pub fn validate(text: &str, label: &str) -> Result<(Value, Normalized), Error> {
    let value: Value = serde_json::from_str(text).map_err(|e| {
        Error::Invalid(format!(
            "{label}:{}:{}: invalid JSON: {e}",
            e.line(),
            e.column()
        ))
    })?;
    if !value.is_object() {
        return Err(Error::Invalid(format!(
            "{label}: (document root): expected a JSON object"
        )));
    }
    let normalized =
        islo_normalize::normalize(&value).map_err(|e| Error::Invalid(format!("{label}: {e}")))?;
    Ok((value, normalized))
}

/// A temporary folder removed on drop.
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl TempDir {
    /// Creates a fresh folder under the system temporary folder.
    pub fn new(prefix: &str) -> std::io::Result<Self> {
        let base = std::env::temp_dir();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        for attempt in 0..100u32 {
            let p = base.join(format!("{prefix}-{}-{nanos}-{attempt}", std::process::id()));
            match std::fs::create_dir(&p) {
                Ok(()) => return Ok(Self(p)),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
        Err(std::io::Error::other("could not create a temporary folder"))
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `cargo check -p islo` in `root` with `ISLO_OPENAPI_SPEC` pointing at a
/// temporary copy of `canonical`. The target folder is the invoking cargo's when it is set
/// through `CARGO_TARGET_DIR` (the environment is inherited), otherwise the workspace's.
fn build_check(
    root: &Path,
    ignore: &FernIgnore,
    canonical: &str,
    label: &str,
) -> Result<(), Error> {
    let dir =
        TempDir::new("xtask-regen").map_err(|e| Error::Io(format!("temporary folder: {e}")))?;
    let spec = dir.path().join("islo.json");
    write_guarded(root, ignore, &spec, canonical)?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    eprintln!("regen: checking that islo and islo-generated build with {label} ...");
    let status = Command::new(&cargo)
        .current_dir(root)
        .args(["check", "--package", "islo", "--lib"])
        .env("ISLO_OPENAPI_SPEC", &spec)
        .status()
        .map_err(|e| Error::Build(format!("running {}: {e}", Path::new(&cargo).display())))?;
    if !status.success() {
        return Err(Error::Build(format!(
            "{label}: the SDK does not build with this spec (`cargo check -p islo` {status}; \
             see the errors above); nothing was written"
        )));
    }
    Ok(())
}

fn empty_normalized() -> Normalized {
    Normalized {
        spec: Value::Null,
        operations: Vec::new(),
        open_enums: Vec::new(),
        update_bodies: Vec::new(),
        rewrites: Vec::new(),
    }
}

fn read(path: &Path) -> Result<String, Error> {
    std::fs::read_to_string(path).map_err(|e| io(path, e))
}

/// Runs `regen` with `opts` from the working folder `cwd`, printing the report to `stdout`
/// (progress goes to stderr).
pub fn run(opts: &Options, cwd: &Path, stdout: &mut dyn Write) -> Result<(), Error> {
    let root = find_root(cwd)?;
    let ignore = FernIgnore::load(&root).map_err(|e| io(&root.join(FernIgnore::FILE_NAME), e))?;
    let spec_path = root.join(SPEC_PATH);
    if opts.check {
        return check(&root, &spec_path);
    }

    let out = absolute(cwd, opts.out.as_deref().unwrap_or(&spec_path));
    let ops_md = out.with_file_name(operations_md::FILE_NAME);
    if !opts.report_only {
        check_writable(&root, &ignore, &out)?;
        check_writable(&root, &ignore, &ops_md)?;
    }

    let from = absolute(cwd, opts.from.as_deref().unwrap_or(&spec_path));
    let from_label = opts
        .from
        .as_deref()
        .unwrap_or(Path::new(SPEC_PATH))
        .display()
        .to_string();
    let (candidate, normalized) = validate(&read(&from)?, &from_label)?;

    let (base, base_normalized) = if spec_path.exists() {
        match validate(&read(&spec_path)?, SPEC_PATH) {
            Ok(v) => v,
            Err(e) => {
                eprintln!("regen: warning: the current spec does not validate ({e}); reporting against an empty spec");
                (Value::Null, empty_normalized())
            }
        }
    } else {
        (Value::Null, empty_normalized())
    };
    let report = report::compare(
        Side {
            source: &base,
            normalized: &base_normalized,
        },
        Side {
            source: &candidate,
            normalized: &normalized,
        },
    );
    let text = report.render(SPEC_PATH, &from_label);
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(|e| Error::Io(format!("stdout: {e}")))?;
    if opts.report_only {
        return Ok(());
    }

    let canonical = to_canonical_string(&candidate);
    if !opts.skip_build {
        build_check(&root, &ignore, &canonical, &from_label)?;
    }
    let spec_name = out
        .file_name()
        .map_or_else(|| SPEC_PATH.into(), |n| n.to_string_lossy().into_owned());
    let table = operations_md::render(&normalized.operations, &spec_name);
    let mut writes = vec![(out.clone(), &canonical), (ops_md, &table)];
    // The package copy follows the workspace's spec (not a spec written elsewhere).
    if out == spec_path {
        if let Some(copy) = package_copy(&root) {
            writes.push((copy, &canonical));
        }
    }
    for (path, contents) in &writes {
        let changed = write_guarded(&root, &ignore, path, contents)?;
        let shown = relative_to_root(&root, path).unwrap_or_else(|| path.display().to_string());
        eprintln!(
            "regen: {} {shown}",
            if changed { "wrote" } else { "unchanged:" }
        );
    }
    Ok(())
}

/// Whether the workspace version's build metadata (`0.1.0+api-0.3.20`) disagrees with the
/// spec's `info.version`; `None` when it agrees or the workspace sets no such metadata.
fn version_metadata_mismatch(root: &Path, spec: &Value) -> Option<String> {
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).ok()?;
    let api = spec.pointer("/info/version").and_then(Value::as_str)?;
    let version = manifest
        .lines()
        .map(str::trim)
        .find_map(|l| l.strip_prefix("version = \""))?
        .trim_end_matches('"');
    let meta = version.split_once('+')?.1;
    let want = format!("api-{api}");
    (meta != want).then(|| {
        format!(
            "Cargo.toml: the version's build metadata `+{meta}` should be `+{want}` (the spec's info.version)"
        )
    })
}

/// Where the generated crate's copy of the spec goes, when the workspace has that crate.
fn package_copy(root: &Path) -> Option<PathBuf> {
    let copy = root.join(PACKAGE_COPY);
    copy.parent().is_some_and(Path::is_dir).then_some(copy)
}

/// `--check`: the vendored spec is valid and canonical, `OPERATIONS.md` is current, and the
/// generated crate's copy of the spec is identical.
fn check(root: &Path, spec_path: &Path) -> Result<(), Error> {
    let text = read(spec_path)?;
    let (value, normalized) = validate(&text, SPEC_PATH)?;
    let mut stale = Vec::new();
    if to_canonical_string(&value) != text {
        stale.push(format!(
            "{SPEC_PATH} is not in canonical form (sorted keys, 2-space indentation)"
        ));
    }
    let ops_path = spec_path.with_file_name(operations_md::FILE_NAME);
    let spec_name = spec_path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let expected = operations_md::render(&normalized.operations, &spec_name);
    let shown = relative_to_root(root, &ops_path).unwrap_or_else(|| ops_path.display().to_string());
    match std::fs::read_to_string(&ops_path) {
        Ok(actual) if actual == expected => {}
        Ok(_) => stale.push(format!("{shown} does not match {SPEC_PATH}")),
        Err(_) => stale.push(format!("{shown} is missing")),
    }
    if let Some(why) = version_metadata_mismatch(root, &value) {
        stale.push(why);
    }
    if let Some(copy) = package_copy(root) {
        match std::fs::read_to_string(&copy) {
            Ok(actual) if actual == text => {}
            Ok(_) => stale.push(format!("{PACKAGE_COPY} differs from {SPEC_PATH}")),
            Err(_) => stale.push(format!("{PACKAGE_COPY} is missing")),
        }
    }
    if stale.is_empty() {
        eprintln!("regen --check: {SPEC_PATH} and what is derived from it are up to date");
        Ok(())
    } else {
        Err(Error::Stale(stale))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec() -> Value {
        json!({
            "openapi": "3.1.0",
            "servers": [{"url": "https://api"}],
            "paths": {
                "/a": {"get": {"operationId": "get_a", "tags": ["t"], "summary": "Get A",
                               "responses": {"200": {"description": "ok"}}}},
                "/b": {"post": {"operationId": "make_b", "tags": ["t"],
                                "responses": {"204": {"description": "ok"}}}}
            },
            "components": {"schemas": {"A": {"type": "object", "properties": {"x": {"type": "string"}}}}}
        })
    }

    fn invalid(v: &Value) -> String {
        match validate(&v.to_string(), "cand.json") {
            Err(Error::Invalid(m)) => m,
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn validation_errors_name_the_json_pointer() {
        assert!(validate(&spec().to_string(), "cand.json").is_ok());

        let mut v = spec();
        v["openapi"] = json!("2.0");
        assert_eq!(
            invalid(&v),
            "cand.json: /openapi: expected an OpenAPI 3.x document, found 2.0"
        );

        let mut v = spec();
        v["paths"]["/b"]["post"]["operationId"] = json!("get_a");
        assert_eq!(
            invalid(&v),
            "cand.json: /paths/~1b/post/operationId: duplicate operationId `get_a`"
        );

        let mut v = spec();
        v["paths"]["/a"]["get"]
            .as_object_mut()
            .unwrap()
            .remove("tags");
        assert_eq!(
            invalid(&v),
            "cand.json: /paths/~1a/get/tags: an operation needs exactly one tag, found 0"
        );

        let mut v = spec();
        v["paths"]["/a"]["get"]["tags"] = json!(["t", "u"]);
        assert_eq!(
            invalid(&v),
            "cand.json: /paths/~1a/get/tags: an operation needs exactly one tag, found 2"
        );

        let mut v = spec();
        v["paths"]["/b"]["servers"] = json!([{"url": "https://x"}, {"url": "https://y"}]);
        assert_eq!(
            invalid(&v),
            "cand.json: /paths/~1b/post: cannot derive the plane: expected exactly one server, found 2"
        );

        let mut v = spec();
        v["paths"]["/a"]["get"]
            .as_object_mut()
            .unwrap()
            .remove("operationId");
        assert_eq!(
            invalid(&v),
            "cand.json: /paths/~1a/get: operation has no operationId"
        );

        let mut v = spec();
        v["components"]["schemas"]["A"]["properties"]["x"] =
            json!({"$ref": "#/components/schemas/Nope"});
        assert_eq!(
            invalid(&v),
            "cand.json: /components/schemas/A/properties/x: `$ref` #/components/schemas/Nope does not resolve"
        );

        match validate("{\n  \"openapi\": \"3.1.0\",\n  oops\n}", "cand.json") {
            Err(Error::Invalid(m)) => assert!(m.starts_with("cand.json:3:3: invalid JSON"), "{m}"),
            other => panic!("{other:?}"),
        }
        match validate("[1]", "cand.json") {
            Err(Error::Invalid(m)) => assert!(m.contains("expected a JSON object"), "{m}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn options() {
        let p = |a: &[&str]| Options::parse(&a.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(p(&[]).unwrap(), Options::default());
        let o = p(&[
            "--from",
            "x.json",
            "--out=y.json",
            "--report-only",
            "--skip-build",
        ])
        .unwrap();
        assert_eq!(o.from.as_deref(), Some(Path::new("x.json")));
        assert_eq!(o.out.as_deref(), Some(Path::new("y.json")));
        assert!(o.report_only && o.skip_build && !o.check);
        assert!(p(&["--check"]).unwrap().check);
        assert!(matches!(p(&["--from"]), Err(Error::Usage(_))));
        assert!(matches!(
            p(&["--check", "--from", "x"]),
            Err(Error::Usage(_))
        ));
        assert!(matches!(p(&["--bogus"]), Err(Error::Usage(_))));
        assert!(matches!(p(&["--check=1"]), Err(Error::Usage(_))));
    }

    /// A tiny workspace: a `[workspace]` manifest, `.fernignore`, a hand-written README and
    /// library, and a (non-canonical) vendored spec.
    fn workspace() -> TempDir {
        let dir = TempDir::new("xtask-unit").unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("openapi")).unwrap();
        std::fs::create_dir_all(root.join("islo/src")).unwrap();
        std::fs::write(root.join("Cargo.toml"), "[workspace]\nmembers = []\n").unwrap();
        std::fs::write(root.join(".fernignore"), "README.md\nislo/\n").unwrap();
        std::fs::write(root.join("README.md"), "hand-written\n").unwrap();
        std::fs::write(root.join("islo/src/lib.rs"), "// hand-written\n").unwrap();
        std::fs::write(root.join(SPEC_PATH), spec().to_string()).unwrap();
        dir
    }

    #[test]
    fn the_versions_build_metadata_must_name_the_specs_api_version() {
        let ws = workspace();
        let root = ws.path();
        let mut with_version = spec();
        with_version["info"] = json!({"title": "t", "version": "1.2.3"});
        std::fs::write(root.join(SPEC_PATH), with_version.to_string()).unwrap();
        run(&opts(None, None), root, &mut Vec::new()).unwrap();
        let check = Options {
            check: true,
            ..Options::default()
        };
        let api = "1.2.3";
        std::fs::write(
            root.join("Cargo.toml"),
            format!(
                "[workspace]\nmembers = []\n\n[workspace.package]\nversion = \"0.1.0+api-{api}\"\n"
            ),
        )
        .unwrap();
        run(&check, root, &mut Vec::new()).unwrap();
        std::fs::write(
            root.join("Cargo.toml"),
            "[workspace]\nmembers = []\n\n[workspace.package]\nversion = \"0.1.0+api-9.9.9\"\n",
        )
        .unwrap();
        let msg = run(&check, root, &mut Vec::new()).unwrap_err().to_string();
        assert!(msg.contains("+api-9.9.9` should be `+api-"), "{msg}");
    }

    #[test]
    fn the_generated_crates_copy_is_written_with_the_spec_and_checked() {
        let ws = workspace();
        let root = ws.path();
        std::fs::create_dir_all(root.join("islo-generated")).unwrap();
        run(&opts(None, None), root, &mut Vec::new()).unwrap();
        let spec = std::fs::read_to_string(root.join(SPEC_PATH)).unwrap();
        let copy = std::fs::read_to_string(root.join(PACKAGE_COPY)).unwrap();
        assert_eq!(copy, spec);
        let check = Options {
            check: true,
            ..Options::default()
        };
        run(&check, root, &mut Vec::new()).unwrap();
        std::fs::write(root.join(PACKAGE_COPY), "{}\n").unwrap();
        let msg = run(&check, root, &mut Vec::new()).unwrap_err().to_string();
        assert!(
            msg.contains("islo-generated/islo.json differs from openapi/islo.json"),
            "{msg}"
        );
        std::fs::remove_file(root.join(PACKAGE_COPY)).unwrap();
        let msg = run(&check, root, &mut Vec::new()).unwrap_err().to_string();
        assert!(msg.contains("islo-generated/islo.json is missing"), "{msg}");
    }

    fn opts(from: Option<&Path>, out: Option<&str>) -> Options {
        Options {
            from: from.map(Path::to_path_buf),
            out: out.map(PathBuf::from),
            skip_build: true,
            ..Options::default()
        }
    }

    #[test]
    fn regen_writes_canonical_spec_and_table_then_check_passes() {
        let ws = workspace();
        let root = ws.path();
        let check = Options {
            check: true,
            ..Options::default()
        };
        let err = run(&check, root, &mut Vec::new()).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("openapi/islo.json is not in canonical form"),
            "{msg}"
        );
        assert!(msg.contains("openapi/OPERATIONS.md is missing"), "{msg}");

        let mut cand = spec();
        cand["paths"]["/c"] = json!({"get": {"operationId": "get_c", "tags": ["t"], "responses": {"200": {"description": "ok"}}}});
        let cand_path = root.join("cand.json");
        std::fs::write(&cand_path, cand.to_string()).unwrap();

        // --report-only writes nothing.
        let before = std::fs::read(root.join(SPEC_PATH)).unwrap();
        let mut stdout = Vec::new();
        let ro = Options {
            report_only: true,
            ..opts(Some(&cand_path), None)
        };
        run(&ro, root, &mut stdout).unwrap();
        let report = String::from_utf8(stdout).unwrap();
        assert!(
            report.contains("- operation `get_c` added: GET /c (control plane, tag `t`)"),
            "{report}"
        );
        assert_eq!(std::fs::read(root.join(SPEC_PATH)).unwrap(), before);
        assert!(!root.join("openapi/OPERATIONS.md").exists());

        // Run from a subfolder: the root is found, relative --from is resolved from there.
        let mut stdout = Vec::new();
        run(
            &opts(Some(Path::new("../cand.json")), None),
            &root.join("openapi"),
            &mut stdout,
        )
        .unwrap();
        let written = std::fs::read_to_string(root.join(SPEC_PATH)).unwrap();
        assert_eq!(written, crate::canonical::to_canonical_string(&cand));
        let table = std::fs::read_to_string(root.join("openapi/OPERATIONS.md")).unwrap();
        assert!(
            table.contains("| `get_c` | GET | `/c` | control |"),
            "{table}"
        );
        run(&check, root, &mut Vec::new()).unwrap();

        // A stale table is caught.
        std::fs::write(root.join("openapi/OPERATIONS.md"), "edited\n").unwrap();
        let msg = run(&check, root, &mut Vec::new()).unwrap_err().to_string();
        assert!(
            msg.contains("openapi/OPERATIONS.md does not match openapi/islo.json"),
            "{msg}"
        );
    }

    #[test]
    fn invalid_candidate_writes_nothing() {
        let ws = workspace();
        let root = ws.path();
        let mut cand = spec();
        cand["paths"]["/a"]["get"]["tags"] = json!([]);
        std::fs::write(root.join("cand.json"), cand.to_string()).unwrap();
        let before = std::fs::read(root.join(SPEC_PATH)).unwrap();
        let err = run(
            &opts(Some(Path::new("cand.json")), None),
            root,
            &mut Vec::new(),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "cand.json: /paths/~1a/get/tags: an operation needs exactly one tag, found 0"
        );
        assert_eq!(std::fs::read(root.join(SPEC_PATH)).unwrap(), before);
        assert!(!root.join("openapi/OPERATIONS.md").exists());
    }

    #[test]
    fn fernignore_paths_are_refused_even_when_asked() {
        let ws = workspace();
        let root = ws.path();
        let ignore = FernIgnore::load(root).unwrap();
        for (out, pattern) in [
            ("README.md", "README.md"),
            ("islo/src/lib.rs", "islo/"),
            ("./islo/../README.md", "README.md"),
            ("islo/new.json", "islo/"),
            (".fernignore", ".fernignore"),
        ] {
            let err = run(&opts(None, Some(out)), root, &mut Vec::new()).unwrap_err();
            match &err {
                Error::Refused { pattern: p, .. } => assert_eq!(p, pattern, "{out}"),
                other => panic!("{out}: expected a refusal, got {other:?}"),
            }
            assert!(
                err.to_string()
                    .contains(&format!("matched by `{pattern}` in .fernignore")),
                "{err}"
            );
            // The guarded writer itself refuses too.
            assert!(matches!(
                write_guarded(root, &ignore, Path::new(out), "x"),
                Err(Error::Refused { .. })
            ));
        }
        assert_eq!(
            std::fs::read_to_string(root.join("README.md")).unwrap(),
            "hand-written\n"
        );
        assert_eq!(
            std::fs::read_to_string(root.join("islo/src/lib.rs")).unwrap(),
            "// hand-written\n"
        );
        assert!(!root.join("islo/new.json").exists());
        assert!(
            !root.join("openapi/OPERATIONS.md").exists(),
            "nothing is written when refused"
        );

        // Elsewhere in (or outside) the workspace is fine.
        assert!(write_guarded(root, &ignore, Path::new("openapi/other.json"), "{}\n").unwrap());
        assert!(!write_guarded(root, &ignore, Path::new("openapi/other.json"), "{}\n").unwrap());
    }
}
