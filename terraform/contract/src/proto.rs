//! The one mapping between the contract's [`CloudProvider`] and the API's
//! `canopy.common.v1.CloudProvider` (feature `proto`), so services that speak the API
//! and store provider names (sites, tenancy) never restate the provider list.

use canopy_sdk::proto::canopy::common::v1::CloudProvider as ProtoProvider;

use crate::CloudProvider;

impl CloudProvider {
    /// The provider an API value names; `None` for UNSPECIFIED.
    pub fn from_proto(provider: ProtoProvider) -> Option<Self> {
        Some(match provider {
            ProtoProvider::Unspecified => return None,
            ProtoProvider::Aws => Self::Aws,
            ProtoProvider::Azure => Self::Azure,
            ProtoProvider::Gcp => Self::Gcp,
            ProtoProvider::Digitalocean => Self::DigitalOcean,
            ProtoProvider::Akamai => Self::Akamai,
        })
    }

    /// The provider a raw enum number on the wire names; `None` for UNSPECIFIED and
    /// numbers this build does not know.
    pub fn from_proto_number(number: i32) -> Option<Self> {
        ProtoProvider::try_from(number).ok().and_then(Self::from_proto)
    }

    /// The API's value for this provider.
    pub fn to_proto(self) -> ProtoProvider {
        match self {
            Self::Aws => ProtoProvider::Aws,
            Self::Azure => ProtoProvider::Azure,
            Self::Gcp => ProtoProvider::Gcp,
            Self::DigitalOcean => ProtoProvider::Digitalocean,
            Self::Akamai => ProtoProvider::Akamai,
        }
    }

    /// The API's value for a stored provider name; UNSPECIFIED for a name no provider has.
    pub fn proto_from_name(name: &str) -> ProtoProvider {
        name.parse::<Self>().map(Self::to_proto).unwrap_or(ProtoProvider::Unspecified)
    }

    /// `"aws, azure, gcp, digitalocean, akamai"`, for messages that list the choices.
    pub fn names() -> String {
        Self::ALL.map(Self::as_str).join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_provider_round_trips_through_the_api_and_its_name() {
        for provider in CloudProvider::ALL {
            assert_eq!(CloudProvider::from_proto(provider.to_proto()), Some(provider));
            assert_eq!(CloudProvider::from_proto_number(provider.to_proto() as i32), Some(provider));
            assert_eq!(CloudProvider::proto_from_name(provider.as_str()), provider.to_proto());
        }
        assert_eq!(CloudProvider::from_proto(ProtoProvider::Unspecified), None);
        assert_eq!(CloudProvider::from_proto_number(999), None);
        assert_eq!(CloudProvider::proto_from_name("ibm"), ProtoProvider::Unspecified);
        assert_eq!(CloudProvider::names(), "aws, azure, gcp, digitalocean, akamai");
    }
}
