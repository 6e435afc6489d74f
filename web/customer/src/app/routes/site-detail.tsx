import { useState } from "react";
import { Link, useLocation, useParams } from "react-router";
import {
  Alert,
  Button,
  CancelDeployment,
  Card,
  DeploymentHistory,
  deploymentKind,
  DeploymentProgress,
  DescriptionList,
  errorMessage,
  isCancellable,
  newIdempotencyKey,
  PolicyCheckPanel,
  ROLE,
  SiteOutputs,
  SiteTitle,
  Spinner,
  useCanopy,
  useDeleteSite,
  useLiveDeployment,
  useRedeploySite,
  useSite,
} from "@canopy/ui";
import { sites } from "@canopy/sdk";
import { SitePagesNav } from "../../components/site-pages-nav";
import { useCurrentUser } from "../layout";

export function SiteDetailRoute() {
  const { siteId = "" } = useParams();
  const location = useLocation();
  const { client } = useCanopy();
  const [chosen, setChosen] = useState<string | undefined>((location.state as { deploymentId?: string } | null)?.deploymentId);
  const [confirmingDelete, setConfirmingDelete] = useState(false);
  const [busy, setBusy] = useState<"redeploy" | "delete">();
  const [actionError, setActionError] = useState<string>();

  const role = useCurrentUser().data?.role;
  const site = useSite(client, siteId);
  const redeploySite = useRedeploySite(client);
  const deleteSite = useDeleteSite(client);
  const live = useLiveDeployment(client, siteId, chosen);
  const { deploymentId, listed: watched, watch, status: liveStatus } = live;

  const act = async (kind: "redeploy" | "delete") => {
    setBusy(kind);
    setActionError(undefined);
    try {
      const input = { siteId, idempotencyKey: newIdempotencyKey() };
      const res = kind === "redeploy" ? await redeploySite.mutateAsync(input) : await deleteSite.mutateAsync(input);
      setConfirmingDelete(false);
      if (res.deployment) setChosen(res.deployment.id);
    } catch (e) {
      setActionError(errorMessage(e));
    } finally {
      setBusy(undefined);
    }
  };

  if (site.isPending) return <Spinner label="Loading site" />;
  if (site.isError) return <Alert tone="danger">{errorMessage(site.error)}</Alert>;
  const s = site.data;
  const gone = s.status === sites.SiteStatus.DELETED || s.status === sites.SiteStatus.DELETING;

  return (
    <div className="flex flex-col gap-4">
      <Link to="/">← All sites</Link>
      <SiteTitle site={s} />
      <SitePagesNav siteId={siteId} current="overview" />
      {actionError && <Alert tone="danger">{actionError}</Alert>}
      <Card
        title="Deployment"
        actions={
          !gone && (
            <>
              <Button variant="secondary" busy={busy === "redeploy"} onClick={() => act("redeploy")}>
                Redeploy
              </Button>
              <Button variant="danger" onClick={() => setConfirmingDelete(true)} disabled={confirmingDelete}>
                Delete site
              </Button>
            </>
          )
        }
      >
        {confirmingDelete && (
          <div className="mb-4 flex flex-col gap-4" role="alertdialog" aria-label="Confirm deletion">
            <Alert tone="danger" title={`Delete ${s.name}?`}>
              Its servers, database and storage are removed. This cannot be undone.
            </Alert>
            <div className="flex flex-wrap items-center gap-3">
              <Button variant="danger" busy={busy === "delete"} onClick={() => act("delete")}>
                Yes, delete {s.name}
              </Button>
              <Button variant="secondary" onClick={() => setConfirmingDelete(false)}>
                Keep the site
              </Button>
            </div>
          </div>
        )}
        {deploymentId && isCancellable(liveStatus) && (
          <div className="mb-4">
            <CancelDeployment
              client={client}
              deploymentId={deploymentId}
              status={liveStatus}
              cancelRequested={watched?.cancelRequested}
              onRequested={live.refresh}
            />
          </div>
        )}
        {deploymentId ? (
          <DeploymentProgress watch={watch} title={deploymentKind(watched?.kind ?? sites.DeploymentKind.UNSPECIFIED)} />
        ) : live.loading ? (
          <Spinner label="Loading deployments" />
        ) : live.error ? (
          <Alert tone="danger">{errorMessage(live.error)}</Alert>
        ) : (
          <p>No deployments yet.</p>
        )}
      </Card>
      {deploymentId && (
        <PolicyCheckPanel
          client={client}
          deploymentId={deploymentId}
          deploymentStatus={liveStatus}
          // DiscardPolicyCheck admits owners and members; the server says who may override.
          canDiscard={role === ROLE.owner || role === ROLE.member}
          onResolved={live.refresh}
        />
      )}
      <Card title="Outputs">
        <SiteOutputs outputs={s.outputs} />
      </Card>
      <Card title="Details">
        <DescriptionList>
          <dt>Region</dt>
          <dd>{s.region}</dd>
          <dt>Image</dt>
          <dd>{s.runtime ? `${s.runtime.image} (port ${s.runtime.port})` : "—"}</dd>
        </DescriptionList>
      </Card>
      <Card title="Deployment history">
        <DeploymentHistory client={client} siteId={siteId} />
      </Card>
    </div>
  );
}
