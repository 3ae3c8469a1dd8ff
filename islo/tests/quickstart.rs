//! The quickstart example, run end to end against the fake.

#[path = "../examples/quickstart.rs"]
mod quickstart;

#[tokio::test]
async fn quickstart_runs_the_seed_flow_against_the_fake() {
    // CI has no ISLO_API_KEY; refuse to talk to the real service from a test.
    assert!(
        std::env::var("ISLO_API_KEY").is_err(),
        "unset ISLO_API_KEY to run this test"
    );
    let mut lines = Vec::new();
    let mut say = |l: String| lines.push(l);
    let (islo, fake) = quickstart::connect(&mut say).await.expect("connect");
    let fake = fake.expect("no key → fake");
    let stdout = quickstart::run_flow(&islo, &mut say).await.expect("flow");
    assert_eq!(stdout, "Hello from sandbox\n");
    assert!(lines[0].starts_with("No ISLO_API_KEY set: running against the built-in fake Islo"));
    assert!(
        lines.iter().any(|l| l == "   stdout: Hello from sandbox"),
        "{lines:#?}"
    );
    assert!(lines.iter().any(|l| l == "   exit code: 0"), "{lines:#?}");
    assert_eq!(lines.last().map(String::as_str), Some("Done."));
    assert!(fake.sandbox_names().is_empty(), "the sandbox was deleted");
    assert_eq!(fake.token_exchanges(), 1);
    assert_eq!(fake.requests("POST", "/sandboxes"), 1);
    assert_eq!(fake.requests("DELETE", "/sandboxes/{sandbox_name}"), 1);
}
