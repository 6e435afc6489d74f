//! Lockout: identical answers for every refused sign-in, a lock after five failures
//! that grows, admin unlock, the per-address lock, and the hourly cap.

use canopy_kit::clock::Clock as _;
use canopy_sdk::proto::canopy::identity::v1::{
    CreateUserRequest, DisableUserRequest, GetUserRequest, LoginRequest, LoginResponse, UnlockUserRequest,
};
use canopy_sdk::proto::canopy::options::v1::Role;
use chrono::Duration;
use tonic::Code;
use tonic_types::StatusExt as _;
use uuid::Uuid;

use crate::support::{Harness, assert_status};

async fn login_from(
    harness: &Harness,
    email: &str,
    password: &str,
    address: Option<&str>,
) -> Result<LoginResponse, tonic::Status> {
    let mut request = tonic::Request::new(LoginRequest { email: email.into(), password: password.into() });
    if let Some(address) = address {
        request.metadata_mut().insert("x-forwarded-for", format!("{address}, 10.0.0.1").parse().unwrap());
    }
    harness.auth(None).await.login(request).await.map(|r| r.into_inner())
}

async fn locked_until(harness: &Harness, admin_token: &str, user_id: Uuid) -> Option<i64> {
    let user =
        harness.users(admin_token).await.get_user(GetUserRequest { user_id: user_id.to_string() }).await.unwrap();
    user.into_inner().user.unwrap().locked_until_time.map(|t| t.seconds)
}

#[tokio::test]
async fn every_refused_sign_in_gets_the_same_answer() {
    let harness = Harness::start().await;
    let admin = harness.admin_tokens().await;
    let tenant = harness.new_tenant().await;
    let (disabled_id, disabled_password) =
        harness.create_active_user(&admin.access_token, Some(tenant), "gone@acme.test", Role::Member).await;
    harness
        .users(&admin.access_token)
        .await
        .disable_user(DisableUserRequest { user_id: disabled_id.to_string() })
        .await
        .unwrap();
    harness
        .users(&admin.access_token)
        .await
        .create_user(CreateUserRequest {
            tenant_id: tenant.to_string(),
            email: "invited@acme.test".into(),
            display_name: "Invited".into(),
            role: Role::Viewer as i32,
        })
        .await
        .unwrap();

    let answers = [
        login_from(&harness, "nobody@acme.test", "some-password-123", None).await,
        login_from(&harness, crate::support::ADMIN_EMAIL, "wrong-password-123", None).await,
        login_from(&harness, "gone@acme.test", &disabled_password, None).await,
        login_from(&harness, "invited@acme.test", "some-password-123", None).await,
    ];
    let statuses: Vec<tonic::Status> = answers.into_iter().map(|a| a.expect_err("refused")).collect();
    for status in &statuses {
        assert_eq!(status.code(), Code::Unauthenticated);
        assert_eq!(status.message(), "unauthenticated: invalid email or password");
        assert_eq!(status.get_details_error_info().map(|info| info.reason), Some("UNAUTHENTICATED".to_string()));
        assert_eq!(status.details(), statuses[0].details(), "identical details");
    }
    // Email comparison ignores case.
    harness.login(&crate::support::ADMIN_EMAIL.to_uppercase(), &harness.admin_password).await;
}

