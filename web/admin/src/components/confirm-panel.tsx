//! An action confirmed before it is sent: what will happen, optional inputs
//! (a reason, a role), the confirming button (busy while the call runs) and Cancel.
import type { FormEvent, ReactNode } from "react";
import { Alert, Button } from "@canopy/ui";

export interface ConfirmPanelProps {
  /** The question, e.g. "Suspend Acme?"; also the dialog's accessible name. */
  title: string;
  /** What happens. */
  body: ReactNode;
  /** The confirming button's words, e.g. "Yes, suspend Acme". */
  confirmLabel: string;
  tone?: "danger" | "info";
  busy: boolean;
  /** The failure of the last attempt, in words. */
  error?: string;
  onConfirm: () => void;
  onCancel: () => void;
  /** Inputs the action needs. */
  children?: ReactNode;
}

export function ConfirmPanel({ title, body, confirmLabel, tone = "danger", busy, error, onConfirm, onCancel, children }: ConfirmPanelProps) {
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onConfirm();
  };
  return (
    // The dialog role on a wrapper: a <form> may not take it (axe: aria-allowed-role).
    <div role="alertdialog" aria-label={title}>
      <form className="flex flex-col gap-4" onSubmit={submit} noValidate>
        <Alert tone={tone} title={title}>
          {body}
        </Alert>
        {error && <Alert tone="danger">{error}</Alert>}
        {children}
        <div className="flex flex-wrap items-center gap-3">
          <Button type="submit" variant={tone === "info" ? "primary" : "danger"} busy={busy}>
            {confirmLabel}
          </Button>
          <Button variant="secondary" onClick={onCancel} disabled={busy}>
            Cancel
          </Button>
        </div>
      </form>
    </div>
  );
}
