//! The built-in shell: the tiny command interpreter behind `ExecOutcome::builtin`.
//!
//! Commands run against the sandbox's in-memory file system when the fake
//! executes them itself (no [`on_exec`](super::FakeIslo::on_exec) hook), so a
//! test can write a file with `echo x > f`, upload a directory and `ls` it,
//! or `cat` what an earlier command produced.

use bytes::Bytes;

use super::files::{normalize, Fs, Node};
use super::{ExecCall, ExecOutcome};

/// The largest file `cat` prints (a generated multi-gigabyte file is refused,
/// not produced in memory).
const CAT_LIMIT: u64 = 16 << 20;

/// How many symbolic links a path lookup follows.
const LINK_HOPS: usize = 8;

/// `full` with the symbolic links it names followed (at most [`LINK_HOPS`]).
pub(crate) fn resolve_links(fs: &Fs, full: &str) -> String {
    let mut cur = full.to_owned();
    for _ in 0..LINK_HOPS {
        match fs.get(&cur) {
            Some(Node::Symlink { target }) => {
                let parent = cur.rsplit_once('/').map_or("/", |(p, _)| p);
                cur = normalize(target, if parent.is_empty() { "/" } else { parent });
            }
            _ => break,
        }
    }
    cur
}

/// Runs `call.command` on a scratch file system that is thrown away.
pub(crate) fn run_builtin(call: &ExecCall) -> ExecOutcome {
    run(call, &mut Fs::new())
}

/// Runs `call.command` with the built-in shell on the file system `fs`.
pub(crate) fn run(call: &ExecCall, fs: &mut Fs) -> ExecOutcome {
    let cwd = normalize(call.workdir.as_deref().unwrap_or("/workspace"), "/");
    let mut sh = Shell {
        call,
        home: cwd.clone(),
        cwd,
        fs,
        out: String::new(),
        err: String::new(),
    };
    let code = match call.command.split_first() {
        None => {
            sh.err.push_str("exec: empty command\n");
            127
        }
        Some((prog, args)) if is_shell(prog) => match script_arg(args) {
            Some(script) => sh.script(script),
            None => 0,
        },
        Some(_) => {
            let argv: Vec<&str> = call.command.iter().map(String::as_str).collect();
            let mut out = String::new();
            let mut err = String::new();
            let flow = sh.simple(&argv, &mut out, &mut err);
            sh.out.push_str(&out);
            sh.err.push_str(&err);
            match flow {
                Flow::Next(c) | Flow::Exit(c) => c,
            }
        }
    };
    ExecOutcome::exited(code, sh.out, sh.err)
}

enum Flow {
    Next(i32),
    Exit(i32),
}

fn is_shell(prog: &str) -> bool {
    let base = prog.rsplit('/').next().unwrap_or(prog);
    matches!(base, "sh" | "bash" | "dash" | "zsh")
}

/// The script of `sh [-e|-l|-x…] -c SCRIPT …`.
fn script_arg(args: &[String]) -> Option<&str> {
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a.starts_with('-') && a.contains('c') && !a.starts_with("--") {
            return it.next().map(String::as_str);
        }
        if !a.starts_with('-') {
            return None;
        }
    }
    None
}

#[derive(PartialEq, Clone, Copy)]
enum Sep {
    Always,
    And,
    Or,
}

/// Splits a script into `(separator before, piece)` on `;`, newlines, `&&`
/// and `||` outside quotes.
fn split_script(script: &str) -> Vec<(Sep, String)> {
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut sep = Sep::Always;
    let mut quote: Option<char> = None;
    let mut chars = script.chars().peekable();
    while let Some(c) = chars.next() {
        match (quote, c) {
            // An escaped character (outside single quotes) is kept with its backslash for
            // `words`, and neither separates nor opens or closes a quote.
            (None | Some('"'), '\\') => {
                cur.push(c);
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            (Some(q), c) if c == q => {
                quote = None;
                cur.push(c);
            }
            (Some(_), c) => cur.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                cur.push(c);
            }
            (None, ';' | '\n') => {
                parts.push((sep, std::mem::take(&mut cur)));
                sep = Sep::Always;
            }
            (None, '&') if chars.peek() == Some(&'&') => {
                chars.next();
                parts.push((sep, std::mem::take(&mut cur)));
                sep = Sep::And;
            }
            (None, '|') if chars.peek() == Some(&'|') => {
                chars.next();
                parts.push((sep, std::mem::take(&mut cur)));
                sep = Sep::Or;
            }
            (None, c) => cur.push(c),
        }
    }
    parts.push((sep, cur));
    parts.retain(|(_, p)| !p.trim().is_empty());
    parts
}

