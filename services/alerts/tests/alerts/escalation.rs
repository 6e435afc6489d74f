//! Escalation and on-call: an incident pages step 1, reaches step 2 when nobody
//! acknowledges, and stops once someone acknowledges through the page's signed
//! link; the on-call person on both sides of a hand-off.

use canopy_sdk::proto::canopy::alerts::v1 as alerts;
use chrono::{Duration, TimeZone as _};
use tonic::Code;

use crate::support::{FirstAttempt, HttpReceiver, World, seconds};

async fn on_call_at(world: &World, schedule_id: &str, at: chrono::DateTime<chrono_tz::Tz>) -> String {
    world
        .on_call(&world.admin)
        .await
        .get_on_call(alerts::GetOnCallRequest {
            schedule_id: schedule_id.into(),
            at_time: Some(canopy_kit::request::timestamp(at.with_timezone(&chrono::Utc))),
        })
        .await
        .unwrap()
        .into_inner()
        .user_id
}

async fn incidents(world: &World) -> Vec<alerts::Incident> {
    world
        .incidents(&world.admin)
        .await
        .list_incidents(alerts::ListIncidentsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .incidents
}

fn target(target: alerts::escalation_target::Target) -> alerts::EscalationTarget {
    alerts::EscalationTarget { target: Some(target) }
}

#[tokio::test]
async fn an_incident_escalates_to_the_on_call_person_until_acknowledged_by_link() {
    let mut world = World::start().await;
    let pager = HttpReceiver::start(FirstAttempt::Accept).await;
    world.webhook_receiver("pager-hook", &pager).await;

    // Ada until 09:00 Berlin time, Bob after: a daily rotation handing off at 09:00.
    let berlin = chrono_tz::Europe::Berlin;
    let today = world.now().with_timezone(&berlin).date_naive();
    let handoff =
        berlin.from_local_datetime(&(today + chrono::Days::new(2)).and_hms_opt(9, 0, 0).unwrap()).single().unwrap();
    let schedule = world
        .on_call(&world.admin)
        .await
        .create_schedule(alerts::CreateScheduleRequest {
            schedule: Some(alerts::Schedule {
                name: "primary".into(),
                layers: vec![alerts::ScheduleLayer {
                    name: "weekdays".into(),
                    user_ids: vec!["bob".into(), "ada".into()],
                    rotation: alerts::RotationLength::Daily.into(),
                    rotation_start_time: Some(canopy_kit::request::timestamp(
                        (handoff - Duration::days(30)).with_timezone(&chrono::Utc),
                    )),
                    time_zone: "Europe/Berlin".into(),
                    ..Default::default()
                }],
                ..Default::default()
            }),
        })
        .await
        .unwrap()
        .into_inner()
        .schedule
        .unwrap();
    let before = on_call_at(&world, &schedule.id, handoff - Duration::seconds(1)).await;
    let after = on_call_at(&world, &schedule.id, handoff + Duration::seconds(1)).await;
    assert_ne!(before, after, "the hand-off changes who is on call");
    assert_eq!((before.as_str(), after.as_str()), ("ada", "bob"), "30 days of turns from bob: ada, then bob");

    let policy = world
        .policies(&world.admin)
        .await
        .create_escalation_policy(alerts::CreateEscalationPolicyRequest {
            escalation_policy: Some(alerts::EscalationPolicy {
                name: "platform".into(),
                steps: vec![
                    alerts::EscalationStep {
                        targets: vec![target(alerts::escalation_target::Target::Receiver("pager-hook".into()))],
                        wait: seconds(300),
                    },
                    alerts::EscalationStep {
                        targets: vec![target(alerts::escalation_target::Target::Schedule("primary".into()))],
                        wait: seconds(300),
                    },
                ],
                // It would start over twice more if nobody acknowledged.
                repeat: 2,
                ..Default::default()
            }),
        })
        .await
        .unwrap()
        .into_inner()
        .escalation_policy
        .unwrap();
    world
        .receivers(&world.admin)
        .await
        .create_receiver(alerts::CreateReceiverRequest {
            receiver: Some(alerts::ReceiverSpec {
                name: "pager".into(),
                kind: Some(alerts::receiver_spec::Kind::Escalation(alerts::EscalationConfig {
                    escalation_policy_id: policy.id.clone(),
                })),
                send_resolved: true,
            }),
        })
        .await
        .unwrap();
    world
        .route(alerts::RoutingConfig {
            route: Some(alerts::Route { receiver: "pager".into(), ..Default::default() }),
            ..Default::default()
        })
        .await;

    world.publish("security_sign_in_burst", "", "critical", &[]).await;
    world.advance(Duration::seconds(31)).await;
    // Step 1 pages the receiver at once, with a signed acknowledgement link.
    let paged = pager.wait_delivered(1).await;
    assert!(paged[0].signature_valid);
    assert_eq!(paged[0].body["type"], "incident.page");
    let token = paged[0].body["data"]["acknowledge_token"].as_str().unwrap().to_string();
    assert!(paged[0].body["data"]["acknowledge_url"].as_str().unwrap().ends_with(&token));

    let listed = incidents(&world).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].state(), alerts::IncidentState::Triggered);
    assert_eq!(listed[0].pages.len(), 1, "{listed:#?}");

    // Nobody acknowledges: step 2 pages whoever is on call.
    world.advance(Duration::minutes(5)).await;
    world.sign_in_again().await;
    let listed = incidents(&world).await;
    assert_eq!(listed[0].pages.len(), 2, "{listed:#?}");
    assert_eq!(listed[0].pages[1].step, 1);
    let on_call_now = on_call_at(&world, &schedule.id, world.now().with_timezone(&berlin)).await;
    assert_eq!(listed[0].pages[1].user_id, on_call_now);

    // A forged token acknowledges nothing; the page's own does.
    let forged = world
        .incidents(&world.admin)
        .await
        .acknowledge_incident_by_link(alerts::AcknowledgeIncidentByLinkRequest { token: format!("{token}x") })
        .await
        .unwrap_err();
    assert_eq!(forged.code(), Code::Unauthenticated);
    let public = world.services.client("alerts", "gateway").await;
    let acknowledged = alerts::incident_service_client::IncidentServiceClient::new(public.channel())
        .acknowledge_incident_by_link(alerts::AcknowledgeIncidentByLinkRequest { token: token.clone() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(acknowledged.state(), alerts::IncidentState::Acknowledged);

    // Paging stops: the policy would have started over, but no page follows.
    world.advance(Duration::minutes(15)).await;
    world.sign_in_again().await;
    let listed = incidents(&world).await;
    assert_eq!(listed[0].pages.len(), 2, "paged after the acknowledgement: {listed:#?}");
    assert_eq!(listed[0].acknowledged_by, "link:receiver:pager-hook");
    assert_eq!(pager.delivered().len(), 1);

    // Resolving through the RPC closes it; an expired link is refused.
    let resolved = world
        .incidents(&world.admin)
        .await
        .resolve_incident(alerts::ResolveIncidentRequest { incident_id: listed[0].id.clone() })
        .await
        .unwrap()
        .into_inner()
        .incident
        .unwrap();
    assert_eq!(resolved.state(), alerts::IncidentState::Resolved);
    world.advance(Duration::days(2)).await;
    let expired = alerts::incident_service_client::IncidentServiceClient::new(public.channel())
        .acknowledge_incident_by_link(alerts::AcknowledgeIncidentByLinkRequest { token })
        .await
        .unwrap_err();
    assert_eq!(expired.code(), Code::Unauthenticated);
}
