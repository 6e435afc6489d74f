//! Method policies come from the descriptor set, and a method without one is refused.

use canopy_kit::access::{AccessError, MethodPolicies};
use canopy_sdk::proto::canopy::options::v1::{Audience, RateClass};
use prost::Message;
use prost_types::{FileDescriptorProto, FileDescriptorSet, MethodDescriptorProto, ServiceDescriptorProto};

#[test]
fn every_canopy_method_has_a_valid_policy() {
    let policies = MethodPolicies::from_descriptor_set(canopy_sdk::FILE_DESCRIPTOR_SET).expect("policies load");
    let system = policies.get("/canopy.system.v1.SystemService/GetSystemInfo").expect("system policy");
    assert_eq!(system.audience(), Audience::Internal);
    assert_eq!(system.rate_class(), RateClass::None);
    assert!(policies.get("/grpc.health.v1.Health/Check").is_none());
}

#[test]
fn a_method_without_a_policy_stops_start_up() {
    // Appending encoded bytes merges repeated fields; decoding the set into
    // prost_types and re-encoding it would drop every custom option.
    let rogue = FileDescriptorSet {
        file: vec![FileDescriptorProto {
            name: Some("canopy/rogue/v1/rogue.proto".into()),
            package: Some("canopy.rogue.v1".into()),
            dependency: vec!["canopy/system/v1/system.proto".into()],
            service: vec![ServiceDescriptorProto {
                name: Some("RogueService".into()),
                method: vec![MethodDescriptorProto {
                    name: Some("Sneak".into()),
                    input_type: Some(".canopy.system.v1.GetSystemInfoRequest".into()),
                    output_type: Some(".canopy.system.v1.GetSystemInfoResponse".into()),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            syntax: Some("proto3".into()),
            ..Default::default()
        }],
    };
    let mut encoded = canopy_sdk::FILE_DESCRIPTOR_SET.to_vec();
    encoded.extend(rogue.encode_to_vec());
    let error = MethodPolicies::from_descriptor_set(&encoded).unwrap_err();
    assert!(matches!(error, AccessError::InvalidPolicy { .. }));
    assert_eq!(error.to_string(), "/canopy.rogue.v1.RogueService/Sneak: has no (canopy.options.v1.policy) option");
}

/// Names that look like secrets but are not: paging cursors, caller-chosen keys that
/// only de-duplicate retries, public keys, and ids.
const NOT_SECRETS: &[&str] = &["page_token", "next_page_token", "idempotency_key", "reservation_key", "public_key"];

/// Whether a field's name suggests it carries a secret.
fn sounds_secret(name: &str) -> bool {
    if NOT_SECRETS.contains(&name) || name.ends_with("_id") || name.ends_with("_ids") {
        return false;
    }
    let words: Vec<&str> = name.split('_').collect();
    let secret_word = |w: &&str| {
        matches!(
            *w,
            "password"
                | "passphrase"
                | "secret"
                | "token"
                | "totp"
                | "otp"
                | "otpauth"
                | "credential"
                | "credentials"
                | "recovery"
                | "env"
                | "key"
                | "private"
                | "cvc"
                | "pan"
        )
    };
    words.iter().any(secret_word)
}

#[test]
fn every_field_whose_name_suggests_a_secret_is_marked_sensitive() {
    let pool = prost_reflect::DescriptorPool::decode(canopy_sdk::FILE_DESCRIPTOR_SET).unwrap();
    let sensitive = pool.get_extension_by_name("canopy.options.v1.sensitive").expect("the sensitive option exists");
    let mut unmarked = Vec::new();
    let mut marked = 0;
    // Map entries are checked through their map field; message-typed fields through
    // the message's own fields.
    let messages = pool.all_messages().filter(|m| m.package_name().starts_with("canopy.") && !m.is_map_entry());
    for message in messages {
        for field in message.fields().filter(|f| f.is_map() || !matches!(f.kind(), prost_reflect::Kind::Message(_))) {
            let is_marked = field.options().get_extension(&sensitive).as_bool() == Some(true);
            marked += usize::from(is_marked);
            if sounds_secret(field.name()) && !is_marked {
                unmarked.push(field.full_name().to_string());
            }
        }
    }
    assert!(
        unmarked.is_empty(),
        "fields that look secret but are not marked (canopy.options.v1.sensitive): {unmarked:#?}"
    );
    assert!(marked >= 20, "only {marked} sensitive fields found: is the option read?");
}

#[test]
fn the_secret_name_check_catches_what_it_should() {
    for name in ["password", "new_password", "refresh_token", "totp_code", "recovery_codes", "client_secret", "api_key"]
    {
        assert!(sounds_secret(name), "{name}");
    }
    for name in ["page_token", "idempotency_key", "api_key_id", "display_name", "public_key", "tokenizer_name"] {
        assert!(!sounds_secret(name), "{name}");
    }
}
