//! API keys of a tenant (or the platform): the list (ListApiKeys, paged, with or
//! without revoked and expired keys), a new key (CreateApiKey; its secret shown
//! once), and revocation after a confirmation (RevokeApiKey). Both portals use it:
//! the customer account page for the owner's own tenant, the admin portal for any.
import { useState } from "react";
import { useQuery } from "@tanstack/react-query";
import type { CanopyClient, identity } from "@canopy/sdk";
import { Alert } from "../components/alert";
import { Button } from "../components/button";
import { EmptyState } from "../components/empty-state";
import { Spinner } from "../components/spinner";
import { StatusBadge, type StatusTone } from "../components/status-badge";
import { Table } from "../components/table";
import { Pager } from "../paging/pager";
import { usePageTokens } from "../paging/use-page-tokens";
import { errorMessage } from "../session/error-message";
import { formatDateTime, timeInWords, toDate } from "../sites/time-in-words";
import { apiKeyQueries, useRevokeApiKey } from "./api-key-queries";
import { CreateApiKeyForm } from "./create-api-key-form";
import { NewApiKeySecret } from "./new-api-key-secret";
import { type Role, roleLabel } from "./roles";

export interface ApiKeyManagerProps {
  client: Pick<CanopyClient, "apiKeys">;
  /** Whose keys: a tenant's (platform admins naming a customer). Absent: the caller's own tenant (owners), or platform keys (platform admins). */
  tenantId?: string;
  /** The roles the caller may give a new key (`grantableRoles`); empty: the caller cannot create keys and the form says so. */
  grantableRoles: Role[];
  /** Why no keys can be created, when `grantableRoles` is empty. */
  cannotCreate?: string;
  pageSize?: number;
}

function keyState(key: identity.ApiKey, now: number): { label: string; tone: StatusTone } {
  if (key.revokeTime) return { label: "Revoked", tone: "danger" };
  const expires = toDate(key.expireTime);
  if (expires && expires.getTime() <= now) return { label: "Expired", tone: "warning" };
  return { label: "Active", tone: "success" };
}

function When({ time, unset }: { time: identity.ApiKey["createTime"]; unset: string }) {
  return time ? <time dateTime={toDate(time)?.toISOString()} title={formatDateTime(time)}>{timeInWords(time)}</time> : <span className="text-muted">{unset}</span>;
}

export function ApiKeyManager({ client, tenantId = "", grantableRoles, cannotCreate, pageSize = 20 }: ApiKeyManagerProps) {
  const [includeInactive, setIncludeInactive] = useState(false);
  const pages = usePageTokens(`${tenantId}:${includeInactive}`);
  const [created, setCreated] = useState<{ name: string; secret: string }>();
  const [confirming, setConfirming] = useState<identity.ApiKey>();
  const [revoking, setRevoking] = useState(false);
  const [notice, setNotice] = useState<string>();
  const [actionError, setActionError] = useState<string>();

  const list = useQuery(apiKeyQueries.list(client, { tenantId, includeInactive, pageSize, pageToken: pages.pageToken }));
  const revokeApiKey = useRevokeApiKey(client);

  const revoke = async (key: identity.ApiKey) => {
    setRevoking(true);
    setActionError(undefined);
    try {
      // Settles once the lists are fetched again, as the busy button says.
      await revokeApiKey.mutateAsync(key.id);
      setConfirming(undefined);
      setNotice(`“${key.name}” was revoked: calls made with it are refused within seconds.`);
    } catch (e) {
      setActionError(errorMessage(e));
    } finally {
      setRevoking(false);
    }
  };

  const now = Date.now();
  return (
    <div className="flex flex-col gap-5">
      {created ? (
        <NewApiKeySecret name={created.name} secret={created.secret} onDismiss={() => setCreated(undefined)} />
      ) : grantableRoles.length > 0 ? (
        <CreateApiKeyForm
          client={client}
          tenantId={tenantId}
          roles={grantableRoles}
          onCreated={(res) => {
            setNotice(undefined);
            setCreated({ name: res.apiKey?.name ?? "", secret: res.secret });
          }}
        />
      ) : (
        <p className="m-0 text-muted">{cannotCreate ?? "You cannot create API keys."}</p>
      )}

      <div className="flex flex-col gap-3">
        <label className="flex items-center gap-2">
          <input type="checkbox" className="size-4 accent-primary" checked={includeInactive} onChange={(e) => setIncludeInactive(e.target.checked)} />
          Show revoked and expired keys
        </label>
        {notice && <Alert tone="success">{notice}</Alert>}
        {confirming && (
          <div className="flex flex-col gap-3" role="alertdialog" aria-label={`Revoke ${confirming.name}?`}>
            <Alert tone="danger" title={`Revoke “${confirming.name}”?`}>
              Anything still using it is refused from now on. This cannot be undone.
            </Alert>
            {actionError && <Alert tone="danger">{actionError}</Alert>}
            <div className="flex flex-wrap items-center gap-3">
              <Button variant="danger" busy={revoking} onClick={() => revoke(confirming)}>
                Yes, revoke {confirming.name}
              </Button>
              <Button variant="secondary" onClick={() => {
                  setConfirming(undefined);
                  setActionError(undefined);
                }}
              >
                Keep the key
              </Button>
            </div>
          </div>
        )}
        {list.isPending ? (
          <Spinner label="Loading API keys" />
        ) : list.isError ? (
          <Alert tone="danger">{errorMessage(list.error)}</Alert>
        ) : list.data.apiKeys.length === 0 ? (
          <EmptyState
            title={includeInactive ? "No API keys" : "No active API keys"}
            description={grantableRoles.length > 0 ? "A key lets a script or a CI job call Canopy with a role you choose." : undefined}
          />
        ) : (
          <>
            <Table aria-label="API keys">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Role</th>
                  <th>Status</th>
                  <th>Created</th>
                  <th>Last used</th>
                  <th>Expires</th>
                  <th>
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {list.data.apiKeys.map((key) => {
                  const state = keyState(key, now);
                  return (
                    <tr key={key.id}>
                      <td>
                        <span className="font-semibold">{key.name}</span>{" "}
                        <code className="font-mono text-sm text-muted">{key.prefix}…</code>
                      </td>
                      <td>{roleLabel(key.role)}</td>
                      <td>
                        <StatusBadge label={state.label} tone={state.tone} />
                      </td>
                      <td>
                        <When time={key.createTime} unset="—" />
                      </td>
                      <td>
                        <When time={key.lastUsedTime} unset="Never used" />
                      </td>
                      <td>
                        <When time={key.revokeTime ? undefined : key.expireTime} unset={key.revokeTime ? "—" : "Never"} />
                      </td>
                      <td>
                        {!key.revokeTime && state.label !== "Expired" && (
                          <Button variant="secondary" aria-label={`Revoke ${key.name}`} onClick={() => {
                              setConfirming(key);
                              setActionError(undefined);
                            }} disabled={confirming?.id === key.id}>
                            Revoke
                          </Button>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </Table>
            <Pager pages={pages} page={list.data.page} noun={["key", "keys"]} loading={list.isPlaceholderData} />
          </>
        )}
      </div>
    </div>
  );
}
