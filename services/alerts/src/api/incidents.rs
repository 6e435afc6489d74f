//! `IncidentService` (listing, acknowledging and resolving incidents, also through
//! a page's signed link), `EscalationPolicyService` and `OnCallService`.

use std::collections::BTreeSet;
use std::sync::Arc;

use canopy_kit::ApiError;
use canopy_kit::auth::PrincipalKind;
use canopy_kit::db::Scope;
use canopy_kit::request::{principal, required_id, time_from_proto, timestamp};
use canopy_sdk::proto::canopy::alerts::v1 as proto;
use canopy_sdk::proto::canopy::alerts::v1::escalation_policy_service_server::EscalationPolicyService;
use canopy_sdk::proto::canopy::alerts::v1::incident_service_server::IncidentService;
use canopy_sdk::proto::canopy::alerts::v1::on_call_service_server::OnCallService;
use prost::Message as _;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::{convert, db, finish_offset_page, object_name, offset_page, refuse_if_any};
use crate::Alerts;
use crate::engine::escalation::{Incident, IncidentStatus};
use crate::engine::oncall::UserId;
use crate::paging;
use crate::store::{self, IncidentRow, PageRow, SpecTable};

pub struct IncidentApi(pub Arc<Alerts>);
pub struct EscalationPolicyApi(pub Arc<Alerts>);
pub struct OnCallApi(pub Arc<Alerts>);

fn incident(row: &IncidentRow, pages: &[PageRow]) -> Result<proto::Incident, ApiError> {
    let state: Incident = serde_json::from_value(row.state.clone()).map_err(ApiError::internal)?;
    let (status, acknowledged_by, acknowledge_time, resolve_time) = match &state.status {
        IncidentStatus::Triggered => (proto::IncidentState::Triggered, String::new(), None, None),
        IncidentStatus::Acknowledged { by, at } => {
            (proto::IncidentState::Acknowledged, by.0.clone(), Some(timestamp(*at)), None)
        }
        IncidentStatus::Resolved { at } => (proto::IncidentState::Resolved, String::new(), None, Some(timestamp(*at))),
    };
    Ok(proto::Incident {
        id: row.id.to_string(),
        escalation_policy: state.policy.name.clone(),
        summary: row.summary.clone(),
        state: status.into(),
        trigger_time: Some(timestamp(state.triggered_at)),
        acknowledged_by,
        acknowledge_time,
        resolve_time,
        pages: pages
            .iter()
            .filter(|page| page.incident_id == row.id)
            .map(|page| proto::Page {
                id: page.id.clone(),
                step: page.step,
                pass: page.pass,
                receiver: page.receiver.clone(),
                user_id: page.user_id.clone(),
                nobody_on_call_schedule: page.nobody_on_call_schedule.clone(),
                page_time: Some(timestamp(page.paged_at)),
            })
            .collect(),
    })
}

fn caller(principal: &canopy_kit::auth::Principal) -> String {
    match &principal.kind {
        PrincipalKind::User { user_id, .. } => user_id.to_string(),
        PrincipalKind::ApiKey { key_id, .. } => format!("api_key:{key_id}"),
    }
}

enum Change {
    Acknowledge(UserId),
    Resolve,
}

/// Applies `change` to an incident and answers it as it now stands.
async fn change(alerts: &Alerts, id: Uuid, change: Change) -> Result<proto::Incident, ApiError> {
    let now = alerts.clock.now();
    let mut tx = alerts.database.begin(Scope::Platform).await.map_err(db)?;
    let row = store::incident_for_update(&mut tx, id)
        .await
        .map_err(db)?
        .ok_or(ApiError::NotFound { resource: "incident" })?;
    let mut state: Incident = serde_json::from_value(row.state.clone()).map_err(ApiError::internal)?;
    match change {
        Change::Acknowledge(by) => state.acknowledge(by, now).map_err(|error| ApiError::FailedPrecondition {
            reason: "INCIDENT_RESOLVED",
            message: error.to_string(),
        })?,
        Change::Resolve => state.resolve(now),
    }
    paging::save(&mut tx, id, &state).await.map_err(ApiError::internal)?;
    let row = store::incident_for_update(&mut tx, id)
        .await
        .map_err(db)?
        .ok_or(ApiError::NotFound { resource: "incident" })?;
    let pages = store::pages_of(&mut tx, &[id]).await.map_err(db)?;
    tx.commit().await.map_err(db)?;
    incident(&row, &pages)
}

#[tonic::async_trait]
impl IncidentService for IncidentApi {
    async fn list_incidents(
        &self,
        request: Request<proto::ListIncidentsRequest>,
    ) -> Result<Response<proto::ListIncidentsResponse>, Status> {
        principal(&request)?;
        let request = request.into_inner();
        let status = match proto::IncidentState::try_from(request.state).unwrap_or_default() {
            proto::IncidentState::Unspecified => None,
            proto::IncidentState::Triggered => Some("triggered"),
            proto::IncidentState::Acknowledged => Some("acknowledged"),
            proto::IncidentState::Resolved => Some("resolved"),
        };
        let (limit, offset) = offset_page(request.page)?;
        let mut tx = self.0.database.begin_read_only(Scope::Platform).await.map_err(db)?;
        let mut rows = store::list_incidents(&mut tx, status, limit + 1, offset).await.map_err(db)?;
        let page = finish_offset_page(&mut rows, limit, offset);
        let ids: Vec<Uuid> = rows.iter().map(|row| row.id).collect();
        let pages = store::pages_of(&mut tx, &ids).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        let incidents = rows.iter().map(|row| incident(row, &pages)).collect::<Result<_, _>>()?;
        Ok(Response::new(proto::ListIncidentsResponse { incidents, page }))
    }

