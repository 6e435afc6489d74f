//! Verify a chain: VerifyAuditLog recomputes every entry's hash and checks the
//! signed checkpoints; the answer in words, or the first entry that does not verify.
import type { CanopyClient, audit } from "@canopy/sdk";
import { Alert } from "../components/alert";
import { Button } from "../components/button";
import { errorMessage } from "../session/error-message";
import { useVerifyAuditLog } from "./audit-queries";

const count = (n: bigint, one: string, many: string) => `${n.toLocaleString()} ${n === 1n ? one : many}`;

/** A VerifyAuditLog answer in words, styled as an error when the chain does not verify. */
export function VerifyResult({ result }: { result: audit.VerifyAuditLogResponse }) {
  if (result.verified) {
    return (
      <Alert tone="success" title="The chain verifies">
        Verified {count(result.entriesChecked, "entry", "entries")}, {count(result.checkpointsChecked, "checkpoint", "checkpoints")}
        {result.headSequence > 0n ? ` (up to sequence ${result.headSequence}).` : "."}
      </Alert>
    );
  }
  return (
    <Alert tone="danger" title="The chain does not verify">
      First bad entry: sequence {String(result.firstBadSequence)}
      {result.firstBadEventId ? ` (event ${result.firstBadEventId})` : " (the event no longer exists)"}.
      {result.problem && ` ${result.problem}`}
      {` Checked ${count(result.entriesChecked, "entry", "entries")}, ${count(result.checkpointsChecked, "checkpoint", "checkpoints")}.`}
    </Alert>
  );
}

export interface AuditVerifyProps {
  client: Pick<CanopyClient, "audit">;
  /** The chain: a customer's id, or "" for the platform's (admins) or the owner's own customer. */
  customerId: string;
  /** The chain in words, for the button: "the platform's chain", "Acme's chain". */
  chain: string;
}

export function AuditVerify({ client, customerId, chain }: AuditVerifyProps) {
  const verify = useVerifyAuditLog(client);
  // A result is about the chain it was asked for: another chain shows none.
  const shown = verify.variables === customerId ? verify : undefined;
  return (
    <section className="flex flex-col gap-3" aria-label="Verify">
      <div>
        <Button variant="secondary" busy={verify.isPending} onClick={() => verify.mutate(customerId)}>
          {verify.isPending ? "Verifying…" : `Verify ${chain}`}
        </Button>
      </div>
      {shown?.data && <VerifyResult result={shown.data} />}
      {shown?.error && <Alert tone="danger">{errorMessage(shown.error)}</Alert>}
    </section>
  );
}
