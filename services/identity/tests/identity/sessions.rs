//! Sessions: refresh rotation and family revocation, idle and absolute timeouts
//! (moved with the test clock), logout, and sessions ending when an account is
//! disabled or its password changes.

use canopy_kit::clock::Clock as _;
use canopy_sdk::proto::canopy::identity::v1::{
    ChangePasswordRequest, DisableUserRequest, EnableUserRequest, GetCurrentUserRequest, LoginRequest, LogoutRequest,
    RefreshSessionRequest, SessionTokens,
};
use canopy_sdk::proto::canopy::options::v1::Role;
use chrono::Duration;
use tonic::Code;

use crate::support::{ADMIN_EMAIL, Harness, assert_status, strong_password};

async fn refresh(harness: &Harness, refresh_token: &str) -> Result<SessionTokens, tonic::Status> {
    harness
        .auth(None)
        .await
        .refresh_session(RefreshSessionRequest { refresh_token: refresh_token.into() })
        .await
        .map(|response| response.into_inner().session.expect("session"))
}

async fn current_user(harness: &Harness, access_token: &str) -> Result<String, tonic::Status> {
    harness
        .auth(Some(access_token))
        .await
        .get_current_user(GetCurrentUserRequest {})
        .await
        .map(|response| response.into_inner().user.expect("user").email)
}

#[tokio::test]
async fn refresh_rotates_and_a_reused_refresh_token_ends_the_whole_session() {
    let harness = Harness::start().await;
    let first = harness.admin_tokens().await;
    assert_eq!(current_user(&harness, &first.access_token).await.unwrap(), ADMIN_EMAIL);

    harness.env.clock.advance(Duration::seconds(5));
    let second = refresh(&harness, &first.refresh_token).await.unwrap();
    assert_ne!(second.refresh_token, first.refresh_token);
    assert_ne!(second.access_token, first.access_token);
    assert_eq!(second.session_expire_time, first.session_expire_time, "refresh never extends the absolute end");
    assert_eq!(current_user(&harness, &second.access_token).await.unwrap(), ADMIN_EMAIL);

    // The first refresh token again: someone copied it. The family ends.
    let reused = refresh(&harness, &first.refresh_token).await;
    assert_status(reused, Code::Unauthenticated, Some("unauthenticated: invalid or expired refresh token"));
    assert_status(current_user(&harness, &second.access_token).await, Code::Unauthenticated, None);
    assert_status(current_user(&harness, &first.access_token).await, Code::Unauthenticated, None);
    assert_status(refresh(&harness, &second.refresh_token).await, Code::Unauthenticated, None);
    assert!(harness.event_kinds().await.contains(&"refresh_token_reused".to_string()));

    // Garbage and empty tokens are refused too.
    assert_status(refresh(&harness, "not-a-token").await, Code::Unauthenticated, None);
    let empty = assert_status(refresh(&harness, "").await, Code::InvalidArgument, None);
    assert_eq!(crate::support::violated_fields(&empty), ["refresh_token"]);
}

#[tokio::test]
async fn a_session_ends_after_thirty_idle_minutes_and_refreshing_keeps_it_alive() {
    let harness = Harness::start().await;
    let mut tokens = harness.admin_tokens().await;
    for _ in 0..3 {
        harness.env.clock.advance(Duration::minutes(29));
        tokens = refresh(&harness, &tokens.refresh_token).await.expect("refreshed within the idle timeout");
    }
    assert_eq!(current_user(&harness, &tokens.access_token).await.unwrap(), ADMIN_EMAIL);

    harness.env.clock.advance(Duration::minutes(30) + Duration::seconds(1));
    assert_status(refresh(&harness, &tokens.refresh_token).await, Code::Unauthenticated, None);
    assert_status(current_user(&harness, &tokens.access_token).await, Code::Unauthenticated, None);
}

