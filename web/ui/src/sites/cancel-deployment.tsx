//! Cancelling a queued, running or waiting (awaiting a policy override) deployment (CancelDeployment) after a
//! confirmation. Cancellation is a request: the deployment keeps running until the
//! worker stops Terraform, so "Cancelling…" shows until the status says it is over.
import { useState } from "react";
import { type CanopyClient, sites } from "@canopy/sdk";
import { Alert } from "../components/alert";
import { Button } from "../components/button";
import { Spinner } from "../components/spinner";
import { errorMessage } from "../session/error-message";

export interface CancelDeploymentProps {
  client: Pick<CanopyClient, "sites">;
  deploymentId: string;
  /** The latest status known (the watch's, else the listed one). */
  status: sites.DeploymentStatus;
  /** Whether cancellation was already asked for (`Deployment.cancel_requested`). */
  cancelRequested?: boolean;
  /** CancelDeployment accepted the request. */
  onRequested?: (deployment: sites.Deployment | undefined) => void;
}

/** Whether a deployment in `status` can still be cancelled. */
export function isCancellable(status: sites.DeploymentStatus): boolean {
  return status === sites.DeploymentStatus.QUEUED || status === sites.DeploymentStatus.RUNNING || status === sites.DeploymentStatus.AWAITING_OVERRIDE;
}

/** "Cancel deployment" with its confirmation, then "Cancelling…"; nothing once the deployment is over. */
export function CancelDeployment({ client, deploymentId, status, cancelRequested = false, onRequested }: CancelDeploymentProps) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [requested, setRequested] = useState<string>();
  const [error, setError] = useState<string>();

  if (!isCancellable(status)) return null;
  if (cancelRequested || requested === deploymentId) {
    return (
      <p className="m-0 flex items-center gap-2 font-semibold text-warning" role="status">
        <Spinner size="small" label="" />
        Cancelling…
      </p>
    );
  }

  const cancel = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const res = await client.sites.cancelDeployment({ deploymentId });
      setRequested(deploymentId);
      setConfirming(false);
      onRequested?.(res.deployment);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  if (!confirming) {
    return (
      <Button variant="secondary" onClick={() => setConfirming(true)}>
        Cancel deployment
      </Button>
    );
  }
  return (
    <div className="flex flex-col gap-3" role="alertdialog" aria-label="Cancel the deployment?">
      <Alert tone="danger" title="Cancel the deployment?">
        Terraform is interrupted where it is; what it already changed stays as it is until the next deployment.
      </Alert>
      {error && <Alert tone="danger">{error}</Alert>}
      <div className="flex flex-wrap items-center gap-3">
        <Button variant="danger" busy={busy} onClick={cancel}>
          Yes, cancel the deployment
        </Button>
        <Button
          variant="secondary"
          onClick={() => {
            setConfirming(false);
            setError(undefined);
          }}
        >
          Keep it running
        </Button>
      </div>
    </div>
  );
}
