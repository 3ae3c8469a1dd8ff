//! The glob patterns of [`ArchiveOptions::exclude`](super::ArchiveOptions): a small matcher
//! of our own (instead of a regex engine in every application's build).
//!
//! Syntax: `?` one character and `*` any run of characters, neither crossing `/`; `**` as
//! a whole path component crosses `/` (`**/x`, `a/**/b`, `a/**`, `**`); `[abc]`, `[a-z]`,
//! `[!a-z]` / `[^a-z]` one character of (or not of) a class, never `/` (a class cannot name it); `{a,b}` either
//! alternative (no nesting); `\` makes the next character literal. A `**` next to other
//! characters of its component is a `*`.
//!
//! A pattern compiles to a tiny automaton run over the path once (Thompson's construction,
//! simulated Pike-style), so matching takes time proportional to the pattern times the
//! path, whatever the pattern: no backtracking.

use std::fmt;

/// A pattern that could not be compiled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GlobError(String);

impl fmt::Display for GlobError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// At most this many patterns come out of one pattern's `{…}` groups.
const MAX_ALTERNATIVES: usize = 1024;

#[derive(Debug, Clone)]
enum Inst {
    Char(char),
    /// Any character but `/`.
    AnyNoSlash,
    /// Any character.
    Any,
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
    /// Continue at both.
    Split(usize, usize),
    Jmp(usize),
    Match,
}

/// One compiled pattern (its `{…}` alternatives each an automaton).
#[derive(Debug, Clone)]
pub(crate) struct Glob {
    programs: Vec<Vec<Inst>>,
}

impl Glob {
    /// Compiles `pattern`.
    pub(crate) fn new(pattern: &str) -> Result<Self, GlobError> {
        let programs = expand_braces(pattern)?
            .iter()
            .map(|p| compile(p))
            .collect::<Result<_, _>>()?;
        Ok(Self { programs })
    }

    /// Whether the whole of `text` matches.
    pub(crate) fn is_match(&self, text: &str) -> bool {
        self.programs.iter().any(|p| run(p, text))
    }
}

/// Expands `{a,b}` groups into separate patterns (escapes kept for `compile`).
pub(crate) fn expand_braces(pattern: &str) -> Result<Vec<String>, GlobError> {
    let mut out = vec![String::new()];
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let next = chars
                    .next()
                    .ok_or_else(|| GlobError(format!("dangling `\\` in `{pattern}`")))?;
                for p in &mut out {
                    p.push('\\');
                    p.push(next);
                }
            }
            '[' => {
                // A class is copied whole: `{`, `,` and `}` inside it are literal.
                let class = read_class(&mut chars, pattern)?;
                for p in &mut out {
                    p.push_str(&class);
                }
            }
            '{' => {
                let mut alternatives = vec![String::new()];
                loop {
                    match chars.next() {
                        None => return Err(GlobError(format!("unclosed `{{` in `{pattern}`"))),
                        Some('}') => break,
                        Some(',') => alternatives.push(String::new()),
                        Some('{') => {
                            return Err(GlobError(format!("nested `{{` in `{pattern}`")));
                        }
                        Some('[') => {
                            let class = read_class(&mut chars, pattern)?;
                            if let Some(a) = alternatives.last_mut() {
                                a.push_str(&class);
                            }
                        }
                        Some('\\') => {
                            let next = chars.next().ok_or_else(|| {
                                GlobError(format!("dangling `\\` in `{pattern}`"))
                            })?;
                            if let Some(a) = alternatives.last_mut() {
                                a.push('\\');
                                a.push(next);
                            }
                        }
                        Some(c) => {
                            if let Some(a) = alternatives.last_mut() {
                                a.push(c);
                            }
                        }
                    }
                }
                if out.len().saturating_mul(alternatives.len()) > MAX_ALTERNATIVES {
                    return Err(GlobError(format!(
                        "`{pattern}` has more than {MAX_ALTERNATIVES} alternatives"
                    )));
                }
                out = out
                    .iter()
                    .flat_map(|p| alternatives.iter().map(move |a| format!("{p}{a}")))
                    .collect();
            }
            '}' => return Err(GlobError(format!("unopened `}}` in `{pattern}`"))),
            c => {
                for p in &mut out {
                    p.push(c);
                }
            }
        }
    }
    Ok(out)
}

