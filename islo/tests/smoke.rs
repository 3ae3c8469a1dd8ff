//! End-to-end smoke test of the client against the in-process fake.
#![cfg(feature = "mock")]

use islo::mock::FakeIslo;
use islo::types;

#[tokio::test]
async fn create_exec_and_delete_against_the_fake() -> Result<(), islo::Error> {
    let fake = FakeIslo::start().await.expect("fake starts");
    let islo = islo::Islo::builder()
        .ignore_env()
        .api_key(fake.api_key())
        .control_url(fake.control_url())
        .compute_url(fake.compute_url())
        .build()?;
    let sb = islo
        .create_sandbox(types::SandboxCreate {
            name: Some("smoke".into()),
            ..Default::default()
        })
        .send()
        .await?
        .into_inner();
    assert_eq!(sb.name, "smoke");
    let exec = islo
        .exec_in_sandbox(
            &sb.name,
            types::ExecRequest::new(vec!["echo".to_string(), "hi".to_string()]),
        )
        .send()
        .await?
        .into_inner();
    let result = islo
        .get_exec_result(&sb.name, &exec.exec_id)
        .send()
        .await?
        .into_inner();
    assert_eq!(result.stdout, "hi\n");
    islo.delete_sandbox(&sb.name).send().await?;
    let gone = islo.get_sandbox(&sb.name).send().await;
    let err = gone.expect_err("deleted sandbox is gone");
    assert!(err.kind() == islo::ErrorKind::NotFound, "{err}");
    assert_eq!(fake.token_exchanges(), 1);
    Ok(())
}