#[tokio::test]
async fn five_failures_lock_the_account_the_lock_grows_and_an_admin_can_unlock() {
    let harness = Harness::start().await;
    let admin = harness.admin_tokens().await;
    let email = "target@acme.test";
    let (user_id, password) =
        harness.create_active_user(&admin.access_token, Some(harness.new_tenant().await), email, Role::Owner).await;

    for _ in 0..4 {
        assert_status(login_from(&harness, email, "wrong-password-123", None).await, Code::Unauthenticated, None);
    }
    assert_eq!(locked_until(&harness, &admin.access_token, user_id).await, None, "four failures do not lock");
    assert_status(login_from(&harness, email, "wrong-password-123", None).await, Code::Unauthenticated, None);
    let first_lock = harness.env.clock.now();
    assert_eq!(
        locked_until(&harness, &admin.access_token, user_id).await,
        Some((first_lock + Duration::minutes(15)).timestamp())
    );

    // Locked: even the right password gets the same refusal, and does not extend it.
    let refused = login_from(&harness, email, &password, None).await;
    assert_status(refused, Code::Unauthenticated, Some("unauthenticated: invalid email or password"));
    assert_eq!(
        locked_until(&harness, &admin.access_token, user_id).await,
        Some((first_lock + Duration::minutes(15)).timestamp())
    );

    // After the lock, five more failures lock for twice as long.
    harness.env.clock.advance(Duration::minutes(15) + Duration::seconds(1));
    for _ in 0..5 {
        assert_status(login_from(&harness, email, "wrong-password-123", None).await, Code::Unauthenticated, None);
    }
    let second_lock = harness.env.clock.now();
    assert_eq!(
        locked_until(&harness, &admin.access_token, user_id).await,
        Some((second_lock + Duration::minutes(30)).timestamp())
    );
    assert_status(login_from(&harness, email, &password, None).await, Code::Unauthenticated, None);

    // An administrator lifts it at once.
    let unlocked = harness
        .users(&admin.access_token)
        .await
        .unlock_user(UnlockUserRequest { user_id: user_id.to_string() })
        .await
        .unwrap()
        .into_inner();
    assert!(unlocked.user.unwrap().locked_until_time.is_none());
    harness.login(email, &password).await;

    let kinds = harness.event_kinds().await;
    assert_eq!(kinds.iter().filter(|k| *k == "account_locked").count(), 2, "{kinds:?}");
    assert!(kinds.contains(&"user_unlocked".to_string()));
    assert!(kinds.contains(&"sign_in_failed".to_string()));
}

#[tokio::test]
async fn an_address_with_too_many_failures_is_locked_for_every_account() {
    let harness = Harness::start().await;
    let attacker = "203.0.113.7";
    for n in 0..20 {
        let guess = login_from(&harness, &format!("user{n}@acme.test"), "guess-password-1", Some(attacker)).await;
        assert_status(guess, Code::Unauthenticated, None);
    }
    // The admin's right password from that address is refused; from another, it works.
    let refused = login_from(&harness, crate::support::ADMIN_EMAIL, &harness.admin_password, Some(attacker)).await;
    assert_status(refused, Code::Unauthenticated, Some("unauthenticated: invalid email or password"));
    login_from(&harness, crate::support::ADMIN_EMAIL, &harness.admin_password, Some("198.51.100.20")).await.unwrap();
    assert!(harness.event_kinds().await.contains(&"address_locked".to_string()));

    // The lock ends after fifteen minutes.
    harness.env.clock.advance(Duration::minutes(15) + Duration::seconds(1));
    login_from(&harness, crate::support::ADMIN_EMAIL, &harness.admin_password, Some(attacker)).await.unwrap();
}

#[tokio::test]
async fn no_account_takes_more_than_the_hourly_cap_of_failures() {
    // A small cap and a high lock threshold show the cap on its own.
    let harness = Harness::start_with(|env| {
        env.config.set_section_value("identity", "max_failures_per_hour", serde_json::json!(6));
        env.config.set_section_value("identity", "lockout_threshold", serde_json::json!(50));
    })
    .await;
    for _ in 0..6 {
        let guess = login_from(&harness, crate::support::ADMIN_EMAIL, "wrong-password-123", None).await;
        assert_status(guess, Code::Unauthenticated, None);
    }
    let capped = login_from(&harness, crate::support::ADMIN_EMAIL, &harness.admin_password, None).await;
    assert_status(capped, Code::Unauthenticated, Some("unauthenticated: invalid email or password"));
    harness.env.clock.advance(Duration::minutes(61));
    harness.login(crate::support::ADMIN_EMAIL, &harness.admin_password).await;
}
