//! Deleting a list's item after a confirmation: which item is being confirmed, the
//! call's busy state and failure, and the notice once it is gone.
import { useState } from "react";
import { errorMessage } from "../session/error-message";

export interface ConfirmedDeleteOptions<T> {
  /** The call (a mutation's `mutateAsync`, say); a rejection is shown in the confirmation. */
  remove: (item: T) => Promise<unknown>;
  /** The notice once the item is deleted: "ops-slack was deleted." */
  deleted: (item: T) => string;
}

export interface ConfirmedDelete<T> {
  /** The item whose confirmation is open. */
  confirming: T | undefined;
  /** The deletion is under way. */
  busy: boolean;
  /** The last attempt's failure, in words. */
  error: string | undefined;
  /** A success notice above the list (a deletion's, or one the page sets: "… was created."). */
  notice: string | undefined;
  setNotice: (notice: string | undefined) => void;
  /** Opens the confirmation for `item` (the notice and any earlier failure cleared). */
  ask: (item: T) => void;
  /** Deletes the item being confirmed; on success closes the confirmation and says so. */
  confirm: () => Promise<void>;
  /** Closes the confirmation, forgetting its failure. */
  cancel: () => void;
}

export function useConfirmedDelete<T>({ remove, deleted }: ConfirmedDeleteOptions<T>): ConfirmedDelete<T> {
  const [confirming, setConfirming] = useState<T>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [notice, setNotice] = useState<string>();

  const confirm = async () => {
    if (confirming === undefined) return;
    const item = confirming;
    setError(undefined);
    setBusy(true);
    try {
      await remove(item);
      setConfirming(undefined);
      setNotice(deleted(item));
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  return {
    confirming,
    busy,
    error,
    notice,
    setNotice,
    ask: (item) => {
      setError(undefined);
      setNotice(undefined);
      setConfirming(item);
    },
    confirm,
    cancel: () => {
      setConfirming(undefined);
      setError(undefined);
    },
  };
}
