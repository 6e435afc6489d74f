//! The error model: codes and google.rpc details callers can read.

use canopy_kit::error::{ApiError, FieldViolation, from_sqlx};
use tonic::Code;
use tonic_types::StatusExt;

#[test]
fn invalid_argument_carries_every_field_violation() {
    let status: tonic::Status = ApiError::InvalidArgument(vec![
        FieldViolation::new("site.name", "must be a DNS label"),
        FieldViolation::new("site.region", "unknown region \"mars-1\""),
    ])
    .into();
    assert_eq!(status.code(), Code::InvalidArgument);
    let details = status.get_error_details();
    let fields: Vec<String> = details.bad_request().unwrap().field_violations.iter().map(|v| v.field.clone()).collect();
    assert_eq!(fields, ["site.name", "site.region"]);
    assert_eq!(details.error_info().unwrap().reason, "INVALID_ARGUMENT");
}

#[test]
fn internal_errors_never_leak_their_cause() {
    let status: tonic::Status = ApiError::internal(anyhow::anyhow!("password=hunter2 connection reset")).into();
    assert_eq!(status.code(), Code::Internal);
    assert_eq!(status.message(), "internal error");
}

#[test]
fn resource_exhausted_carries_retry_info() {
    let status: tonic::Status = ApiError::ResourceExhausted {
        reason: "RATE_LIMITED",
        message: "too many calls".into(),
        retry_after: std::time::Duration::from_secs(7),
    }
    .into();
    let details = status.get_error_details();
    assert_eq!(details.retry_info().unwrap().retry_delay, Some(std::time::Duration::from_secs(7)));
    assert_eq!(details.error_info().unwrap().reason, "RATE_LIMITED");
}

#[tokio::test]
async fn unique_violations_map_to_already_exists() {
    let env = canopy_kit::testing::TestEnv::new().await;
    let pool = env.superuser_pool().await;
    sqlx::raw_sql("create table t (id int primary key); insert into t values (1)").execute(&pool).await.unwrap();
    let error = sqlx::query("insert into t values (1)").execute(&pool).await.unwrap_err();
    let status: tonic::Status = from_sqlx(error, "thing").into();
    assert_eq!(status.code(), Code::AlreadyExists);
    assert_eq!(status.message(), "thing already exists");
}
