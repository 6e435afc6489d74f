//! A deployment's policy check (GetPolicyCheck): where it stands, every policy's
//! decision, who overrode or discarded it and why; while the run waits on a
//! soft-mandatory failure, Override (a reason is required; only when the server
//! says the reader may) and Discard (the run ends cancelled) after a confirmation.
import { type FormEvent, useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { type CanopyClient, policy } from "@canopy/sdk";
import { Alert } from "../components/alert";
import { Button } from "../components/button";
import { Card } from "../components/card";
import { Spinner } from "../components/spinner";
import { StatusBadge } from "../components/status-badge";
import { TextAreaField } from "../components/text-field";
import { errorMessage } from "../session/error-message";
import { useFormAction } from "../session/use-form-action";
import { formatDateTime } from "../sites/time-in-words";
import { PolicyDecisions } from "./policy-decisions";
import { policyCheckQueries, useResolvePolicyCheck } from "./policy-queries";
import { checkState } from "./policy-words";

type Client = Pick<CanopyClient, "compliance">;

export interface PolicyCheckActionsProps {
  client: Client;
  check: policy.PolicyCheck;
  /** The customer id sent; "" for the caller's own (the customer portal). */
  customerId?: string;
  /** Whether the reader's role may discard (platform admins, owners, members). */
  canDiscard: boolean;
  /** The override or discard went through. */
  onResolved?: (check: policy.PolicyCheck | undefined) => void;
  /** Names the check in the buttons' accessible names where a page lists several. */
  what?: string;
}

/** Override (with a reason) and Discard for a check awaiting an override; nothing otherwise. */
export function PolicyCheckActions({ client, check, customerId = "", canDiscard, onResolved, what }: PolicyCheckActionsProps) {
  const [open, setOpen] = useState<"override" | "discard">();
  const [reason, setReason] = useState("");
  const resolve = useResolvePolicyCheck(client);
  const { busy, errors, formError, run, refuse } = useFormAction<"reason">({ reason: "reason" });
  if (check.state !== policy.PolicyCheckState.AWAITING_OVERRIDE) return null;
  if (!check.canOverride && !canDiscard) return null;
  const suffix = what ? ` ${what}` : "";

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!open) return;
    if (open === "override" && !reason.trim()) {
      refuse({ reason: "Say why the failures may be let through; it is recorded in the audit trail." });
      return;
    }
    const to = open;
    void run(async () => {
      const resolved = await resolve.mutateAsync({ customerId, checkId: check.id, to, reason: reason.trim() });
      setOpen(undefined);
      setReason("");
      onResolved?.(resolved);
    });
  };

  if (!open) {
    return (
      <div className="flex flex-wrap gap-2">
        {check.canOverride && (
          <Button variant="secondary" aria-label={`Override${suffix}`} onClick={() => setOpen("override")}>
            Override
          </Button>
        )}
        {canDiscard && (
          <Button variant="secondary" aria-label={`Discard${suffix}`} onClick={() => setOpen("discard")}>
            Discard
          </Button>
        )}
      </div>
    );
  }
  const title = open === "override" ? "Override the policy failures?" : "Discard this run?";
  return (
    <div role="alertdialog" aria-label={title}>
      <form className="flex flex-col gap-3" onSubmit={submit} noValidate>
        <Alert tone="danger" title={title}>
          {open === "override"
            ? "The deployment continues and its plan is applied despite the soft-mandatory failures."
            : "The deployment ends cancelled and nothing is applied."}
        </Alert>
        {formError && <Alert tone="danger">{formError}</Alert>}
        <TextAreaField
          label={open === "override" ? "Reason" : "Reason (optional)"}
          rows={2}
          maxLength={500}
          hint="Up to 500 characters; recorded in the audit trail and on the deployment."
          value={reason}
          onChange={(e) => setReason(e.target.value)}
          error={errors.reason}
          required={open === "override"}
        />
        <div className="flex flex-wrap items-center gap-3">
          <Button type="submit" variant="danger" busy={busy}>
            {open === "override" ? "Yes, override" : "Yes, discard the run"}
          </Button>
          <Button
            variant="secondary"
            disabled={busy}
            onClick={() => {
              setOpen(undefined);
              setReason("");
            }}
          >
            Cancel
          </Button>
        </div>
      </form>
    </div>
  );
}

export interface PolicyCheckPanelProps {
  client: Client;
  deploymentId: string;
  /** The deployment's latest status: the check is asked again when it changes. */
  deploymentStatus: number;
  customerId?: string;
  canDiscard: boolean;
  onResolved?: () => void;
}

export function PolicyCheckPanel({ client, deploymentId, deploymentStatus, customerId = "", canDiscard, onResolved }: PolicyCheckPanelProps) {
  const query = useQuery(policyCheckQueries.deployment(client, customerId, deploymentId, deploymentStatus));
  const check = query.data;
  return (
    <Card title="Policy check" aria-label="Policy check">
      {query.isPending ? (
        <Spinner label="Loading the policy check" />
      ) : query.isError ? (
        <Alert tone="danger">{errorMessage(query.error)}</Alert>
      ) : !check ? (
        <p className="m-0 text-muted">No policy check for this deployment yet: its plan is checked against the policies before it is applied.</p>
      ) : (
        <div className="flex flex-col gap-3">
          <p className="m-0 flex flex-wrap items-center gap-2">
            <StatusBadge {...checkState(check.state)} />
            <span className="text-sm text-muted">Checked {formatDateTime(check.createTime)}</span>
          </p>
          {check.state === policy.PolicyCheckState.AWAITING_OVERRIDE && (
            <Alert title="The deployment is waiting">
              Soft-mandatory policies failed. It waits until {formatDateTime(check.expireTime)} for someone allowed to override the failures, or for a discard.
              {!check.canOverride && " Only those allowed can override them: an owner for your own policies, the platform for its policies."}
            </Alert>
          )}
          {check.resolvedBy && (
            <p className="m-0">
              {check.state === policy.PolicyCheckState.DISCARDED ? "Discarded" : "Overridden"} by {check.resolvedBy} on {formatDateTime(check.resolveTime)}
              {check.resolutionReason ? `: “${check.resolutionReason}”` : "."}
            </p>
          )}
          <PolicyCheckActions client={client} check={check} customerId={customerId} canDiscard={canDiscard} onResolved={onResolved} />
          <PolicyDecisions decisions={check.decisions} label="Decisions on this deployment" />
        </div>
      )}
    </Card>
  );
}
