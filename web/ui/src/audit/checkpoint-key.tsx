//! The public key that signs the checkpoints, to verify an export away from Canopy.
import { useId, useRef } from "react";
import { useQuery } from "@tanstack/react-query";
import type { CanopyClient } from "@canopy/sdk";
import { Alert } from "../components/alert";
import { CopyButton } from "../components/copy-button";
import { Spinner } from "../components/spinner";
import { errorMessage } from "../session/error-message";
import { auditQueries } from "./audit-queries";

export function CheckpointKey({ client }: { client: Pick<CanopyClient, "audit"> }) {
  const key = useQuery(auditQueries.checkpointKey(client));
  const id = useId();
  const input = useRef<HTMLInputElement>(null);
  if (key.isPending) return <Spinner label="Loading the checkpoint key" />;
  if (key.isError) return <Alert tone="danger">{errorMessage(key.error)}</Alert>;
  return (
    <div className="flex flex-col gap-2">
      <p className="m-0">
        A JSON Lines export verifies offline with this key: <code className="font-mono break-all">canopy-audit-verify --public-key {key.data} export.jsonl</code>
      </p>
      <label className="flex flex-col gap-1 font-semibold" htmlFor={id}>
        Checkpoint public key
        <input
          id={id}
          ref={input}
          readOnly
          value={key.data}
          onFocus={(e) => e.target.select()}
          className="min-h-control w-full rounded-brand border border-line bg-canvas px-3 py-control-y font-mono font-normal"
        />
      </label>
      <CopyButton text={key.data} label="Copy key" what="Key" onUnavailable={() => input.current?.select()} />
    </div>
  );
}
