//! Users: roles and tenants, cross-tenant ids that look like random ones, bad input
//! refused with the field named and nothing written, invitations, resets and paging.

use canopy_sdk::proto::canopy::common::v1::PageRequest;
use canopy_sdk::proto::canopy::identity::v1::{
    ChangePasswordRequest, CreateUserRequest, DeleteUserRequest, DisableUserRequest, GetCurrentUserRequest,
    GetUserRequest, IssuePasswordResetRequest, ListUsersRequest, RotateSigningKeyRequest, SetPasswordWithTokenRequest,
    UnlockUserRequest, UpdateUserRoleRequest, UserStatus,
};
use canopy_sdk::proto::canopy::options::v1::Role;
use tonic::Code;
use uuid::Uuid;

use crate::support::{Harness, assert_status, strong_password, violated_fields};

fn create(tenant: Option<Uuid>, email: &str, display_name: &str, role: i32) -> CreateUserRequest {
    CreateUserRequest {
        tenant_id: tenant.map(|t| t.to_string()).unwrap_or_default(),
        email: email.into(),
        display_name: display_name.into(),
        role,
    }
}

#[tokio::test]
async fn customers_calling_admin_methods_are_denied() {
    let harness = Harness::start().await;
    let admin = harness.admin_tokens().await;
    let tenant = harness.new_tenant().await;
    let (_, member_password) =
        harness.create_active_user(&admin.access_token, Some(tenant), "member@acme.test", Role::Member).await;
    let member = harness.login("member@acme.test", &member_password).await;
    let (_, _, _, owner) = harness.owner_of_new_tenant("owner@acme.test").await;

    let as_member = harness
        .users(&member.access_token)
        .await
        .create_user(create(None, "x@acme.test", "X", Role::Viewer as i32))
        .await;
    assert_status(as_member, Code::PermissionDenied, None);
    let list = harness.users(&member.access_token).await.list_users(ListUsersRequest::default()).await;
    assert_status(list, Code::PermissionDenied, None);
    let rotate = harness.credentials(&owner.access_token).await.rotate_signing_key(RotateSigningKeyRequest {}).await;
    assert_status(rotate, Code::PermissionDenied, None);
    // An owner cannot create platform users (naming no tenant means their own).
    let platform_role = harness
        .users(&owner.access_token)
        .await
        .create_user(create(None, "op@acme.test", "Op", Role::PlatformOperator as i32))
        .await;
    assert_eq!(violated_fields(&assert_status(platform_role, Code::InvalidArgument, None)), ["role"]);
}

#[tokio::test]
async fn another_tenants_ids_look_exactly_like_ids_that_do_not_exist() {
    let harness = Harness::start().await;
    let (tenant_a, _, _, owner_a) = harness.owner_of_new_tenant("owner-a@acme.test").await;
    let (tenant_b, owner_b_id, owner_b_password, _) = harness.owner_of_new_tenant("owner-b@beta.test").await;
    let _ = tenant_a;
    let random = Uuid::new_v4().to_string();
    let theirs = owner_b_id.to_string();
    let mut users = harness.users(&owner_a.access_token).await;

    macro_rules! same_as_random {
        ($call:ident, $make:expr) => {{
            let make = $make;
            let for_random = assert_status(users.$call(make(&random)).await, Code::NotFound, None);
            let for_theirs = assert_status(users.$call(make(&theirs)).await, Code::NotFound, None);
            assert_eq!(for_theirs.message(), for_random.message(), stringify!($call));
            assert_eq!(for_theirs.message(), "user not found");
            assert_eq!(for_theirs.details(), for_random.details(), stringify!($call));
        }};
    }
    same_as_random!(get_user, |user_id: &str| GetUserRequest { user_id: user_id.into() });
    same_as_random!(disable_user, |user_id: &str| DisableUserRequest { user_id: user_id.into() });
    same_as_random!(delete_user, |user_id: &str| DeleteUserRequest { user_id: user_id.into() });
    same_as_random!(unlock_user, |user_id: &str| UnlockUserRequest { user_id: user_id.into() });
    same_as_random!(issue_password_reset, |user_id: &str| IssuePasswordResetRequest { user_id: user_id.into() });
    same_as_random!(update_user_role, |user_id: &str| UpdateUserRoleRequest {
        user_id: user_id.into(),
        role: Role::Viewer as i32
    });

    // Naming tenant B looks like naming a tenant that does not exist.
    let named_b = users.list_users(ListUsersRequest { tenant_id: tenant_b.to_string(), ..Default::default() }).await;
    let named_random =
        users.list_users(ListUsersRequest { tenant_id: Uuid::new_v4().to_string(), ..Default::default() }).await;
    let b = assert_status(named_b, Code::NotFound, Some("customer not found"));
    assert_eq!(b.message(), assert_status(named_random, Code::NotFound, None).message());
    let create_in_b = users.create_user(create(Some(tenant_b), "spy@acme.test", "Spy", Role::Owner as i32)).await;
    assert_status(create_in_b, Code::NotFound, Some("customer not found"));

    // Owner B was not touched.
    harness.login("owner-b@beta.test", &owner_b_password).await;
    // And A's list holds only A's users.
    let listed = users.list_users(ListUsersRequest::default()).await.unwrap().into_inner();
    assert_eq!(listed.users.iter().map(|u| u.email.as_str()).collect::<Vec<_>>(), ["owner-a@acme.test"]);
}

