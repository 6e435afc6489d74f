//! The operator's view of envelope encryption in every service that stores secrets
//! (GetKeyRotationStatus): where its key-encryption key lives, the newest version
//! and the oldest still accepted, data keys by the KEK version wrapping them, active
//! data keys by their own version, retired keys, values still waiting to be
//! re-encrypted, and the last pass — its failure shown first, as the thing to fix.
import { useQuery } from "@tanstack/react-query";
import type { CanopyClient, commerce } from "@canopy/sdk";
import { Alert, Button, Card, DescriptionList, EmptyState, Spinner, StatusBadge, type StatusTone, errorMessage, formatDateTime, timeInWords } from "@canopy/ui";
import { keyRotationQueries } from "../api/key-rotation";

export interface KeyRotationPanelProps {
  client: Pick<CanopyClient, "keyRotation">;
}

/** "v3: 12 · v2: 4", newest version first; "None" when empty. */
const byVersion = (counts: commerce.KeyVersionCount[]) =>
  counts.length === 0
    ? "None"
    : [...counts]
        .sort((a, b) => b.version - a.version)
        .map((c) => `v${c.version}: ${c.count.toLocaleString()}`)
        .join(" · ");

const KEK_KIND: Record<string, string> = { keyring: "Keyring (local)", transit: "Vault Transit" };

/** The service's state in a word: the last pass failed, values wait for re-encryption, or all is under the newest keys. */
function standing(s: commerce.ServiceKeyStatus): { label: string; tone: StatusTone } {
  if (s.lastError) return { label: "Last pass failed", tone: "danger" };
  if (s.pendingReencryption > 0n) return { label: "Re-encrypting", tone: "warning" };
  if (!s.lastPassTime) return { label: "No pass yet", tone: "neutral" };
  return { label: "Up to date", tone: "success" };
}

export function KeyRotationPanel({ client }: KeyRotationPanelProps) {
  const status = useQuery(keyRotationQueries.status(client));
  const services = [...(status.data ?? [])].sort((a, b) => a.service.localeCompare(b.service));
  return (
    <Card
      title="Key rotation"
      aria-label="Key rotation"
      actions={
        <Button variant="secondary" busy={status.isFetching && !status.isPending} onClick={() => void status.refetch()}>
          Refresh
        </Button>
      }
    >
      <p className="mt-0 text-sm text-muted">Each service&apos;s envelope-encryption keys as its last rotation pass found them.</p>
      {status.isPending ? (
        <Spinner label="Loading key rotation status" />
      ) : status.isError ? (
        <Alert tone="danger">{errorMessage(status.error)}</Alert>
      ) : services.length === 0 ? (
        <EmptyState title="No service has reported yet" description="A service that stores secrets reports after its first rotation pass." />
      ) : (
        <div className="flex flex-col gap-4">
          {services.map((s) => (
            <section key={s.service} aria-label={s.service} className="flex flex-col gap-2 border-t border-line pt-3">
              <div className="flex flex-wrap items-center gap-3">
                <h3 className="m-0 text-base">{s.service}</h3>
                <StatusBadge {...standing(s)} />
              </div>
              {s.lastError && (
                <Alert tone="danger" title="The last pass failed">
                  <span className="break-words">{s.lastError}</span>
                </Alert>
              )}
              <DescriptionList>
                <dt>Key-encryption key</dt>
                <dd>{KEK_KIND[s.kekKind] ?? (s.kekKind || "—")}</dd>
                <dt>Current version</dt>
                <dd>v{s.kekCurrentVersion}</dd>
                <dt>Oldest version accepted</dt>
                <dd>v{s.kekMinDecryptionVersion}</dd>
                <dt>Data keys by KEK version</dt>
                <dd>{byVersion(s.dataKeysByKekVersion)}</dd>
                <dt>Active data keys by version</dt>
                <dd>{byVersion(s.activeDataKeysByVersion)}</dd>
                <dt>Retired data keys</dt>
                <dd>{s.retiredDataKeys.toLocaleString()}</dd>
                <dt>Pending re-encryption</dt>
                <dd className={s.pendingReencryption > 0n ? "font-semibold text-warning" : undefined}>{s.pendingReencryption.toLocaleString()}</dd>
                <dt>Last pass</dt>
                <dd title={formatDateTime(s.lastPassTime)}>{s.lastPassTime ? `${timeInWords(s.lastPassTime)} (${formatDateTime(s.lastPassTime)})` : "Never"}</dd>
              </DescriptionList>
            </section>
          ))}
        </div>
      )}
    </Card>
  );
}