/// One word of a command line: its text with quotes removed, and whether any
/// of it was quoted (a quoted `>` is a word, not a redirection).
struct Word {
    text: String,
    quoted: bool,
}

/// Splits words honouring single and double quotes and backslashes.
fn words(piece: &str) -> Vec<Word> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut quoted = false;
    let mut quote: Option<char> = None;
    let mut chars = piece.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some('"'), '\\') => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            (Some(_), c) => cur.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true;
                quoted = true;
            }
            (None, '\\') => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
                in_word = true;
                quoted = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    out.push(Word {
                        text: std::mem::take(&mut cur),
                        quoted,
                    });
                    in_word = false;
                    quoted = false;
                }
            }
            (None, c) => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        out.push(Word { text: cur, quoted });
    }
    out
}

/// Where a piece's standard output (or error) goes.
#[derive(Clone, PartialEq)]
enum Target {
    /// The command's own stream.
    Inherit,
    /// The other stream (`>&2`, `2>&1`).
    Swap,
    /// Nowhere (`/dev/null`).
    Null,
    /// A file, truncated first or appended to.
    File { path: String, append: bool },
}

impl Target {
    /// This stream's target as the other stream names it (for `2>&1` and `>&2`).
    fn seen_from_the_other_stream(&self) -> Target {
        match self {
            Target::Inherit => Target::Swap,
            Target::Swap => Target::Inherit,
            other => other.clone(),
        }
    }
}

/// A piece's redirections, taken out of its words.
struct Redirects {
    out: Target,
    err: Target,
}

/// Separates redirection operators (`>`, `>>`, `2>`, `2>>`, `>&2`, `1>&2`,
/// `2>&1`, attached or followed by the file name) from the arguments.
fn redirects(ws: Vec<Word>) -> Result<(Vec<String>, Redirects), String> {
    let mut args = Vec::new();
    let mut r = Redirects {
        out: Target::Inherit,
        err: Target::Inherit,
    };
    let mut it = ws.into_iter();
    while let Some(w) = it.next() {
        if w.quoted {
            args.push(w.text);
            continue;
        }
        let t = w.text.as_str();
        // A duplication copies where the other stream points now (redirections apply left
        // to right: `> f 2>&1` sends both to `f`, `2>&1 > f` does not).
        if matches!(t, ">&2" | "1>&2") {
            r.out = r.err.seen_from_the_other_stream();
            continue;
        }
        if t == "2>&1" {
            r.err = r.out.seen_from_the_other_stream();
            continue;
        }
        let (is_err, rest) = match t.strip_prefix("2>") {
            Some(rest) => (true, rest),
            None => match t.strip_prefix("1>").or_else(|| t.strip_prefix('>')) {
                Some(rest) => (false, rest),
                None => {
                    args.push(w.text);
                    continue;
                }
            },
        };
        let (append, rest) = match rest.strip_prefix('>') {
            Some(rest) => (true, rest),
            None => (false, rest),
        };
        let path = if rest.is_empty() {
            match it.next() {
                Some(next) => next.text,
                None => return Err("syntax error: redirection without a file name".into()),
            }
        } else {
            rest.to_owned()
        };
        let target = if path == "/dev/null" {
            Target::Null
        } else {
            Target::File { path, append }
        };
        if is_err {
            r.err = target;
        } else {
            r.out = target;
        }
    }
    Ok((args, r))
}

