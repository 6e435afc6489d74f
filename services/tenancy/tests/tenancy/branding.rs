//! Branding: portal branding by verified domain only, and bad input refused field
//! by field with nothing stored.

use canopy_sdk::proto::canopy::tenancy::v1::branding_service_client::BrandingServiceClient;
use canopy_sdk::proto::canopy::tenancy::v1::*;
use tonic::Code;
use tonic_types::StatusExt;

use crate::support::World;

fn field_of(error: &tonic::Status) -> String {
    assert_eq!(error.code(), Code::InvalidArgument, "{error:?}");
    error.get_error_details().bad_request().expect("field violations").field_violations[0].field.clone()
}

#[tokio::test]
async fn only_a_verified_domain_gets_the_customer_s_branding() {
    let mut world = World::start().await;
    let (customer, owner) = world.customer_with_owner("Brand Co", "owner@brand.test").await;
    let channel = world.client("tenancy", &owner).await;
    let mut branding = BrandingServiceClient::with_interceptor(channel.channel(), channel.interceptor());
    branding
        .update_branding(UpdateBrandingRequest {
            customer_id: customer.id.clone(),
            product_name: "BrandCloud".into(),
            primary_color: "#0B5FFF".into(),
            theme_variables: [("radius".to_string(), "8px".to_string())].into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let set = branding
        .set_custom_domain(SetCustomDomainRequest {
            customer_id: customer.id.clone(),
            domain: "Portal.Brand.test".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(set.txt_record_name, "_canopy-verify.portal.brand.test");

    let public = world.services.client("tenancy", "gateway").await;
    let mut anonymous = BrandingServiceClient::new(public.channel());
    let by_domain = |domain: &str| GetBrandingRequest { domain: domain.into() };
    let unverified =
        anonymous.get_branding(by_domain("portal.brand.test")).await.unwrap().into_inner().branding.unwrap();
    assert_eq!(unverified.product_name, "Canopy", "an unverified domain must get the platform default");

    let error = branding
        .verify_custom_domain(VerifyCustomDomainRequest { customer_id: customer.id.clone() })
        .await
        .unwrap_err();
    assert_eq!(error.code(), Code::FailedPrecondition, "no TXT record yet: {error:?}");
    world.dns.lock().unwrap().insert(set.txt_record_name.clone(), vec![set.txt_record_value.clone()]);
    let verified = branding
        .verify_custom_domain(VerifyCustomDomainRequest { customer_id: customer.id.clone() })
        .await
        .unwrap()
        .into_inner()
        .branding
        .unwrap();
    assert!(verified.custom_domain_verified);

    let shown = anonymous.get_branding(by_domain("PORTAL.brand.test.")).await.unwrap().into_inner().branding.unwrap();
    assert_eq!((shown.product_name.as_str(), shown.primary_color.as_str()), ("BrandCloud", "#0b5fff"));
    assert_eq!(shown.customer_id, customer.id);
    let other = anonymous.get_branding(by_domain("other.brand.test")).await.unwrap().into_inner().branding.unwrap();
    assert_eq!(other.product_name, "Canopy");
}

#[tokio::test]
async fn bad_branding_is_refused_naming_the_field_and_nothing_is_stored() {
    let mut world = World::start().await;
    let (customer, owner) = world.customer_with_owner("Strict Co", "owner@strict.test").await;
    let (other, other_owner) = world.customer_with_owner("Other Co", "owner@other.test").await;
    let channel = world.client("tenancy", &owner).await;
    let mut branding = BrandingServiceClient::with_interceptor(channel.channel(), channel.interceptor());
    let id = customer.id.clone();
    let update = |f: &dyn Fn(&mut UpdateBrandingRequest)| {
        let mut request =
            UpdateBrandingRequest { customer_id: id.clone(), product_name: "Strict".into(), ..Default::default() };
        f(&mut request);
        request
    };
    let cases: Vec<(UpdateBrandingRequest, &str)> = vec![
        (update(&|r| r.primary_color = "#12345".into()), "primary_color"),
        (update(&|r| r.secondary_color = "blue".into()), "secondary_color"),
        (update(&|r| r.accent_color = "#gg0000".into()), "accent_color"),
        // White header text on it reaches 3.39:1.
        (update(&|r| r.secondary_color = "#0e9f6e".into()), "secondary_color"),
        // As the focus ring: 2.19:1 on the white card.
        (update(&|r| r.accent_color = "#e0a526".into()), "accent_color"),
        (
            update(&|r| r.theme_variables = [("background-image".into(), "url(x)".into())].into()),
            "theme_variables[background-image]",
        ),
        (update(&|r| r.theme_variables = [("radius".into(), "1em;}".into())].into()), "theme_variables[radius]"),
        (update(&|r| r.support_email = "help at strict".into()), "support_email"),
    ];
    for (request, field) in cases {
        let error = branding.update_branding(request).await.unwrap_err();
        assert_eq!(field_of(&error), field);
    }
    for domain in ["*.strict.test", "127.0.0.1", "[::1]", "portal.strict.test:8443", "localhost"] {
        let error = branding
            .set_custom_domain(SetCustomDomainRequest { customer_id: customer.id.clone(), domain: domain.into() })
            .await
            .unwrap_err();
        assert_eq!(field_of(&error), "domain", "{domain}");
    }
    let other_channel = world.client("tenancy", &other_owner).await;
    BrandingServiceClient::with_interceptor(other_channel.channel(), other_channel.interceptor())
        .set_custom_domain(SetCustomDomainRequest { customer_id: other.id.clone(), domain: "taken.example.com".into() })
        .await
        .unwrap();
    let error = branding
        .set_custom_domain(SetCustomDomainRequest {
            customer_id: customer.id.clone(),
            domain: "TAKEN.example.com".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(field_of(&error), "domain");

    let png = [b"\x89PNG\r\n\x1a\n".as_slice(), &[0u8; 32]].concat();
    let uploads = [
        (AssetKind::Logo, "image/jpeg", png.clone(), "content_type"),
        (AssetKind::Logo, "image/gif", b"GIF89a....".to_vec(), "content_type"),
        (AssetKind::Favicon, "image/png", [png.as_slice(), &vec![0u8; 70 * 1024]].concat(), "data"),
        (AssetKind::Logo, "image/svg+xml", b"<svg onload=\"alert(1)\"/>".to_vec(), "data"),
    ];
    for (kind, content_type, data, field) in uploads {
        let error = branding
            .upload_branding_asset(UploadBrandingAssetRequest {
                customer_id: customer.id.clone(),
                kind: kind as i32,
                content_type: content_type.into(),
                data,
            })
            .await
            .unwrap_err();
        assert_eq!(field_of(&error), field, "{content_type}");
    }

    let stored = branding
        .get_customer_branding(GetCustomerBrandingRequest { customer_id: customer.id.clone() })
        .await
        .unwrap()
        .into_inner()
        .branding
        .unwrap();
    assert_eq!(stored.product_name, "", "nothing may be stored from refused requests");
    assert_eq!(stored.custom_domain, "");
    assert!(!stored.has_logo && !stored.has_favicon);

    // And a valid logo is stored and served publicly.
    branding
        .upload_branding_asset(UploadBrandingAssetRequest {
            customer_id: customer.id.clone(),
            kind: AssetKind::Logo as i32,
            content_type: "image/png".into(),
            data: png.clone(),
        })
        .await
        .unwrap();
    let public = world.services.client("tenancy", "gateway").await;
    let asset = BrandingServiceClient::new(public.channel())
        .get_branding_asset(GetBrandingAssetRequest { customer_id: customer.id.clone(), kind: AssetKind::Logo as i32 })
        .await
        .unwrap()
        .into_inner();
    assert_eq!((asset.content_type.as_str(), asset.data), ("image/png", png));
}
