//! A destructive action confirmed first: what will happen, the failure of the last
//! attempt, the confirming button (busy while the call runs) and a way out.
import type { ReactNode } from "react";
import { Alert } from "../components/alert";
import { Button } from "../components/button";

export interface ConfirmDialogProps {
  /** The question, e.g. "Delete ops-slack?"; also the dialog's accessible name. */
  title: string;
  body: ReactNode;
  confirmLabel: string;
  cancelLabel?: string;
  busy: boolean;
  error?: string;
  onConfirm: () => void;
  onCancel: () => void;
}

export function ConfirmDialog({ title, body, confirmLabel, cancelLabel = "Cancel", busy, error, onConfirm, onCancel }: ConfirmDialogProps) {
  return (
    <div className="flex flex-col gap-3" role="alertdialog" aria-label={title}>
      <Alert tone="danger" title={title}>
        {body}
      </Alert>
      {error && <Alert tone="danger">{error}</Alert>}
      <div className="flex flex-wrap items-center gap-3">
        <Button variant="danger" busy={busy} onClick={onConfirm}>
          {confirmLabel}
        </Button>
        <Button variant="secondary" onClick={onCancel} disabled={busy}>
          {cancelLabel}
        </Button>
      </div>
    </div>
  );
}