#[tokio::test]
async fn bad_input_is_refused_naming_the_field_and_writes_nothing() {
    let harness = Harness::start().await;
    let admin = harness.admin_tokens().await;
    let tenant = Some(harness.new_tenant().await);
    let mut users = harness.users(&admin.access_token).await;
    let users_before = harness.count_rows("users").await;
    let tokens_before = harness.count_rows("password_token").await;

    let long_email = format!("{}@acme.test", "a".repeat(250));
    for email in
        ["", "not-an-email", "ann@", "@acme.test", "ann@acme", "a b@acme.test", "ann@@acme.test", long_email.as_str()]
    {
        let status = assert_status(
            users.create_user(create(tenant, email, "Ann", Role::Member as i32)).await,
            Code::InvalidArgument,
            None,
        );
        assert_eq!(violated_fields(&status), ["email"], "{email:?}");
    }
    let status =
        assert_status(users.create_user(create(tenant, "ann@acme.test", "Ann", 99)).await, Code::InvalidArgument, None);
    assert_eq!(violated_fields(&status), ["role"]);
    assert!(status.message().contains("99 is not a known role"), "{}", status.message());
    let status = assert_status(
        users.create_user(create(tenant, "ann@acme.test", &"n".repeat(101), Role::Member as i32)).await,
        Code::InvalidArgument,
        None,
    );
    assert_eq!(violated_fields(&status), ["display_name"]);
    let status = assert_status(users.create_user(create(tenant, "bad", "", 0)).await, Code::InvalidArgument, None);
    assert_eq!(violated_fields(&status), ["email", "display_name", "role"], "every violation at once");
    let status = assert_status(
        users.create_user(create(tenant, "ann@acme.test", "Ann", Role::PlatformAdmin as i32)).await,
        Code::InvalidArgument,
        None,
    );
    assert_eq!(violated_fields(&status), ["role"]);
    let status = assert_status(
        users
            .create_user(CreateUserRequest {
                tenant_id: "not-a-uuid".into(),
                ..create(None, "ann@acme.test", "Ann", 3)
            })
            .await,
        Code::InvalidArgument,
        None,
    );
    assert_eq!(violated_fields(&status), ["tenant_id"]);
    let status = assert_status(
        users.list_users(ListUsersRequest { role: 42, ..Default::default() }).await,
        Code::InvalidArgument,
        None,
    );
    assert_eq!(violated_fields(&status), ["role"]);
    let status = assert_status(
        users.list_users(ListUsersRequest { status: 7, ..Default::default() }).await,
        Code::InvalidArgument,
        None,
    );
    assert_eq!(violated_fields(&status), ["status"]);
    assert_eq!(harness.count_rows("users").await, users_before, "no user row written");
    assert_eq!(harness.count_rows("password_token").await, tokens_before, "no token row written");

    // Passwords: too short, too long, common, weak — the invitation survives each refusal.
    let invited =
        users.create_user(create(tenant, "ann@acme.test", "Ann", Role::Member as i32)).await.unwrap().into_inner();
    let mut auth = harness.auth(None).await;
    let long = "correct horse battery staple ".repeat(5)[..129].to_string();
    for password in ["Short-pw-11", long.as_str(), "Password1234", "qwertyuiop123", "aaaaaaaaaaaaaaaa"] {
        let set = auth
            .set_password_with_token(SetPasswordWithTokenRequest {
                token: invited.invitation_token.clone(),
                new_password: password.into(),
            })
            .await;
        let status = assert_status(set, Code::InvalidArgument, None);
        assert_eq!(violated_fields(&status), ["new_password"], "{password:?}");
        assert!(!status.message().contains(password), "the password is never echoed");
    }
    let user_id = invited.user.unwrap().id;
    let user = users.get_user(GetUserRequest { user_id: user_id.clone() }).await.unwrap().into_inner().user.unwrap();
    assert_eq!(user.status(), UserStatus::Invited, "still waiting for a password");
    let password = strong_password();
    auth.set_password_with_token(SetPasswordWithTokenRequest {
        token: invited.invitation_token.clone(),
        new_password: password.clone(),
    })
    .await
    .unwrap();
    let signed_in = harness.login("ann@acme.test", &password).await;

    // Unicode passwords count characters, not bytes: 12 two-byte characters pass the length rule.
    let change = harness
        .auth(Some(&signed_in.access_token))
        .await
        .change_password(ChangePasswordRequest {
            current_password: password.clone(),
            new_password: "ÿñøæ€ß¥ŧħĸłđ".into(),
            end_other_sessions: false,
        })
        .await;
    if let Err(status) = change {
        assert!(!status.message().contains("at least 12"), "{status:?}");
    }
}