    async fn acknowledge_incident(
        &self,
        request: Request<proto::AcknowledgeIncidentRequest>,
    ) -> Result<Response<proto::AcknowledgeIncidentResponse>, Status> {
        let by = caller(&principal(&request)?);
        let id = required_id("incident_id", &request.get_ref().incident_id)?;
        let incident = change(&self.0, id, Change::Acknowledge(UserId(by))).await?;
        Ok(Response::new(proto::AcknowledgeIncidentResponse { incident: Some(incident) }))
    }

    async fn resolve_incident(
        &self,
        request: Request<proto::ResolveIncidentRequest>,
    ) -> Result<Response<proto::ResolveIncidentResponse>, Status> {
        principal(&request)?;
        let id = required_id("incident_id", &request.get_ref().incident_id)?;
        let incident = change(&self.0, id, Change::Resolve).await?;
        Ok(Response::new(proto::ResolveIncidentResponse { incident: Some(incident) }))
    }

    async fn acknowledge_incident_by_link(
        &self,
        request: Request<proto::AcknowledgeIncidentByLinkRequest>,
    ) -> Result<Response<proto::AcknowledgeIncidentByLinkResponse>, Status> {
        // Every refusal reads the same, so a token's fate (forged, expired, for a
        // deleted incident) is not revealed to whoever holds it.
        let refused = || ApiError::Unauthenticated("invalid or expired link");
        let claim = self.0.link_key.verify(&request.get_ref().token, self.0.clock.now()).map_err(|_| refused())?;
        let by = UserId(format!("link:{}", claim.recipient));
        let incident =
            change(&self.0, claim.incident_id, Change::Acknowledge(by)).await.map_err(|error| match error {
                ApiError::NotFound { .. } => refused(),
                other => other,
            })?;
        Ok(Response::new(proto::AcknowledgeIncidentByLinkResponse { incident_id: incident.id, state: incident.state }))
    }
}

#[tonic::async_trait]
impl EscalationPolicyService for EscalationPolicyApi {
    async fn create_escalation_policy(
        &self,
        request: Request<proto::CreateEscalationPolicyRequest>,
    ) -> Result<Response<proto::CreateEscalationPolicyResponse>, Status> {
        principal(&request)?;
        let mut spec = request.into_inner().escalation_policy.unwrap_or_default();
        let mut violations = Vec::new();
        spec.name = object_name("escalation_policy.name", &spec.name, &mut violations);
        let mut tx = self.0.database.begin(Scope::Platform).await.map_err(db)?;
        let receivers: BTreeSet<String> =
            store::platform_receivers(&mut tx).await.map_err(db)?.into_iter().map(|r| r.name).collect();
        let schedules: BTreeSet<String> =
            store::all_specs(&mut tx, SpecTable::Schedule).await.map_err(db)?.into_iter().map(|r| r.name).collect();
        if let Err(mut found) = convert::policy(&spec, &receivers, &schedules) {
            violations.append(&mut found);
        }
        refuse_if_any(violations)?;
        let id = Uuid::now_v7();
        spec.id = id.to_string();
        store::insert_spec(
            &mut tx,
            SpecTable::EscalationPolicy,
            id,
            &spec.name,
            &spec.encode_to_vec(),
            self.0.clock.now(),
        )
        .await
        .map_err(|e| canopy_kit::error::from_sqlx(e, "escalation policy"))?;
        tx.commit().await.map_err(db)?;
        Ok(Response::new(proto::CreateEscalationPolicyResponse { escalation_policy: Some(spec) }))
    }

    async fn list_escalation_policies(
        &self,
        request: Request<proto::ListEscalationPoliciesRequest>,
    ) -> Result<Response<proto::ListEscalationPoliciesResponse>, Status> {
        principal(&request)?;
        let (limit, offset) = offset_page(request.into_inner().page)?;
        let mut tx = self.0.database.begin_read_only(Scope::Platform).await.map_err(db)?;
        let mut rows = store::list_specs(&mut tx, SpecTable::EscalationPolicy, limit + 1, offset).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        let page = finish_offset_page(&mut rows, limit, offset);
        let escalation_policies = rows
            .iter()
            .map(|row| proto::EscalationPolicy::decode(row.spec.as_slice()).map_err(ApiError::internal))
            .collect::<Result<_, _>>()?;
        Ok(Response::new(proto::ListEscalationPoliciesResponse { escalation_policies, page }))
    }