/// What a path names in the file system.
enum Kind<'a> {
    Missing,
    Dir,
    File(&'a Node),
}

struct Shell<'a> {
    call: &'a ExecCall,
    /// The directory the command started in (the sandbox's workdir).
    home: String,
    cwd: String,
    fs: &'a mut Fs,
    out: String,
    err: String,
}

impl Shell<'_> {
    fn script(&mut self, script: &str) -> i32 {
        let mut last = 0;
        for (sep, piece) in split_script(script) {
            let run = match sep {
                Sep::Always => true,
                Sep::And => last == 0,
                Sep::Or => last != 0,
            };
            if !run {
                continue;
            }
            let (args, r) = match redirects(words(&piece)) {
                Ok(x) => x,
                Err(e) => {
                    self.err.push_str("sh: ");
                    self.err.push_str(&e);
                    self.err.push('\n');
                    return 2;
                }
            };
            if args.is_empty() && r.out == Target::Inherit && r.err == Target::Inherit {
                continue;
            }
            let argv: Vec<&str> = args.iter().map(String::as_str).collect();
            let mut out = String::new();
            let mut err = String::new();
            let flow = if argv.is_empty() {
                // A bare `> file` creates (or empties) the file.
                Flow::Next(0)
            } else {
                self.simple(&argv, &mut out, &mut err)
            };
            let code = match flow {
                Flow::Next(c) => c,
                Flow::Exit(c) => {
                    // An exit still delivers what the piece printed; a failed write cannot
                    // change the exit code the script asked for.
                    let _ = self.deliver(out, err, &r);
                    return c;
                }
            };
            last = match self.deliver(out, err, &r) {
                Ok(()) => code,
                Err(()) => 1,
            };
        }
        last
    }

    /// Sends a piece's output where its redirections say.
    fn deliver(&mut self, out: String, err: String, r: &Redirects) -> Result<(), ()> {
        let mut to_out = String::new();
        let mut to_err = String::new();
        let mut ok = Ok(());
        // A file both streams go to is opened once: the second appends.
        let mut written: Option<&str> = None;
        for (text, target, own_is_out) in [(out, &r.out, true), (err, &r.err, false)] {
            match target {
                Target::Inherit if own_is_out => to_out.push_str(&text),
                Target::Inherit => to_err.push_str(&text),
                Target::Swap if own_is_out => to_err.push_str(&text),
                Target::Swap => to_out.push_str(&text),
                Target::Null => {}
                Target::File { path, append } => {
                    let append = *append || written == Some(path.as_str());
                    written = Some(path.as_str());
                    if let Err(e) = self.write_file(path, text.as_bytes(), append) {
                        to_err.push_str(&format!("sh: {path}: {e}\n"));
                        ok = Err(());
                    }
                }
            }
        }
        self.out.push_str(&to_out);
        self.err.push_str(&to_err);
        ok
    }

    fn path(&self, p: &str) -> String {
        normalize(p, &self.cwd)
    }

    /// Follows symbolic links (see [`resolve_links`]).
    fn resolve(&self, full: &str) -> String {
        resolve_links(self.fs, full)
    }

    fn kind(&self, full: &str) -> Kind<'_> {
        let full = self.resolve(full);
        match self.fs.get(&full) {
            Some(Node::Dir { .. }) => Kind::Dir,
            Some(node) => Kind::File(node),
            None if self.is_implicit_dir(&full) => Kind::Dir,
            None => Kind::Missing,
        }
    }

    /// The root, the workdir and its parents, and any path with something
    /// stored below it are directories even without a `Dir` node.
    fn is_implicit_dir(&self, full: &str) -> bool {
        if full == "/" || under(&self.home, full) {
            return true;
        }
        let prefix = format!("{full}/");
        self.fs
            .range(prefix.clone()..)
            .next()
            .is_some_and(|(k, _)| k.starts_with(&prefix))
    }

    fn write_file(&mut self, path: &str, data: &[u8], append: bool) -> Result<(), &'static str> {
        let full = self.resolve(&self.path(path));
        let parent = full.rsplit_once('/').map_or("/", |(p, _)| p);
        let parent = if parent.is_empty() { "/" } else { parent };
        if !matches!(self.kind(parent), Kind::Dir) {
            return Err("No such file or directory");
        }
        let (old, mode) = match self.kind(&full) {
            Kind::Dir => return Err("Is a directory"),
            Kind::Missing => (Vec::new(), 0o644),
            // A generated file is never held in memory whole: like `cat`, appending is
            // refused past what the shell prints.
            Kind::File(Node::Generated { len, .. }) if append && *len > CAT_LIMIT => {
                return Err("File too large for the fake's shell to append to")
            }
            Kind::File(node) => {
                let mode = node.file_mode().unwrap_or(0o644);
                let old = if append {
                    node.contents().unwrap_or_default()
                } else {
                    Vec::new()
                };
                (old, mode)
            }
        };
        let mut bytes = old;
        bytes.extend_from_slice(data);
        self.fs.insert(
            full,
            Node::File {
                data: Bytes::from(bytes),
                mode,
            },
        );
        Ok(())
    }

    fn simple(&mut self, argv: &[&str], out: &mut String, err: &mut String) -> Flow {
        let Some((&prog, args)) = argv.split_first() else {
            return Flow::Next(0);
        };
        let name = prog.rsplit('/').next().unwrap_or(prog);
        let code = match name {
            "echo" => {
                let (newline, args) = match args.first() {
                    Some(&"-n") => (false, &args[1..]),
                    _ => (true, args),
                };
                out.push_str(&args.join(" "));
                if newline {
                    out.push('\n');
                }
                0
            }
            "true" | ":" => 0,
            "false" => 1,
            "sleep" => 0,
            "exit" => {
                let c = args
                    .first()
                    .and_then(|a| a.parse::<i32>().ok())
                    .unwrap_or(0);
                return Flow::Exit(c);
            }
            "pwd" => {
                out.push_str(&self.cwd);
                out.push('\n');
                0
            }
            "cd" => {
                let target = args.first().copied().unwrap_or(self.home.as_str());
                let full = self.path(target);
                if matches!(self.kind(&full), Kind::Dir) {
                    self.cwd = self.resolve(&full);
                    0
                } else {
                    err.push_str(&format!("sh: cd: {target}: No such file or directory\n"));
                    1
                }
            }
            "whoami" => {
                out.push_str(self.call.user.as_deref().unwrap_or("islo"));
                out.push('\n');
                0
            }
            "printenv" => match args.first() {
                Some(name) => match self.call.env.get(*name) {
                    Some(Some(v)) => {
                        out.push_str(v);
                        out.push('\n');
                        0
                    }
                    _ => 1,
                },
                None => {
                    print_env(self.call, out);
                    0
                }
            },
            "env" => {
                print_env(self.call, out);
                0
            }
            "cat" => self.cat(args, out, err),
            "ls" => self.ls(args, out, err),
            "mkdir" => self.mkdir(args, err),
            "rm" => self.rm(args, err),
            "touch" => self.touch(args, err),
            "test" => test(self, args),
            "[" => match args.split_last() {
                Some((&"]", inner)) => test(self, inner),
                _ => {
                    err.push_str("[: missing ]\n");
                    2
                }
            },
            _ => {
                err.push_str(prog);
                err.push_str(
                    ": command not found (the fake Islo runs a few built-in commands; \
                     script any other with FakeIslo::on_exec)\n",
                );
                127
            }
        };
        Flow::Next(code)
    }

    fn cat(&self, args: &[&str], out: &mut String, err: &mut String) -> i32 {
        let mut code = 0;
        for a in args.iter().filter(|a| !a.starts_with('-')) {
            match self.kind(&self.path(a)) {
                Kind::Missing => {
                    err.push_str(&format!("cat: {a}: No such file or directory\n"));
                    code = 1;
                }
                Kind::Dir => {
                    err.push_str(&format!("cat: {a}: Is a directory\n"));
                    code = 1;
                }
                Kind::File(node) => match node {
                    Node::Generated { len, .. } if *len > CAT_LIMIT => {
                        err.push_str(&format!(
                            "cat: {a}: {len} bytes is more than the fake's shell prints\n"
                        ));
                        code = 1;
                    }
                    node => {
                        let bytes = node.contents().unwrap_or_default();
                        out.push_str(&String::from_utf8_lossy(&bytes));
                    }
                },
            }
        }
        code
    }

    /// The names directly inside directory `full`, sorted.
    fn children(&self, full: &str) -> Vec<String> {
        let prefix = if full == "/" {
            "/".to_owned()
        } else {
            format!("{full}/")
        };
        let mut names: Vec<String> = self
            .fs
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .filter_map(|(k, _)| k[prefix.len()..].split('/').next())
            .filter(|n| !n.is_empty())
            .map(str::to_owned)
            .collect();
        if let Some(rest) = self.home.strip_prefix(&prefix) {
            if let Some(n) = rest.split('/').next().filter(|n| !n.is_empty()) {
                names.push(n.to_owned());
            }
        }
        names.sort();
        names.dedup();
        names
    }

    fn ls(&self, args: &[&str], out: &mut String, err: &mut String) -> i32 {
        let all = args
            .iter()
            .any(|a| a.starts_with('-') && (a.contains('a') || a.contains('A')));
        let mut paths: Vec<&str> = args
            .iter()
            .copied()
            .filter(|a| !a.starts_with('-'))
            .collect();
        if paths.is_empty() {
            paths.push(".");
        }
        let many = paths.len() > 1;
        let mut code = 0;
        // Like ls: the files named first, then each directory's listing.
        let mut dirs = Vec::new();
        let mut printed = false;
        for p in paths {
            let full = self.path(p);
            match self.kind(&full) {
                Kind::Missing => {
                    err.push_str(&format!(
                        "ls: cannot access '{p}': No such file or directory\n"
                    ));
                    code = 2;
                }
                Kind::File(_) => {
                    out.push_str(p);
                    out.push('\n');
                    printed = true;
                }
                Kind::Dir => dirs.push((p, self.resolve(&full))),
            }
        }
        for (p, full) in dirs {
            if many {
                if printed {
                    out.push('\n');
                }
                out.push_str(p);
                out.push_str(":\n");
            }
            printed = true;
            for n in self.children(&full) {
                if all || !n.starts_with('.') {
                    out.push_str(&n);
                    out.push('\n');
                }
            }
        }
        code
    }

    fn mkdir(&mut self, args: &[&str], err: &mut String) -> i32 {
        let parents = args.iter().any(|a| a.starts_with('-') && a.contains('p'));
        let mut code = 0;
        for a in args.iter().filter(|a| !a.starts_with('-')) {
            let full = self.path(a);
            match self.kind(&full) {
                Kind::Dir if parents => continue,
                Kind::Dir | Kind::File(_) if !parents => {
                    err.push_str(&format!(
                        "mkdir: cannot create directory '{a}': File exists\n"
                    ));
                    code = 1;
                    continue;
                }
                Kind::File(_) => {
                    err.push_str(&format!(
                        "mkdir: cannot create directory '{a}': Not a directory\n"
                    ));
                    code = 1;
                    continue;
                }
                _ => {}
            }
            // Every missing directory on the way down, or only the last one.
            let mut missing = Vec::new();
            let mut cur = full.as_str();
            loop {
                match self.kind(cur) {
                    Kind::Dir => break,
                    Kind::File(_) => {
                        missing.clear();
                        err.push_str(&format!(
                            "mkdir: cannot create directory '{a}': Not a directory\n"
                        ));
                        code = 1;
                        break;
                    }
                    Kind::Missing => missing.push(cur.to_owned()),
                }
                match cur.rsplit_once('/') {
                    Some(("", _)) | None => break,
                    Some((up, _)) => cur = up,
                }
            }
            if missing.len() > 1 && !parents {
                err.push_str(&format!(
                    "mkdir: cannot create directory '{a}': No such file or directory\n"
                ));
                code = 1;
                continue;
            }
            for d in missing {
                self.fs.insert(d, Node::Dir { mode: 0o755 });
            }
        }
        code
    }

    fn rm(&mut self, args: &[&str], err: &mut String) -> i32 {
        let flags: String = args
            .iter()
            .filter(|a| a.starts_with('-'))
            .flat_map(|a| a.chars())
            .collect();
        let recursive = flags.contains('r') || flags.contains('R');
        let force = flags.contains('f');
        let mut code = 0;
        for a in args.iter().filter(|a| !a.starts_with('-')) {
            let full = self.path(a);
            // A link is removed itself, not what it points to.
            let is_link = matches!(self.fs.get(&full), Some(Node::Symlink { .. }));
            if is_link {
                self.fs.remove(&full);
                continue;
            }
            match self.kind(&full) {
                Kind::Missing if force => {}
                Kind::Missing => {
                    err.push_str(&format!(
                        "rm: cannot remove '{a}': No such file or directory\n"
                    ));
                    code = 1;
                }
                Kind::Dir if !recursive => {
                    err.push_str(&format!("rm: cannot remove '{a}': Is a directory\n"));
                    code = 1;
                }
                Kind::Dir => {
                    if full == "/" {
                        err.push_str("rm: refusing to remove '/'\n");
                        code = 1;
                        continue;
                    }
                    let prefix = format!("{full}/");
                    self.fs.retain(|k, _| *k != full && !k.starts_with(&prefix));
                }
                Kind::File(_) => {
                    self.fs.remove(&full);
                }
            }
        }
        code
    }

    fn touch(&mut self, args: &[&str], err: &mut String) -> i32 {
        let mut code = 0;
        for a in args.iter().filter(|a| !a.starts_with('-')) {
            if matches!(self.kind(&self.path(a)), Kind::Missing) {
                if let Err(e) = self.write_file(a, b"", true) {
                    err.push_str(&format!("touch: cannot touch '{a}': {e}\n"));
                    code = 1;
                }
            }
        }
        code
    }
}

