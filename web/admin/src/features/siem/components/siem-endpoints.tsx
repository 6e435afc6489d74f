//! SIEM endpoints (platform admins): the list with each one's delivery state, a
//! new one (its signing secret shown once), and deletion after a confirmation.
import { useState } from "react";
import { useQuery } from "@tanstack/react-query";
import type { CanopyClient, audit } from "@canopy/sdk";
import { Card, DeleteButton, ManagedList, Table, UrlText, formatDateTime, useConfirmedDelete, usePageTokens } from "@canopy/ui";
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
  const deletion = useConfirmedDelete<audit.SiemEndpoint>({ remove: (endpoint) => remove.mutateAsync(endpoint.id), deleted: (endpoint) => `${endpoint.url} was deleted: it receives no more events.` });

  return (
    <div className="flex flex-col gap-4">
      <Card title="Add an endpoint">
        {created ? (
          <NewSiemSecret url={created.url} secret={created.secret} onDismiss={() => setCreated(undefined)} />
        ) : (
          <CreateSiemEndpointForm
            client={client}
            onCreated={(res) => {
              deletion.setNotice(undefined);
              setCreated({ url: res.endpoint?.url ?? "", secret: res.signingSecret });
            }}
          />
        )}
      </Card>
      <ManagedList
        title="Endpoints"
        list={list}
        items={list.data?.endpoints}
        deletion={deletion}
        pages={pages}
        noun={["endpoint", "endpoints"]}
        confirmation={(endpoint) => ({
          title: `Delete ${endpoint.url}?`,
          body: "It receives no more events, and deliveries still waiting for a retry are dropped.",
          confirmLabel: "Yes, delete the endpoint",
        })}
        loadingLabel="Loading SIEM endpoints"
        empty={{ title: "No SIEM endpoints", description: "An endpoint receives every audit event as it is recorded." }}
      >
        {(endpoints) => (
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
              {endpoints.map((endpoint) => (
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
                    <DeleteButton deletion={deletion} item={endpoint} name={endpoint.url} />
                  </td>
                </tr>
              ))}
            </tbody>
          </Table>
        )}
      </ManagedList>
    </div>
  );
}
