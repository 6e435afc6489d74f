//! A customer's status, its history (ListCustomerStatusChanges, newest first), and
//! the lifecycle actions: suspend (with a reason), reactivate, deactivate — each
//! confirmed before it is sent.
import { useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { type CanopyClient, tenancy } from "@canopy/sdk";
import { Alert, Button, Spinner, StatusBadge, TextField, errorMessage, fieldErrors, formatDateTime, Table } from "@canopy/ui";
import { ConfirmPanel } from "../../../components/confirm-panel";
import { customerStatus } from "../../../lib/customer-status";
import { type LifecycleAction, customerPageQueries, useChangeCustomerStatus } from "../api/customers";

export interface CustomerLifecycleProps {
  client: Pick<CanopyClient, "customers">;
  customer: tenancy.Customer;
  /** The status changed (the customer and its history are fetched again in any case). */
  onChanged?: (customer: tenancy.Customer | undefined) => void;
  /** Platform admins change the status; operators only see it. */
  canChange?: boolean;
}

type Action = LifecycleAction;

/** One history row's change; the first has no status before it (creation). */
function changeLabel(change: tenancy.CustomerStatusChange): string {
  if (change.fromStatus === tenancy.CustomerStatus.UNSPECIFIED) return "Created";
  return `${customerStatus(change.fromStatus).label} → ${customerStatus(change.toStatus).label}`;
}

export function StatusHistory({ client, customerId }: { client: Pick<CanopyClient, "customers">; customerId: string }) {
  const history = useQuery(customerPageQueries.statusChanges(client, customerId));
  if (history.isPending) return <Spinner label="Loading status history" />;
  if (history.isError) return <Alert tone="danger">{errorMessage(history.error)}</Alert>;
  if (history.data.changes.length === 0) return <p>No status changes yet.</p>;
  return (
    <Table aria-label="Status history">
      <thead>
        <tr>
          <th>When</th>
          <th>Change</th>
          <th>Reason</th>
          <th>By</th>
        </tr>
      </thead>
      <tbody>
        {history.data.changes.map((c, i) => (
          <tr key={`${i}-${c.changeTime?.seconds ?? ""}`}>
            <td>{formatDateTime(c.changeTime)}</td>
            <td>{changeLabel(c)}</td>
            <td>{c.reason || "—"}</td>
            <td>{c.changedBy || "—"}</td>
          </tr>
        ))}
      </tbody>
    </Table>
  );
}

const CONFIRM: Record<Action, { title: (name: string) => string; body: string; button: (name: string) => string; reason: boolean }> = {
  suspend: {
    title: (n) => `Suspend ${n}?`,
    body: "Every change the customer tries fails until you reactivate it; its sites keep running.",
    button: (n) => `Yes, suspend ${n}`,
    reason: true,
  },
  reactivate: {
    title: (n) => `Reactivate ${n}?`,
    body: "The suspension ends and the customer can make changes again.",
    button: (n) => `Yes, reactivate ${n}`,
    reason: false,
  },
  deactivate: {
    title: (n) => `Deactivate ${n}?`,
    body: "The customer is closed: its users can no longer sign in. Its data is kept.",
    button: (n) => `Yes, deactivate ${n}`,
    reason: true,
  },
};

export function CustomerLifecycle({ client, customer, onChanged, canChange = true }: CustomerLifecycleProps) {
  const [action, setAction] = useState<Action>();
  const [reason, setReason] = useState("");
  const [reasonError, setReasonError] = useState<string>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const changeStatus = useChangeCustomerStatus(client);
  const status = customerStatus(customer.status);
  const S = tenancy.CustomerStatus;

  const open = (next: Action) => {
    setAction(next);
    setReason("");
    setReasonError(undefined);
    setError(undefined);
  };

  const submit = async () => {
    if (!action) return;
    setBusy(true);
    setError(undefined);
    setReasonError(undefined);
    try {
      const res = await changeStatus.mutateAsync({ action, customerId: customer.id, reason: reason.trim() });
      setAction(undefined);
      onChanged?.(res.customer);
    } catch (e) {
      const placed = fieldErrors(e, { reason: "reason" } as Record<string, "reason">);
      if (placed?.fields.reason) setReasonError(placed.fields.reason);
      else setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  const confirm = action && CONFIRM[action];
  return (
    <div className="flex flex-col gap-4">
      <div className="flex flex-wrap items-center gap-3">
        <StatusBadge label={status.label} tone={status.tone} />
        {customer.statusReason && <span>Reason: {customer.statusReason}</span>}
      </div>
      {error && !confirm && <Alert tone="danger">{error}</Alert>}
      {!canChange ? null : confirm ? (
        <ConfirmPanel
          title={confirm.title(customer.name)}
          body={confirm.body}
          confirmLabel={confirm.button(customer.name)}
          tone={action === "reactivate" ? "info" : "danger"}
          busy={busy}
          error={error}
          onConfirm={submit}
          onCancel={() => setAction(undefined)}
        >
          {confirm.reason && (
            <TextField label="Reason" required value={reason} error={reasonError} hint="Recorded in the status history." onChange={(e) => setReason(e.target.value)} />
          )}
        </ConfirmPanel>
      ) : (
        <div className="flex flex-wrap items-center gap-3">
          {customer.status === S.ACTIVE && (
            <Button variant="secondary" onClick={() => open("suspend")}>
              Suspend
            </Button>
          )}
          {customer.status === S.SUSPENDED && <Button onClick={() => open("reactivate")}>Reactivate</Button>}
          {customer.status !== S.DEACTIVATED && (
            <Button variant="danger" onClick={() => open("deactivate")}>
              Deactivate
            </Button>
          )}
        </div>
      )}
    </div>
  );
}
