//! One site of any customer: its status and customer, the live deployment (the
//! newest, or the one just started) with its log, redeploy (confirmed) and cancel
//! for platform admins, outputs, configuration and the deployment history.
import { useState } from "react";
import { Link } from "react-router";
import { type CanopyClient, sites } from "@canopy/sdk";
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
  formatDateTime,
  isCancellable,
  newIdempotencyKey,
  SiteOutputs,
  SiteTitle,
  SIZES,
  Spinner,
  useLiveDeployment,
  useRedeploySite,
  useSite,
} from "@canopy/ui";
import { ConfirmPanel } from "../../../components/confirm-panel";
import { useCustomerNames } from "../../../hooks/use-customer-names";
import { providerLabel } from "../site-filters";

export interface SiteDetailProps {
  client: Pick<CanopyClient, "sites" | "customers">;
  siteId: string;
  /** Platform admins redeploy and cancel; operators only watch. */
  canChange: boolean;
}

function LiveDeployment({ client, site, canChange }: { client: Pick<CanopyClient, "sites">; site: sites.Site; canChange: boolean }) {
  const [started, setStarted] = useState<string>();
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const { deploymentId, listed: watched, watch, status, loading, error: listError, refresh } = useLiveDeployment(client, site.id, started);
  const redeploySite = useRedeploySite(client);
  const gone = site.status === sites.SiteStatus.DELETED || site.status === sites.SiteStatus.DELETING;

  const redeploy = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const res = await redeploySite.mutateAsync({ siteId: site.id, idempotencyKey: newIdempotencyKey() });
      setConfirming(false);
      if (res.deployment) setStarted(res.deployment.id);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card
      title="Live deployment"
      actions={
        canChange &&
        !gone &&
        !confirming && (
          <Button variant="secondary" disabled={isCancellable(status)} onClick={() => setConfirming(true)}>
            Redeploy
          </Button>
        )
      }
    >
      <div className="flex flex-col gap-4">
        {confirming && (
          <ConfirmPanel
            title={`Redeploy ${site.name}?`}
            body="Its current configuration is applied again; the customer sees the deployment in their portal."
            confirmLabel={`Yes, redeploy ${site.name}`}
            tone="info"
            busy={busy}
            error={error}
            onConfirm={() => void redeploy()}
            onCancel={() => setConfirming(false)}
          />
        )}
        {canChange && deploymentId && (
          <CancelDeployment client={client} deploymentId={deploymentId} status={status} cancelRequested={watched?.cancelRequested} onRequested={refresh} />
        )}
        {deploymentId ? (
          // Before the stream's first status event, the listed status.
          <DeploymentProgress watch={{ ...watch, status }} title={deploymentKind(watched?.kind ?? sites.DeploymentKind.REDEPLOY)} />
        ) : loading ? (
          <Spinner label="Loading deployments" />
        ) : listError ? (
          <Alert tone="danger">{errorMessage(listError)}</Alert>
        ) : (
          <p className="m-0">No deployments yet.</p>
        )}
      </div>
    </Card>
  );
}

export function SiteDetail({ client, siteId, canChange }: SiteDetailProps) {
  const site = useSite(client, siteId);
  const names = useCustomerNames(client, site.data ? [site.data.customerId] : []);
  if (site.isPending) return <Spinner label="Loading site" />;
  if (site.isError) return <Alert tone="danger">{errorMessage(site.error)}</Alert>;
  const s = site.data;
  const env = Object.keys(s.runtime?.env ?? {});
  const labels = Object.entries(s.labels);
  return (
    <div className="flex flex-col gap-4">
      <Link to="/sites">← All sites</Link>
      <SiteTitle site={s} />
      <p className="m-0">
        Customer: <Link to={`/customers/${s.customerId}`}>{names.get(s.customerId) ?? s.customerId}</Link>
      </p>
      <LiveDeployment client={client} site={s} canChange={canChange} />
      <Card title="Outputs">
        <SiteOutputs outputs={s.outputs} />
      </Card>
      <Card title="Configuration">
        <DescriptionList>
          <dt>Provider</dt>
          <dd>{providerLabel(s.provider)}</dd>
          <dt>Region</dt>
          <dd>{s.region}</dd>
          <dt>Size</dt>
          <dd>{SIZES.find((z) => z.value === String(s.size))?.label ?? "—"}</dd>
          <dt>Database</dt>
          <dd>{s.databaseEnabled ? "Yes" : "No"}</dd>
          <dt>Storage</dt>
          <dd>{s.storageEnabled ? "Yes" : "No"}</dd>
          <dt>Image</dt>
          <dd>{s.runtime ? `${s.runtime.image} (port ${s.runtime.port})` : "—"}</dd>
          <dt>Environment</dt>
          <dd>{env.length > 0 ? env.join(", ") : "—"}</dd>
          <dt>Labels</dt>
          <dd>{labels.length > 0 ? labels.map(([k, v]) => `${k}=${v}`).join(", ") : "—"}</dd>
          <dt>Created</dt>
          <dd>{formatDateTime(s.createTime)}</dd>
          <dt>Changed</dt>
          <dd>{formatDateTime(s.updateTime)}</dd>
          {s.deleteTime && (
            <>
              <dt>Deleted</dt>
              <dd>{formatDateTime(s.deleteTime)}</dd>
            </>
          )}
          <dt>Id</dt>
          <dd>{s.id}</dd>
        </DescriptionList>
      </Card>
      <Card title="Deployment history">
        <DeploymentHistory client={client} siteId={siteId} />
      </Card>
    </div>
  );
}
