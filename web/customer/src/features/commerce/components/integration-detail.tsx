//! One integration: its health now (GetIntegrationStatus), when the next scheduled
//! check runs, and its checks newest first, paged; "Check now" (ValidateCredentials
//! on the stored credentials, recorded as a check). Owners and members also rotate
//! the credentials and rename it, from the revision the status read.
import { useEffect, useRef, useState } from "react";
import { useQuery } from "@tanstack/react-query";
import type { CanopyClient, commerce } from "@canopy/sdk";
import {
  Alert,
  Button,
  Card,
  DescriptionList,
  EmptyState,
  HEALTH_HISTORY_PAGE_SIZE,
  HealthBadge,
  Pager,
  Spinner,
  Table,
  causeLabel,
  checkTrigger,
  errorMessage,
  formatDateTime,
  integrationQueries,
  platformLabel,
  timeInWords,
  usePageTokens,
} from "@canopy/ui";
import { useValidateCredentials } from "../api/integrations";
import { CredentialHints } from "./credential-hints";
import { RenameIntegrationForm } from "./rename-integration-form";
import { RotateCredentialsForm } from "./rotate-credentials-form";
import { ValidationResult } from "./validation-result";

export interface IntegrationDetailProps {
  client: Pick<CanopyClient, "integrations">;
  customerId: string;
  /** As listed; the status's copy replaces it once read. */
  integration: commerce.Integration;
  platform: commerce.PlatformInfo | undefined;
  canChange: boolean;
  onClose: () => void;
  /** A notice for the page: "… was renamed." */
  onChanged: (notice: string) => void;
}

const nameOf = (i: commerce.Integration) => i.displayName || i.storeName || i.store;

export function IntegrationDetail({ client, customerId, integration: listed, platform, canChange, onClose, onChanged }: IntegrationDetailProps) {
  const pages = usePageTokens(listed.id);
  const status = useQuery(integrationQueries.status(client, { customerId, integrationId: listed.id, page: { pageSize: HEALTH_HISTORY_PAGE_SIZE, pageToken: pages.pageToken } }));
  const integration = status.data?.integration ?? listed;
  const name = nameOf(integration);
  const [editing, setEditing] = useState<"rotate" | "rename">();
  const validate = useValidateCredentials(client);
  const [checked, setChecked] = useState<commerce.ValidateCredentialsResponse>();
  const [checkError, setCheckError] = useState<string>();
  const heading = useRef<HTMLHeadingElement>(null);

  // Opened from the list: focus moves here, so a keyboard or screen reader user lands on it.
  useEffect(() => heading.current?.focus(), [listed.id]);

  const checkNow = async () => {
    setChecked(undefined);
    setCheckError(undefined);
    try {
      setChecked(await validate.mutateAsync({ customerId, target: { case: "integrationId", value: integration.id } }));
    } catch (e) {
      setCheckError(errorMessage(e));
    }
  };

  const history = status.data?.history ?? [];
  return (
    <Card
      aria-labelledby={`integration-${listed.id}`}
      title={
        <span id={`integration-${listed.id}`} ref={heading} tabIndex={-1}>
          {name}
        </span>
      }
      actions={
        <>
          {canChange && (
            <Button variant="secondary" busy={validate.isPending} onClick={() => void checkNow()}>
              Check now
            </Button>
          )}
          {canChange && platform && (
            <Button variant="secondary" disabled={editing === "rotate"} onClick={() => setEditing("rotate")}>
              Rotate credentials
            </Button>
          )}
          {canChange && (
            <Button variant="secondary" disabled={editing === "rename"} onClick={() => setEditing("rename")}>
              Rename
            </Button>
          )}
          <Button variant="secondary" onClick={onClose}>
            Close
          </Button>
        </>
      }
    >
      <div className="flex flex-col gap-4">
        {checkError && <Alert tone="danger">{checkError}</Alert>}
        {checked && <ValidationResult result={checked} />}
        {editing === "rotate" && platform && (
          <RotateCredentialsForm
            key={integration.id}
            client={client}
            customerId={customerId}
            integration={integration}
            platform={platform}
            onSaved={(saved) => {
              setEditing(undefined);
              onChanged(`${nameOf(saved)}: the new credentials are stored.`);
            }}
            onCancel={() => setEditing(undefined)}
          />
        )}
        {editing === "rename" && (
          <RenameIntegrationForm
            key={integration.id}
            client={client}
            customerId={customerId}
            integration={integration}
            onSaved={(saved) => {
              setEditing(undefined);
              onChanged(`${name} was renamed ${nameOf(saved)}.`);
            }}
            onCancel={() => setEditing(undefined)}
          />
        )}
        {status.isError && <Alert tone="danger">{errorMessage(status.error)}</Alert>}
        <DescriptionList>
          <dt>Platform</dt>
          <dd>{platform?.displayName ?? platformLabel(integration.platform)}</dd>
          <dt>Store</dt>
          <dd className="break-all">{integration.store}</dd>
          <dt>Store name</dt>
          <dd>{integration.storeName || "—"}</dd>
          <dt>Health</dt>
          <dd>
            <HealthBadge health={integration.health} />
            {integration.message && <span className="mt-1 block">{causeLabel(integration.cause) ? `${causeLabel(integration.cause)}: ` : ""}{integration.message}</span>}
          </dd>
          <dt>Last check</dt>
          <dd title={formatDateTime(integration.lastCheckTime)}>{timeInWords(integration.lastCheckTime, "Never")}</dd>
          <dt>Next check</dt>
          <dd title={formatDateTime(status.data?.nextCheckTime)}>{status.isPending ? "…" : timeInWords(status.data?.nextCheckTime, "Not scheduled")}</dd>
          <dt>Credentials</dt>
          <dd>
            <CredentialHints hints={integration.hints} platform={platform} />
          </dd>
        </DescriptionList>
        <h3 className="m-0 text-base">Health checks</h3>
        {status.isPending ? (
          <Spinner label="Loading health checks" />
        ) : history.length === 0 ? (
          <EmptyState title="No checks yet" description="The store is checked on a schedule; “Check now” checks it at once." />
        ) : (
          <>
            <Table aria-label="Health checks">
              <thead>
                <tr>
                  <th>Time</th>
                  <th>Trigger</th>
                  <th>Outcome</th>
                  <th>Cause</th>
                </tr>
              </thead>
              <tbody>
                {history.map((h, i) => (
                  <tr key={`${h.checkTime?.seconds ?? i}-${i}`}>
                    <td title={formatDateTime(h.checkTime)}>{formatDateTime(h.checkTime)}</td>
                    <td>{checkTrigger(h.trigger)}</td>
                    <td>
                      <HealthBadge health={h.health} />
                    </td>
                    <td className="break-words">
                      {causeLabel(h.cause) && <span className="block font-semibold">{causeLabel(h.cause)}</span>}
                      {h.message || (causeLabel(h.cause) ? "" : "—")}
                    </td>
                  </tr>
                ))}
              </tbody>
            </Table>
            <Pager pages={pages} page={status.data?.page} noun={["check", "checks"]} loading={status.isPlaceholderData} label="Health check pages" />
          </>
        )}
      </div>
    </Card>
  );
}