/// `test` / `[ … ]`: `-e`, `-f`, `-d`, `-s`, `-n`, `-z`, `=`, `!=`, and `!`.
fn test(sh: &Shell<'_>, args: &[&str]) -> i32 {
    let (negate, args) = match args.split_first() {
        Some((&"!", rest)) => (true, rest),
        _ => (false, args),
    };
    let truth = match args {
        [] => false,
        [s] => !s.is_empty(),
        ["-n", s] => !s.is_empty(),
        ["-z", s] => s.is_empty(),
        [op @ ("-e" | "-f" | "-d" | "-s"), p] => match (sh.kind(&sh.path(p)), *op) {
            (Kind::Missing, _) => false,
            (_, "-e") => true,
            (Kind::Dir, "-d") => true,
            (Kind::File(_), "-f") => true,
            (Kind::File(node), "-s") => match node {
                Node::File { data, .. } => !data.is_empty(),
                Node::Generated { len, .. } => *len > 0,
                _ => false,
            },
            _ => false,
        },
        [a, "=", b] | [a, "==", b] => a == b,
        [a, "!=", b] => a != b,
        _ => return 2,
    };
    i32::from(truth == negate)
}

/// Whether `path` is `dir` or below it.
fn under(path: &str, dir: &str) -> bool {
    dir == "/"
        || path == dir
        || path
            .strip_prefix(dir)
            .is_some_and(|rest| rest.starts_with('/'))
}