/// Reads a `[…]` class whose `[` was just taken, and returns it whole, `[` included.
fn read_class(chars: &mut std::str::Chars<'_>, pattern: &str) -> Result<String, GlobError> {
    let mut class = String::from('[');
    let mut first = true;
    loop {
        let c = chars
            .next()
            .ok_or_else(|| GlobError(format!("unclosed `[` in `{pattern}`")))?;
        class.push(c);
        if c == ']' && !first {
            return Ok(class);
        }
        if !(first && (c == '!' || c == '^')) {
            first = false;
        }
    }
}

/// Appends "any run of `one`" (a Kleene star over one instruction).
fn star(prog: &mut Vec<Inst>, one: Inst) {
    let at = prog.len();
    prog.push(Inst::Split(at + 1, at + 3));
    prog.push(one);
    prog.push(Inst::Jmp(at));
}

/// Appends `(.*/)?`: nothing, or anything ending in `/`.
fn optional_dirs(prog: &mut Vec<Inst>) {
    let at = prog.len();
    // Split to the star below, or past the whole group (patched once its end is known).
    prog.push(Inst::Split(at + 1, usize::MAX));
    star(prog, Inst::Any);
    prog.push(Inst::Char('/'));
    let end = prog.len();
    prog[at] = Inst::Split(at + 1, end);
}

fn compile(pattern: &str) -> Result<Vec<Inst>, GlobError> {
    let mut prog = Vec::new();
    let components: Vec<&str> = pattern.split('/').collect();
    let last = components.len() - 1;
    for (i, comp) in components.iter().enumerate() {
        if *comp == "**" {
            match (i == 0, i == last) {
                // `**` alone: anything.
                (true, true) => star(&mut prog, Inst::Any),
                // `**/rest`: any leading directories, or none.
                (true, false) => optional_dirs(&mut prog),
                // `dir/**`: everything below (the `/` was emitted after `dir`).
                (false, true) => star(&mut prog, Inst::Any),
                // `a/**/b`: the `/` after `a` is emitted; then any directories or none.
                (false, false) => optional_dirs(&mut prog),
            }
            continue;
        }
        component(&mut prog, comp, pattern)?;
        if i != last {
            prog.push(Inst::Char('/'));
        }
    }
    prog.push(Inst::Match);
    Ok(prog)
}

/// Appends one path component that is not a bare `**`.
fn component(prog: &mut Vec<Inst>, comp: &str, pattern: &str) -> Result<(), GlobError> {
    let mut chars = comp.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(n) => prog.push(Inst::Char(n)),
                None => return Err(GlobError(format!("dangling `\\` in `{pattern}`"))),
            },
            '?' => prog.push(Inst::AnyNoSlash),
            '*' => {
                while chars.peek() == Some(&'*') {
                    chars.next();
                }
                star(prog, Inst::AnyNoSlash);
            }
            '[' => {
                let negated = matches!(chars.peek(), Some('!' | '^'));
                if negated {
                    chars.next();
                }
                let mut ranges = Vec::new();
                let mut first = true;
                loop {
                    let c = match chars.next() {
                        None => return Err(GlobError(format!("unclosed `[` in `{pattern}`"))),
                        Some(']') if !first => break,
                        Some(c) => c,
                    };
                    first = false;
                    let lo = c;
                    if chars.peek() == Some(&'-') {
                        let mut ahead = chars.clone();
                        ahead.next();
                        match ahead.peek() {
                            Some(&hi) if hi != ']' => {
                                chars.next();
                                chars.next();
                                if hi < lo {
                                    return Err(GlobError(format!(
                                        "range `{lo}-{hi}` is backwards in `{pattern}`"
                                    )));
                                }
                                ranges.push((lo, hi));
                                continue;
                            }
                            _ => {}
                        }
                    }
                    ranges.push((lo, lo));
                }
                prog.push(Inst::Class { negated, ranges });
            }
            c => prog.push(Inst::Char(c)),
        }
    }
    Ok(())
}

/// Adds `pc` and everything reachable from it without input to `set`.
fn add(prog: &[Inst], set: &mut Vec<usize>, seen: &mut [bool], pc: usize) {
    let mut stack = vec![pc];
    while let Some(pc) = stack.pop() {
        if pc >= prog.len() || seen[pc] {
            continue;
        }
        seen[pc] = true;
        match prog[pc] {
            Inst::Split(a, b) => {
                stack.push(b);
                stack.push(a);
            }
            Inst::Jmp(a) => stack.push(a),
            _ => set.push(pc),
        }
    }
}

