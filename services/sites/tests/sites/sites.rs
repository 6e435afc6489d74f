//! Sites: validation, idempotency, isolation, listing, regions.

use canopy_sdk::proto::canopy::common::v1::{CloudProvider, PageRequest};
use canopy_sdk::proto::canopy::sites::v1::*;
use tonic::Code;
use tonic_types::StatusExt;

use crate::support::{World, new_site};

#[tokio::test]
async fn hostile_site_names_are_refused_before_anything_is_written() {
    let world = World::start().await;
    let customer = world.customer("names").await;
    let mut sites = world.sites(&customer.owner_token).await;
    for name in
        ["my shop", "MyShop", &"a".repeat(64), "ѕhop", "shop\"", "shop'", "${var.secret}", "x%{if true}", "shop\nx", ""]
    {
        let error = sites.create_site(new_site(name)).await.unwrap_err();
        assert_eq!(error.code(), Code::InvalidArgument, "{name:?}");
        let fields: Vec<String> =
            error.get_error_details().bad_request().unwrap().field_violations.iter().map(|v| v.field.clone()).collect();
        assert_eq!(fields, ["name"], "{name:?}");
    }
    let mut request = new_site("fine");
    request.region = "mars-north-1".into();
    request.runtime.as_mut().unwrap().port = 0;
    request.runtime.as_mut().unwrap().image = "${evil}".into();
    request.size = 99;
    let error = sites.create_site(request).await.unwrap_err();
    let mut fields: Vec<String> =
        error.get_error_details().bad_request().unwrap().field_violations.iter().map(|v| v.field.clone()).collect();
    fields.sort();
    assert_eq!(fields, ["region", "runtime.image", "runtime.port", "size"]);
    let listed =
        sites.list_sites(ListSitesRequest { include_deleted: true, ..Default::default() }).await.unwrap().into_inner();
    assert!(listed.sites.is_empty(), "nothing may be written for refused requests");
}

#[tokio::test]
async fn a_retried_create_returns_the_same_site_and_deployment() {
    let world = World::start().await;
    let customer = world.customer("retry").await;
    let mut sites = world.sites(&customer.owner_token).await;
    let request = new_site("retry-shop");
    let first = sites.create_site(request.clone()).await.unwrap().into_inner();
    let second = sites.create_site(request).await.unwrap().into_inner();
    assert_eq!(first.site.as_ref().unwrap().id, second.site.as_ref().unwrap().id);
    assert_eq!(first.deployment.as_ref().unwrap().id, second.deployment.as_ref().unwrap().id);
    assert!(first.site.unwrap().sandbox, "the embedded default provisions sandbox sites");
    let error = sites.create_site(new_site("retry-shop")).await.unwrap_err();
    assert_eq!(error.code(), Code::AlreadyExists, "a second site with the name: {error:?}");
}

#[tokio::test]
async fn customers_never_see_each_other_s_sites() {
    let world = World::start().await;
    let a = world.customer("tenant-a").await;
    let b = world.customer("tenant-b").await;
    let mut sites_a = world.sites(&a.owner_token).await;
    let mut sites_b = world.sites(&b.owner_token).await;
    sites_a.create_site(new_site("alpha")).await.unwrap();
    let b_site = sites_b.create_site(new_site("beta")).await.unwrap().into_inner();
    let b_site_id = b_site.site.unwrap().id;
    let b_deployment_id = b_site.deployment.unwrap().id;

    let listed = sites_a.list_sites(ListSitesRequest::default()).await.unwrap().into_inner();
    let names: Vec<String> = listed.sites.iter().map(|s| s.name.clone()).collect();
    assert_eq!(names, ["alpha"]);
    let random = uuid::Uuid::new_v4().to_string();
    for id in [b_site_id.clone(), random.clone()] {
        let error = sites_a.get_site(GetSiteRequest { site_id: id.clone() }).await.unwrap_err();
        assert_eq!((error.code(), error.message()), (Code::NotFound, "site not found"));
        let error = sites_a
            .delete_site(DeleteSiteRequest { site_id: id.clone(), idempotency_key: format!("del-{id}") })
            .await
            .unwrap_err();
        assert_eq!((error.code(), error.message()), (Code::NotFound, "site not found"));
    }
    for id in [b_deployment_id, random] {
        let error = sites_a.get_deployment(GetDeploymentRequest { deployment_id: id.clone() }).await.unwrap_err();
        assert_eq!((error.code(), error.message()), (Code::NotFound, "deployment not found"));
        let error = sites_a.cancel_deployment(CancelDeploymentRequest { deployment_id: id }).await.unwrap_err();
        assert_eq!((error.code(), error.message()), (Code::NotFound, "deployment not found"));
    }
    // Naming another customer explicitly is the same as naming one that does not exist.
    let error =
        sites_a.list_sites(ListSitesRequest { customer_id: b.id.clone(), ..Default::default() }).await.unwrap_err();
    assert_eq!(error.code(), Code::NotFound);

    // Platform admins see everyone's, and can filter by customer.
    let mut admin = world.sites(&world.admin_token).await;
    let all = admin.list_sites(ListSitesRequest::default()).await.unwrap().into_inner();
    assert_eq!(all.sites.len(), 2);
    let only_b = admin
        .list_sites(ListSitesRequest {
            customer_id: b.id,
            page: Some(PageRequest { page_size: 10, ..Default::default() }),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(only_b.sites.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(), ["beta"]);
}

#[tokio::test]
async fn the_region_catalogue_matches_the_terraform_templates() {
    let world = World::start().await;
    let customer = world.customer("regions").await;
    let mut sites = world.sites(&customer.owner_token).await;
    let regions = sites.list_regions(ListRegionsRequest::default()).await.unwrap().into_inner().regions;
    let contract = canopy_terraform::SiteContract::load(&canopy_kit::testing::repo_root().join("terraform")).unwrap();
    for provider in canopy_terraform::CloudProvider::ALL {
        let mut served: Vec<String> = regions
            .iter()
            .filter(|r| {
                CloudProvider::try_from(r.provider)
                    .unwrap()
                    .as_str_name()
                    .ends_with(&provider.as_str().to_ascii_uppercase())
            })
            .map(|r| r.code.clone())
            .collect();
        served.sort();
        let mut declared = contract.provider(provider).unwrap().regions.clone();
        declared.sort();
        assert_eq!(served, declared, "{}", provider.as_str());
    }
    assert!(regions.iter().all(|r| !r.display_name.is_empty()));
}
