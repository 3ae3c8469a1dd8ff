//! Helpers the benchmarks share: arguments, medians, memory readings, goal marks. Each
//! bench uses some of them.
#![allow(dead_code)]

/// The value after `name` on the command line.
pub fn arg(name: &str) -> Option<String> {
    std::env::args().skip_while(|a| a != name).nth(1)
}

/// The number after `name` on the command line, else `default`.
pub fn arg_usize(name: &str, default: usize) -> usize {
    arg(name).and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Whether `--quick` was given.
pub fn quick() -> bool {
    std::env::args().any(|a| a == "--quick")
}

/// Whether section `section` runs: no `--only`, or `--only section`.
pub fn only(section: &str) -> bool {
    arg("--only").is_none_or(|o| o == section)
}

/// The median (the mean of the two middle values for an even count; NaN when empty).
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let m = v.len() / 2;
    if v.is_empty() {
        f64::NAN
    } else if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
    }
}

/// `PASS` or `MISS`.
pub fn pass(ok: bool) -> &'static str {
    if ok {
        "PASS"
    } else {
        "MISS"
    }
}

/// A `kB` field of `/proc/self/status` (`VmRSS:`, `VmHWM:`), 0 when unreadable.
pub fn status_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Resets VmHWM to the current RSS (Linux >= 4.0); false if not permitted.
pub fn reset_hwm() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}
