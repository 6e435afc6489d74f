//! How deployments move a site through its states.

use canopy_deployments::queue::{DeploymentKind, DeploymentStatus};

/// A site's state, stored by its lowercase name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::Type)]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum SiteStatus {
    Pending,
    Provisioning,
    Active,
    Updating,
    Failed,
    Deleting,
    Deleted,
}

impl SiteStatus {
    /// Every status, in the order of the API's enum.
    pub const ALL: [SiteStatus; 7] =
        [Self::Pending, Self::Provisioning, Self::Active, Self::Updating, Self::Failed, Self::Deleting, Self::Deleted];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Provisioning => "provisioning",
            Self::Active => "active",
            Self::Updating => "updating",
            Self::Failed => "failed",
            Self::Deleting => "deleting",
            Self::Deleted => "deleted",
        }
    }
}

/// The site's state once a deployment of `kind` finished with `status`.
pub fn after_deployment(kind: DeploymentKind, status: DeploymentStatus) -> SiteStatus {
    match (kind, status) {
        (DeploymentKind::Delete, DeploymentStatus::Succeeded) => SiteStatus::Deleted,
        (_, DeploymentStatus::Succeeded) => SiteStatus::Active,
        // A cancelled or failed create leaves whatever Terraform got to: failed, so
        // the owner redeploys or deletes. Same for updates and deletes: the state is
        // uncertain until a deployment succeeds.
        _ => SiteStatus::Failed,
    }
}

/// The state a site shows while a deployment of `kind` is in progress.
pub fn during_deployment(kind: DeploymentKind) -> SiteStatus {
    match kind {
        DeploymentKind::Create => SiteStatus::Provisioning,
        DeploymentKind::Update | DeploymentKind::Redeploy => SiteStatus::Updating,
        DeploymentKind::Delete => SiteStatus::Deleting,
    }
}
