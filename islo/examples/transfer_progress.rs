//! A file up and back down with a progress bar on the terminal.
//!
//! ```text
//! cargo run --example transfer_progress [FILE]
//! ```
//!
//! Without a file it makes an 8 MiB one in a temporary folder.

mod support;

use islo::files::{Direction, Progress};
use islo::sandbox::SandboxSpec;
use std::io::{IsTerminal as _, Write as _};

/// Draws `[#####-----]  42%  3.4 MiB` on one terminal line (only on a terminal).
fn draw(p: Progress) {
    if !std::io::stderr().is_terminal() {
        return;
    }
    let arrow = match p.direction {
        Direction::Upload => "up  ",
        Direction::Download => "down",
    };
    let mib = p.bytes as f64 / (1024.0 * 1024.0);
    let mut line = format!("\r{arrow} ");
    match p.total {
        Some(total) if total > 0 => {
            let done = (p.bytes.min(total) * 30 / total) as usize;
            line.push_str(&format!(
                "[{}{}] {:>3}% ",
                "#".repeat(done),
                "-".repeat(30 - done),
                p.bytes.min(total) * 100 / total
            ));
        }
        _ => line.push_str("[ ... ] "),
    }
    line.push_str(&format!("{mib:.1} MiB"));
    let mut err = std::io::stderr();
    if p.total.is_some_and(|t| p.bytes >= t) {
        line.push('\n');
    }
    let _ = err.write_all(line.as_bytes());
    let _ = err.flush();
}

#[tokio::main]
async fn main() -> islo::Result<()> {
    let (islo, fake) = support::connect().await?;
    let scratch = std::env::temp_dir().join(format!("islo-progress-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).map_err(|source| islo::Error::Io {
        context: "making a scratch folder".into(),
        source,
    })?;
    let local = match std::env::args().nth(1) {
        Some(path) => std::path::PathBuf::from(path),
        None => {
            let path = scratch.join("data.bin");
            let data: Vec<u8> = (0..8 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
            std::fs::write(&path, data).map_err(|source| islo::Error::Io {
                context: "writing the sample file".into(),
                source,
            })?;
            path
        }
    };
    let back = scratch.join("back.bin");
    let result = islo
        .with_sandbox(SandboxSpec::new(), |sb| {
            let (local, back) = (local.clone(), back.clone());
            async move {
                let sb = sb.with_progress(draw);
                sb.upload_file(&local, "/workspace/data.bin").await?;
                let n = sb.download_file("/workspace/data.bin", &back).await?;
                Ok::<_, islo::Error>(n)
            }
        })
        .await;
    let n = result?;
    let same = std::fs::read(&local).ok() == std::fs::read(&back).ok();
    println!("{n} bytes up and back; identical: {same}");
    let _ = std::fs::remove_dir_all(&scratch);
    if let Some(fake) = fake {
        assert!(same);
        assert!(fake.sandbox_names().is_empty());
    }
    Ok(())
}
