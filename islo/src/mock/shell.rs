//! The built-in shell: the tiny command interpreter behind `ExecOutcome::builtin`.

use super::{ExecCall, ExecOutcome};

/// Runs `call.command` with the tiny built-in shell.
pub(crate) fn run_builtin(call: &ExecCall) -> ExecOutcome {
    let mut out = Output::default();
    let code = match call.command.split_first() {
        None => {
            out.err.push_str("exec: empty command\n");
            127
        }
        Some((prog, args)) if is_shell(prog) => match script_arg(args) {
            Some(script) => run_script(call, script, &mut out),
            None => 0,
        },
        Some(_) => {
            let argv: Vec<&str> = call.command.iter().map(String::as_str).collect();
            match run_simple(call, &argv, &mut out, false) {
                Flow::Next(c) | Flow::Exit(c) => c,
            }
        }
    };
    ExecOutcome::exited(code, out.out, out.err)
}

#[derive(Default)]
struct Output {
    out: String,
    err: String,
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

/// Splits words honouring single and double quotes and backslashes.
fn words(piece: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
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
            }
            (None, '\\') => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            (None, c) => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        out.push(cur);
    }
    out
}

fn run_script(call: &ExecCall, script: &str, out: &mut Output) -> i32 {
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
        let ws = words(&piece);
        let mut to_err = false;
        let argv: Vec<&str> = ws
            .iter()
            .map(String::as_str)
            .filter(|w| {
                if matches!(*w, ">&2" | "1>&2") {
                    to_err = true;
                    false
                } else {
                    true
                }
            })
            .collect();
        if argv.is_empty() {
            continue;
        }
        match run_simple(call, &argv, out, to_err) {
            Flow::Next(c) => last = c,
            Flow::Exit(c) => return c,
        }
    }
    last
}

fn run_simple(call: &ExecCall, argv: &[&str], out: &mut Output, to_err: bool) -> Flow {
    let Some((&prog, args)) = argv.split_first() else {
        return Flow::Next(0);
    };
    let sink = if to_err { &mut out.err } else { &mut out.out };
    let code = match prog.rsplit('/').next().unwrap_or(prog) {
        "echo" => {
            let (newline, args) = match args.first() {
                Some(&"-n") => (false, &args[1..]),
                _ => (true, args),
            };
            sink.push_str(&args.join(" "));
            if newline {
                sink.push('\n');
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
            sink.push_str(call.workdir.as_deref().unwrap_or("/workspace"));
            sink.push('\n');
            0
        }
        "whoami" => {
            sink.push_str(call.user.as_deref().unwrap_or("islo"));
            sink.push('\n');
            0
        }
        "printenv" => match args.first() {
            Some(name) => match call.env.get(*name) {
                Some(Some(v)) => {
                    sink.push_str(v);
                    sink.push('\n');
                    0
                }
                _ => 1,
            },
            None => {
                print_env(call, sink);
                0
            }
        },
        "env" => {
            print_env(call, sink);
            0
        }
        _ => {
            out.err.push_str(prog);
            out.err.push_str(
                ": command not found (the fake Islo runs a few built-in commands; \
                 script any other with FakeIslo::on_exec)\n",
            );
            127
        }
    };
    Flow::Next(code)
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
}