fn print_env(call: &ExecCall, sink: &mut String) {
    for (k, v) in &call.env {
        if let Some(v) = v {
            sink.push_str(k);
            sink.push('=');
            sink.push_str(v);
            sink.push('\n');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(cmd: &[&str]) -> ExecOutcome {
        let call = ExecCall {
            command: cmd.iter().map(|s| s.to_string()).collect(),
            ..ExecCall::default()
        };
        run_builtin(&call)
    }

    #[test]
    fn builtins() {
        assert_eq!(
            run(&["echo", "hello", "world"]),
            ExecOutcome::success("hello world\n")
        );
        assert_eq!(run(&["true"]).exit_code, Some(0));
        let f = run(&["false"]);
        assert_eq!((f.exit_code, f.status.as_str()), (Some(1), "failed"));
        assert_eq!(run(&["sh", "-c", "exit 3"]).exit_code, Some(3));
        assert_eq!(run(&["bash", "-c", "echo 'a  b'"]).stdout, "a  b\n");
        assert_eq!(run(&["sleep", "10"]).exit_code, Some(0));
        let nf = run(&["nope", "x"]);
        assert_eq!(nf.exit_code, Some(127));
        assert!(
            nf.stderr.starts_with("nope: command not found"),
            "{}",
            nf.stderr
        );
        assert!(nf.stderr.contains("FakeIslo::on_exec"), "{}", nf.stderr);
        assert_eq!(nf.status, "failed");
        let s = run(&["sh", "-c", "echo out; echo err >&2; exit 4"]);
        assert_eq!(
            (s.stdout.as_str(), s.stderr.as_str(), s.exit_code),
            ("out\n", "err\n", Some(4))
        );
        let s = run(&["sh", "-c", "false && echo no || echo yes"]);
        assert_eq!(s.stdout, "yes\n");
        assert_eq!(run(&["/bin/echo", "-n", "x"]).stdout, "x");
    }

    fn sh(fs: &mut Fs, script: &str) -> ExecOutcome {
        let call = ExecCall {
            command: vec!["sh".into(), "-c".into(), script.into()],
            ..ExecCall::default()
        };
        super::run(&call, fs)
    }

    fn text(fs: &Fs, path: &str) -> Option<String> {
        fs.get(path)
            .and_then(Node::contents)
            .map(|b| String::from_utf8(b).unwrap())
    }

    #[test]
    fn redirection_writes_and_appends_files() {
        let mut fs = Fs::new();
        let o = sh(
            &mut fs,
            "echo one > a.txt; echo two >> a.txt; echo 'x > y' >b",
        );
        assert_eq!((o.exit_code, o.stdout.as_str()), (Some(0), ""), "{o:?}");
        assert_eq!(text(&fs, "/workspace/a.txt").as_deref(), Some("one\ntwo\n"));
        assert_eq!(text(&fs, "/workspace/b").as_deref(), Some("x > y\n"));
        let o = sh(&mut fs, "cat a.txt b /workspace/a.txt");
        assert_eq!(o.stdout, "one\ntwo\nx > y\none\ntwo\n");
        // Truncation, stderr redirection, /dev/null, 2>&1.
        let o = sh(
            &mut fs,
            "echo new > a.txt; cat nope 2> err.txt; cat nope 2>/dev/null; cat nope 2>&1",
        );
        assert_eq!(text(&fs, "/workspace/a.txt").as_deref(), Some("new\n"));
        assert_eq!(
            text(&fs, "/workspace/err.txt").as_deref(),
            Some("cat: nope: No such file or directory\n")
        );
        assert_eq!(o.stdout, "cat: nope: No such file or directory\n");
        assert_eq!((o.stderr.as_str(), o.exit_code), ("", Some(1)));
        // Redirections apply left to right: `> f 2>&1` sends both streams to `f`, and
        // `2>&1 > f` sends stderr where stdout was (the output) and stdout to `f`.
        let o = sh(
            &mut fs,
            "echo out > both.txt 2>&1; cat nope >> both.txt 2>&1",
        );
        assert_eq!((o.stdout.as_str(), o.stderr.as_str()), ("", ""), "{o:?}");
        assert_eq!(
            text(&fs, "/workspace/both.txt").as_deref(),
            Some("out\ncat: nope: No such file or directory\n")
        );
        let o = sh(&mut fs, "cat nope 2>&1 > only-out.txt");
        assert_eq!(o.stdout, "cat: nope: No such file or directory\n", "{o:?}");
        assert_eq!(text(&fs, "/workspace/only-out.txt").as_deref(), Some(""));
        let o = sh(&mut fs, "echo loud 2>/dev/null >&2");
        assert_eq!((o.stdout.as_str(), o.stderr.as_str()), ("", ""), "{o:?}");
        // Writing into a directory that does not exist fails like a shell.
        let o = sh(&mut fs, "echo x > missing/dir/f");
        assert_eq!(o.exit_code, Some(1));
        assert!(o.stderr.contains("No such file or directory"), "{o:?}");
        assert!(!fs.contains_key("/workspace/missing/dir/f"));
    }

    #[test]
    fn mkdir_ls_rm_touch_test_cd() {
        let mut fs = Fs::new();
        let o = sh(&mut fs, "mkdir a/b");
        assert_eq!(o.exit_code, Some(1), "{o:?}");
        let o = sh(
            &mut fs,
            "mkdir -p a/b/c && touch a/f .hidden && echo hi > a/b/g && ls && ls -a && ls a a/b/g",
        );
        assert_eq!(o.exit_code, Some(0), "{o:?}");
        assert_eq!(o.stdout, "a\n.hidden\na\na/b/g\n\na:\nb\nf\n");
        assert_eq!(sh(&mut fs, "mkdir a").exit_code, Some(1));
        assert_eq!(sh(&mut fs, "mkdir -p a").exit_code, Some(0));
        let o = sh(&mut fs, "ls nope");
        assert_eq!(o.exit_code, Some(2));
        assert_eq!(
            o.stderr,
            "ls: cannot access 'nope': No such file or directory\n"
        );
        let o = sh(
            &mut fs,
            "test -d a/b && [ -f a/f ] && test ! -e a/zz && echo yes",
        );
        assert_eq!(o.stdout, "yes\n", "{o:?}");
        assert_eq!(sh(&mut fs, "test -s a/f").exit_code, Some(1));
        let o = sh(&mut fs, "cd a/b && pwd && cat g && cd nope");
        assert_eq!(o.stdout, "/workspace/a/b\nhi\n");
        assert_eq!(o.exit_code, Some(1));
        let o = sh(&mut fs, "rm a");
        assert_eq!(
            (o.exit_code, o.stderr.as_str()),
            (Some(1), "rm: cannot remove 'a': Is a directory\n")
        );
        assert_eq!(sh(&mut fs, "rm nope").exit_code, Some(1));
        assert_eq!(sh(&mut fs, "rm -f nope").exit_code, Some(0));
        assert_eq!(sh(&mut fs, "rm -rf a && rm .hidden").exit_code, Some(0));
        assert!(fs.is_empty(), "{fs:?}");
        // The scratch file system of ExecOutcome::builtin is empty and thrown away.
        assert_eq!(run(&["sh", "-c", "echo x > f; cat f"]).stdout, "x\n");
        assert_eq!(run(&["cat", "f"]).exit_code, Some(1));
    }

    #[test]
    fn cat_follows_links_and_refuses_huge_generated_files() {
        let mut fs = Fs::new();
        fs.insert(
            "/workspace/t".into(),
            Node::file(Bytes::from_static(b"target\n")),
        );
        fs.insert("/workspace/l".into(), Node::Symlink { target: "t".into() });
        fs.insert(
            "/workspace/big".into(),
            Node::Generated {
                len: 1 << 40,
                seed: 1,
                mode: 0o644,
            },
        );
        assert_eq!(sh(&mut fs, "cat l").stdout, "target\n");
        let o = sh(&mut fs, "cat big");
        assert_eq!(o.exit_code, Some(1));
        assert!(o.stderr.contains("more than"), "{o:?}");
        // rm on a link removes the link only.
        sh(&mut fs, "rm l");
        assert!(fs.contains_key("/workspace/t") && !fs.contains_key("/workspace/l"));
    }
}
