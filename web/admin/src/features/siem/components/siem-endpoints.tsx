//! SIEM endpoints (platform admins): the list with each one's delivery state, a
//! new one (its signing secret shown once), and deletion after a confirmation.
import { useState } from "react";
import { useQuery } from "@tanstack/react-query";
import type { CanopyClient, audit } from "@canopy/sdk";
import { Alert, Button, Card, EmptyState, Pager, Spinner, Table, UrlText, errorMessage, formatDateTime, usePageTokens } from "@canopy/ui";
import { siemQueries, useDeleteSiemEndpoint } from "../api/siem";
import { CreateSiemEndpointForm } from "./create-siem-endpoint-form";
import { NewSiemSecret } from "./new-siem-secret";

export interface SiemEndpointsProps {
  client: Pick<CanopyClient, "siem">;
}

export function SiemEndpoints({ client }: SiemEndpointsProps) {
  const pages = usePageTokens("");
  const list = useQuery(siemQueries.list(client, pages.pageToken));
  const remove = useDeleteSiemEndpoint(client);
  const [created, setCreated] = useState<{ url: string; secret: string }>();
  const [confirming, setConfirming] = useState<audit.SiemEndpoint>();
  const [notice, setNotice] = useState<string>();

  const confirmDelete = async (endpoint: audit.SiemEndpoint) => {
    try {
      await remove.mutateAsync(endpoint.id);
      setConfirming(undefined);
      setNotice(`${endpoint.url} was deleted: it receives no more events.`);
    } catch {
      // Shown in the confirmation from the mutation's error.
    }
  };

  return (
    <div className="flex flex-col gap-4">
      <Card title="Add an endpoint">
        {created ? (
          <NewSiemSecret url={created.url} secret={created.secret} onDismiss={() => setCreated(undefined)} />
        ) : (
          <CreateSiemEndpointForm
            client={client}
            onCreated={(res) => {
              setNotice(undefined);
              setCreated({ url: res.endpoint?.url ?? "", secret: res.signingSecret });
            }}
          />
        )}
      </Card>
      <Card title="Endpoints">
        <div className="flex flex-col gap-3">
          {notice && <Alert tone="success">{notice}</Alert>}
          {confirming && (
            <div className="flex flex-col gap-3" role="alertdialog" aria-label={`Delete ${confirming.url}?`}>
              <Alert tone="danger" title={`Delete ${confirming.url}?`}>
                It receives no more events, and deliveries still waiting for a retry are dropped.
              </Alert>
              {remove.error && <Alert tone="danger">{errorMessage(remove.error)}</Alert>}
              <div className="flex flex-wrap items-center gap-3">
                <Button variant="danger" busy={remove.isPending} onClick={() => void confirmDelete(confirming)}>
                  Yes, delete the endpoint
                </Button>
                <Button
                  variant="secondary"
                  onClick={() => {
                    setConfirming(undefined);
                    remove.reset();
                  }}
                >
                  Keep it
                </Button>
              </div>
            </div>
          )}
          {list.isPending ? (
            <Spinner label="Loading SIEM endpoints" />
          ) : list.isError ? (
            <Alert tone="danger">{errorMessage(list.error)}</Alert>
          ) : list.data.endpoints.length === 0 ? (
            <EmptyState title="No SIEM endpoints" description="An endpoint receives every audit event as it is recorded." />
          ) : (
            <>
              <Table aria-label="SIEM endpoints">
                <thead>
                  <tr>
                    <th>URL</th>
                    <th>Description</th>
                    <th>Created</th>
                    <th>Delivered</th>
                    <th>Pending</th>
                    <th>Last error</th>
                    <th>
                      <span className="sr-only">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {list.data.endpoints.map((endpoint) => (
                    <tr key={endpoint.id}>
                      <td>
                        <UrlText text={endpoint.url} />
                      </td>
                      <td>{endpoint.description || "—"}</td>
                      <td>{formatDateTime(endpoint.createTime)}</td>
                      <td>{endpoint.deliveredCount.toLocaleString()}</td>
                      <td>{endpoint.pendingCount.toLocaleString()}</td>
                      <td className={endpoint.lastError ? "text-danger" : "text-muted"}>{endpoint.lastError || "None"}</td>
                      <td>
                        <Button
                          variant="secondary"
                          aria-label={`Delete ${endpoint.url}`}
                          disabled={confirming?.id === endpoint.id}
                          onClick={() => {
                            remove.reset();
                            setNotice(undefined);
                            setConfirming(endpoint);
                          }}
                        >
                          Delete
                        </Button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </Table>
              <Pager pages={pages} page={list.data.page} noun={["endpoint", "endpoints"]} loading={list.isPlaceholderData} />
            </>
          )}
        </div>
      </Card>
    </div>
  );
}