    async fn delete_escalation_policy(
        &self,
        request: Request<proto::DeleteEscalationPolicyRequest>,
    ) -> Result<Response<proto::DeleteEscalationPolicyResponse>, Status> {
        principal(&request)?;
        let id = required_id("escalation_policy_id", &request.get_ref().escalation_policy_id)?;
        let mut tx = self.0.database.begin(Scope::Platform).await.map_err(db)?;
        let users = store::receivers_using_policy(&mut tx, id).await.map_err(db)?;
        if !users.is_empty() {
            return Err(ApiError::FailedPrecondition {
                reason: "ESCALATION_POLICY_IN_USE",
                message: format!("receivers {users:?} use this escalation policy"),
            }
            .into());
        }
        let deleted = store::delete_spec(&mut tx, SpecTable::EscalationPolicy, id).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        if !deleted {
            return Err(ApiError::NotFound { resource: "escalation policy" }.into());
        }
        Ok(Response::new(proto::DeleteEscalationPolicyResponse {}))
    }
}

#[tonic::async_trait]
impl OnCallService for OnCallApi {
    async fn create_schedule(
        &self,
        request: Request<proto::CreateScheduleRequest>,
    ) -> Result<Response<proto::CreateScheduleResponse>, Status> {
        principal(&request)?;
        let mut spec = request.into_inner().schedule.unwrap_or_default();
        let mut violations = Vec::new();
        spec.name = object_name("schedule.name", &spec.name, &mut violations);
        if let Err(mut found) = convert::schedule(&spec) {
            violations.append(&mut found);
        }
        refuse_if_any(violations)?;
        let id = Uuid::now_v7();
        spec.id = id.to_string();
        let mut tx = self.0.database.begin(Scope::Platform).await.map_err(db)?;
        store::insert_spec(&mut tx, SpecTable::Schedule, id, &spec.name, &spec.encode_to_vec(), self.0.clock.now())
            .await
            .map_err(|e| canopy_kit::error::from_sqlx(e, "schedule"))?;
        tx.commit().await.map_err(db)?;
        Ok(Response::new(proto::CreateScheduleResponse { schedule: Some(spec) }))
    }

    async fn list_schedules(
        &self,
        request: Request<proto::ListSchedulesRequest>,
    ) -> Result<Response<proto::ListSchedulesResponse>, Status> {
        principal(&request)?;
        let (limit, offset) = offset_page(request.into_inner().page)?;
        let mut tx = self.0.database.begin_read_only(Scope::Platform).await.map_err(db)?;
        let mut rows = store::list_specs(&mut tx, SpecTable::Schedule, limit + 1, offset).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        let page = finish_offset_page(&mut rows, limit, offset);
        let schedules = rows
            .iter()
            .map(|row| proto::Schedule::decode(row.spec.as_slice()).map_err(ApiError::internal))
            .collect::<Result<_, _>>()?;
        Ok(Response::new(proto::ListSchedulesResponse { schedules, page }))
    }

    async fn delete_schedule(
        &self,
        request: Request<proto::DeleteScheduleRequest>,
    ) -> Result<Response<proto::DeleteScheduleResponse>, Status> {
        principal(&request)?;
        let id = required_id("schedule_id", &request.get_ref().schedule_id)?;
        let mut tx = self.0.database.begin(Scope::Platform).await.map_err(db)?;
        let Some(row) = store::get_spec(&mut tx, SpecTable::Schedule, id).await.map_err(db)? else {
            return Err(ApiError::NotFound { resource: "schedule" }.into());
        };
        for policy in store::all_specs(&mut tx, SpecTable::EscalationPolicy).await.map_err(db)? {
            let spec = proto::EscalationPolicy::decode(policy.spec.as_slice()).map_err(ApiError::internal)?;
            if convert::names_in(&spec, |t| matches!(t, proto::escalation_target::Target::Schedule(_)))
                .contains(&row.name)
            {
                return Err(ApiError::FailedPrecondition {
                    reason: "SCHEDULE_IN_USE",
                    message: format!("escalation policy {:?} pages this schedule", policy.name),
                }
                .into());
            }
        }
        store::delete_spec(&mut tx, SpecTable::Schedule, id).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(Response::new(proto::DeleteScheduleResponse {}))
    }

    async fn get_on_call(
        &self,
        request: Request<proto::GetOnCallRequest>,
    ) -> Result<Response<proto::GetOnCallResponse>, Status> {
        principal(&request)?;
        let request = request.into_inner();
        let id = required_id("schedule_id", &request.schedule_id)?;
        let at = match &request.at_time {
            None => self.0.clock.now(),
            Some(at) => time_from_proto(at).ok_or_else(|| ApiError::invalid("at_time", "is not a valid time"))?,
        };
        let mut tx = self.0.database.begin_read_only(Scope::Platform).await.map_err(db)?;
        let row = store::get_spec(&mut tx, SpecTable::Schedule, id).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        let row = row.ok_or(ApiError::NotFound { resource: "schedule" })?;
        let schedule = convert::stored_schedule(&row).map_err(ApiError::internal)?;
        let user_id = schedule.on_call_at(at).map(|user| user.0).unwrap_or_default();
        Ok(Response::new(proto::GetOnCallResponse { user_id }))
    }
}