#[tokio::test]
async fn a_session_ends_twelve_hours_after_sign_in_however_often_it_is_refreshed() {
    let harness = Harness::start().await;
    let started = harness.env.clock.now();
    let mut tokens = harness.admin_tokens().await;
    let session_end = tokens.session_expire_time.expect("session end");
    assert_eq!(session_end.seconds, (started + Duration::hours(12)).timestamp());

    let mut elapsed = Duration::zero();
    while elapsed + Duration::minutes(20) < Duration::hours(12) {
        harness.env.clock.advance(Duration::minutes(20));
        elapsed += Duration::minutes(20);
        tokens = refresh(&harness, &tokens.refresh_token).await.expect("refreshed before the absolute end");
    }
    assert_eq!(current_user(&harness, &tokens.access_token).await.unwrap(), ADMIN_EMAIL);
    harness.env.clock.advance(Duration::hours(12) - elapsed + Duration::seconds(1));
    assert_status(refresh(&harness, &tokens.refresh_token).await, Code::Unauthenticated, None);
    assert_status(current_user(&harness, &tokens.access_token).await, Code::Unauthenticated, None);
}

#[tokio::test]
async fn logout_ends_the_session_at_once() {
    let harness = Harness::start().await;
    let tokens = harness.admin_tokens().await;
    let other = harness.admin_tokens().await;
    harness.auth(Some(&tokens.access_token)).await.logout(LogoutRequest {}).await.unwrap();

    assert_status(
        current_user(&harness, &tokens.access_token).await,
        Code::Unauthenticated,
        Some("unauthenticated: invalid or expired credentials"),
    );
    assert_status(refresh(&harness, &tokens.refresh_token).await, Code::Unauthenticated, None);
    // Only that session: another sign-in of the same user still works.
    assert_eq!(current_user(&harness, &other.access_token).await.unwrap(), ADMIN_EMAIL);
    // Without credentials, logout is refused.
    assert_status(harness.auth(None).await.logout(LogoutRequest {}).await, Code::Unauthenticated, None);
}

#[tokio::test]
async fn disabling_a_user_ends_their_sessions_at_once_and_enabling_lets_them_back() {
    let harness = Harness::start().await;
    let admin = harness.admin_tokens().await;
    let tenant = harness.new_tenant().await;
    let (user_id, password) =
        harness.create_active_user(&admin.access_token, Some(tenant), "member@acme.test", Role::Member).await;
    let member = harness.login("member@acme.test", &password).await;
    assert!(current_user(&harness, &member.access_token).await.is_ok());

    let users = || async { harness.users(&admin.access_token).await };
    users().await.disable_user(DisableUserRequest { user_id: user_id.to_string() }).await.unwrap();
    assert_status(current_user(&harness, &member.access_token).await, Code::Unauthenticated, None);
    assert_status(refresh(&harness, &member.refresh_token).await, Code::Unauthenticated, None);
    let login = harness
        .auth(None)
        .await
        .login(LoginRequest { email: "member@acme.test".into(), password: password.clone() })
        .await;
    assert_status(login, Code::Unauthenticated, Some("unauthenticated: invalid email or password"));

    users().await.enable_user(EnableUserRequest { user_id: user_id.to_string() }).await.unwrap();
    harness.login("member@acme.test", &password).await;
}

#[tokio::test]
async fn changing_the_password_can_end_every_other_session() {
    let harness = Harness::start().await;
    let admin = harness.admin_tokens().await;
    let (_, password) = harness
        .create_active_user(&admin.access_token, Some(harness.new_tenant().await), "ann@acme.test", Role::Owner)
        .await;
    let laptop = harness.login("ann@acme.test", &password).await;
    let phone = harness.login("ann@acme.test", &password).await;

    let new_password = strong_password();
    harness
        .auth(Some(&laptop.access_token))
        .await
        .change_password(ChangePasswordRequest {
            current_password: password.clone(),
            new_password: new_password.clone(),
            end_other_sessions: true,
        })
        .await
        .unwrap();
    assert!(current_user(&harness, &laptop.access_token).await.is_ok(), "the caller's session stays");
    assert_status(current_user(&harness, &phone.access_token).await, Code::Unauthenticated, None);

    let old = harness.auth(None).await.login(LoginRequest { email: "ann@acme.test".into(), password }).await;
    assert_status(old, Code::Unauthenticated, None);
    harness.login("ann@acme.test", &new_password).await;

    // A wrong current password is refused and nothing changes.
    let wrong = harness
        .auth(Some(&laptop.access_token))
        .await
        .change_password(ChangePasswordRequest {
            current_password: "not-the-password-at-all".into(),
            new_password: strong_password(),
            end_other_sessions: false,
        })
        .await;
    assert_status(wrong, Code::PermissionDenied, None);
    harness.login("ann@acme.test", &new_password).await;
}
