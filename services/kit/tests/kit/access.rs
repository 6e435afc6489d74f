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