#[tokio::test]
async fn emails_are_unique_ignoring_case() {
    let harness = Harness::start().await;
    let admin = harness.admin_tokens().await;
    let mut users = harness.users(&admin.access_token).await;
    users.create_user(create(Some(Uuid::new_v4()), "Ann.Lee@Acme.test", "Ann", Role::Owner as i32)).await.unwrap();
    let duplicate =
        users.create_user(create(Some(Uuid::new_v4()), "ann.lee@ACME.TEST", "Other Ann", Role::Owner as i32)).await;
    assert_status(duplicate, Code::AlreadyExists, Some("user already exists"));
    let user = users
        .list_users(ListUsersRequest { search: "ann.lee".into(), ..Default::default() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(user.users[0].email, "Ann.Lee@Acme.test", "stored as given");
}

#[tokio::test]
async fn invitations_and_resets_are_single_use_and_expire() {
    let harness = Harness::start().await;
    let admin = harness.admin_tokens().await;
    let tenant = harness.new_tenant().await;
    let (user_id, _) =
        harness.create_active_user(&admin.access_token, Some(tenant), "reset@acme.test", Role::Member).await;
    let mut users = harness.users(&admin.access_token).await;
    let mut auth = harness.auth(None).await;

    let reset = users
        .issue_password_reset(IssuePasswordResetRequest { user_id: user_id.to_string() })
        .await
        .unwrap()
        .into_inner();
    let password = strong_password();
    auth.set_password_with_token(SetPasswordWithTokenRequest {
        token: reset.reset_token.clone(),
        new_password: password.clone(),
    })
    .await
    .unwrap();
    harness.login("reset@acme.test", &password).await;
    let again = auth
        .set_password_with_token(SetPasswordWithTokenRequest {
            token: reset.reset_token,
            new_password: strong_password(),
        })
        .await;
    assert_status(again, Code::Unauthenticated, Some("unauthenticated: invalid or expired token"));

    let late = users
        .issue_password_reset(IssuePasswordResetRequest { user_id: user_id.to_string() })
        .await
        .unwrap()
        .into_inner();
    harness.env.clock.advance(chrono::Duration::hours(1) + chrono::Duration::seconds(1));
    let expired = auth
        .set_password_with_token(SetPasswordWithTokenRequest {
            token: late.reset_token,
            new_password: strong_password(),
        })
        .await;
    assert_status(expired, Code::Unauthenticated, None);
    let events = harness.event_kinds().await;
    assert!(
        events.contains(&"password_reset_issued".to_string())
            && events.contains(&"password_set_with_token".to_string())
    );
}

#[tokio::test]
async fn admins_and_owners_manage_roles_status_and_deletion_within_their_reach() {
    let harness = Harness::start().await;
    let (tenant, owner_id, _, owner) = harness.owner_of_new_tenant("boss@acme.test").await;
    let mut users = harness.users(&owner.access_token).await;
    let (member_id, member_password) =
        harness.create_active_user(&owner.access_token, None, "crew@acme.test", Role::Member).await;
    let member =
        users.get_user(GetUserRequest { user_id: member_id.to_string() }).await.unwrap().into_inner().user.unwrap();
    assert_eq!(member.tenant_id, tenant.to_string(), "an owner's users join the owner's tenant");
    let member_session = harness.login("crew@acme.test", &member_password).await;

    let promoted = users
        .update_user_role(UpdateUserRoleRequest { user_id: member_id.to_string(), role: Role::Viewer as i32 })
        .await
        .unwrap();
    assert_eq!(promoted.into_inner().user.unwrap().role(), Role::Viewer);
    // A role change ends the user's sessions so the new role applies at once.
    let old_session =
        harness.auth(Some(&member_session.access_token)).await.get_current_user(GetCurrentUserRequest {}).await;
    assert_status(old_session, Code::Unauthenticated, None);
    let me = harness.login("crew@acme.test", &member_password).await;
    let current = harness
        .auth(Some(&me.access_token))
        .await
        .get_current_user(GetCurrentUserRequest {})
        .await
        .unwrap()
        .into_inner()
        .user
        .unwrap();
    assert_eq!(
        (current.role(), current.tenant_id.as_str(), current.mfa_enabled),
        (Role::Viewer, tenant.to_string().as_str(), false)
    );

    let platform_role = users
        .update_user_role(UpdateUserRoleRequest { user_id: member_id.to_string(), role: Role::PlatformAdmin as i32 })
        .await;
    assert_eq!(violated_fields(&assert_status(platform_role, Code::InvalidArgument, None)), ["role"]);
    let own = users
        .update_user_role(UpdateUserRoleRequest { user_id: owner_id.to_string(), role: Role::Viewer as i32 })
        .await;
    assert_status(own, Code::FailedPrecondition, None);

    users.delete_user(DeleteUserRequest { user_id: member_id.to_string() }).await.unwrap();
    assert_status(users.get_user(GetUserRequest { user_id: member_id.to_string() }).await, Code::NotFound, None);
    let after_delete = harness.auth(Some(&me.access_token)).await.get_current_user(GetCurrentUserRequest {}).await;
    assert_status(after_delete, Code::Unauthenticated, None);
    let events = harness.event_kinds().await;
    assert!(events.contains(&"user_role_changed".to_string()) && events.contains(&"user_deleted".to_string()));
}

#[tokio::test]
async fn lists_page_newest_first_with_filters() {
    let harness = Harness::start().await;
    let admin = harness.admin_tokens().await;
    let tenant = harness.new_tenant().await;
    let mut users = harness.users(&admin.access_token).await;
    for n in 0..5 {
        let role = if n % 2 == 0 { Role::Member } else { Role::Viewer };
        users
            .create_user(create(Some(tenant), &format!("p{n}@acme.test"), &format!("Person {n}"), role as i32))
            .await
            .unwrap();
        harness.env.clock.advance(chrono::Duration::seconds(1));
    }
    let mut seen = Vec::new();
    let mut token = String::new();
    loop {
        let page = users
            .list_users(ListUsersRequest {
                tenant_id: tenant.to_string(),
                page: Some(PageRequest { page_size: 2, page_token: token.clone() }),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(page.page.as_ref().unwrap().total_size, 5);
        seen.extend(page.users.into_iter().map(|u| u.email));
        token = page.page.unwrap().next_page_token;
        if token.is_empty() {
            break;
        }
    }
    assert_eq!(seen, ["p4@acme.test", "p3@acme.test", "p2@acme.test", "p1@acme.test", "p0@acme.test"]);

    let viewers = users
        .list_users(ListUsersRequest { tenant_id: tenant.to_string(), role: Role::Viewer as i32, ..Default::default() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(viewers.users.len(), 2);
    let search = users
        .list_users(ListUsersRequest { search: "person 3".into(), ..Default::default() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(search.users.iter().map(|u| u.email.as_str()).collect::<Vec<_>>(), ["p3@acme.test"]);
    let literal =
        users.list_users(ListUsersRequest { search: "%".into(), ..Default::default() }).await.unwrap().into_inner();
    assert!(literal.users.is_empty(), "LIKE wildcards are taken literally");
    let invited = users
        .list_users(ListUsersRequest { status: UserStatus::Invited as i32, ..Default::default() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(invited.users.len(), 5, "the admin is active, the five are invited");
    let bad_token = users
        .list_users(ListUsersRequest {
            page: Some(PageRequest { page_size: 2, page_token: "garbage".into() }),
            ..Default::default()
        })
        .await;
    assert_eq!(violated_fields(&assert_status(bad_token, Code::InvalidArgument, None)), ["page.page_token"]);
}