fn run(prog: &[Inst], text: &str) -> bool {
    let mut current = Vec::with_capacity(prog.len());
    let mut next = Vec::with_capacity(prog.len());
    let mut seen = vec![false; prog.len()];
    add(prog, &mut current, &mut seen, 0);
    for c in text.chars() {
        if current.is_empty() {
            return false;
        }
        seen.iter_mut().for_each(|s| *s = false);
        next.clear();
        for &pc in &current {
            let ok = match &prog[pc] {
                Inst::Char(x) => *x == c,
                Inst::AnyNoSlash => c != '/',
                Inst::Any => true,
                Inst::Class { negated, ranges } => {
                    c != '/' && ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi) != *negated
                }
                Inst::Split(..) | Inst::Jmp(_) | Inst::Match => false,
            };
            if ok {
                add(prog, &mut next, &mut seen, pc + 1);
            }
        }
        std::mem::swap(&mut current, &mut next);
    }
    current.iter().any(|&pc| matches!(prog[pc], Inst::Match))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, text: &str) -> bool {
        Glob::new(pattern).unwrap().is_match(text)
    }

    #[test]
    fn stars_and_question_marks_stay_within_a_component() {
        assert!(m("*.log", "a.log") && m("*.log", ".log") && !m("*.log", "d/a.log"));
        assert!(m("a?c", "abc") && !m("a?c", "a/c") && !m("a?c", "ac"));
        assert!(m("src/*.tmp", "src/x.tmp") && !m("src/*.tmp", "src/a/x.tmp"));
        assert!(m("*", "anything") && !m("*", "a/b"));
        assert!(
            m("a**b", "axxb") && !m("a**b", "a/b"),
            "`**` inside a component is `*`"
        );
        assert!(m("é*", "été"), "characters, not bytes");
    }

    #[test]
    fn double_stars_cross_directories_as_whole_components() {
        assert!(m("**", "a/b/c") && m("**", ""));
        assert!(m("**/x", "x") && m("**/x", "a/b/x") && !m("**/x", "ax"));
        assert!(m("a/**/b", "a/b") && m("a/**/b", "a/x/y/b") && !m("a/**/b", "ab"));
        assert!(m("out/**", "out/a") && m("out/**", "out/a/b") && !m("out/**", "outx/a"));
        assert!(
            !m("out/**", "out"),
            "the directory itself is added by the excluder"
        );
    }

    #[test]
    fn classes_braces_and_escapes() {
        assert!(m("[abc].rs", "b.rs") && !m("[abc].rs", "d.rs"));
        assert!(m("[a-c]x", "bx") && !m("[a-c]x", "dx"));
        assert!(m("[!a-c]x", "dx") && !m("[!a-c]x", "ax") && m("[^a]", "b"));
        assert!(m("[]]", "]") && m("[a-]", "-") && m("[!]]", "x"));
        assert!(m("*.{rs,toml}", "a.rs") && m("*.{rs,toml}", "Cargo.toml"));
        assert!(!m("*.{rs,toml}", "a.md"));
        assert!(m("{a,b}/{c,d}", "b/c") && m("x{,y}", "x") && m("x{,y}", "xy"));
        assert!(m("\\*", "*") && !m("\\*", "a") && m("a\\{b", "a{b"));
        assert!(
            m("[{]", "{") && m("{[,],x}", ","),
            "braces and commas in classes"
        );
    }

    #[test]
    fn bad_patterns_are_refused() {
        // A class cannot hold `/` (paths split there first, so its `[` is left unclosed).
        for bad in ["[abc", "{a,b", "a}", "{a,{b}}", "x\\", "[z-a]", "a[/]b"] {
            assert!(Glob::new(bad).is_err(), "{bad}");
        }
        let many = "{a,b}".repeat(11);
        assert!(Glob::new(&many).unwrap_err().0.contains("alternatives"));
    }

    #[test]
    fn matching_is_linear_without_backtracking() {
        // Exponential for a backtracking matcher; one pass here.
        let pattern = "*a*a*a*a*a*a*a*a*a*a*a*a*b";
        let text = "a".repeat(4096);
        assert!(!m(pattern, &text));
        let deep = "a/".repeat(2000) + "x";
        assert!(m("**/**/**/**/x", &deep));
    }
}
