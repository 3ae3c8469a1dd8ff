//! `cargo xtask`: see the `xtask` library for the tasks.

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    xtask::cli(&args)
}
