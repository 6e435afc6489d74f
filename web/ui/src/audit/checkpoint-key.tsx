//! The public key that signs the checkpoints, to verify an export away from Canopy.
import { useQuery } from "@tanstack/react-query";
import type { CanopyClient } from "@canopy/sdk";
import { Alert } from "../components/alert";
import { CopyButton } from "../components/copy-button";
import { Spinner } from "../components/spinner";
import { errorMessage } from "../session/error-message";
import { auditQueries } from "./audit-queries";

export function CheckpointKey({ client }: { client: Pick<CanopyClient, "audit"> }) {
  const key = useQuery(auditQueries.checkpointKey(client));
  if (key.isPending) return <Spinner label="Loading the checkpoint key" />;
  if (key.isError) return <Alert tone="danger">{errorMessage(key.error)}</Alert>;
  return (
    <div className="flex flex-col gap-2">
      <p className="m-0">
        A JSON Lines export verifies offline with this key: <code className="font-mono break-all">canopy-audit-verify --public-key {key.data} export.jsonl</code>
      </p>
      <div className="flex flex-wrap items-center gap-3">
        <code className="font-mono break-all" aria-label="Checkpoint public key">
          {key.data}
        </code>
        <CopyButton text={key.data} label="Copy key" what="Key" />
      </div>
    </div>
  );
}
