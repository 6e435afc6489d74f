//! A site's store connections (ListIntegrations for the site, paged): platform,
//! name, store, the stored credentials as hints, health in words with its cause,
//! the last check. Owners and members connect a store, open one to check it now,
//! rotate its credentials or rename it, and delete it after a confirmation; viewers
//! read (IntegrationService lets owners and members alone change them).
import { useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { type CanopyClient, commerce } from "@canopy/sdk";
import {
  Alert,
  Button,
  Card,
  DeleteButton,
  HealthBadge,
  INTEGRATION_PAGE_SIZE,
  ManagedList,
  Table,
  causeLabel,
  errorMessage,
  formatDateTime,
  integrationQueries,
  platformLabel,
  timeInWords,
  useConfirmedDelete,
  usePageTokens,
} from "@canopy/ui";
import { useDeleteIntegration } from "../api/integrations";
import { ConnectStoreForm } from "./connect-store-form";
import { CredentialHints } from "./credential-hints";
import { IntegrationDetail } from "./integration-detail";

export interface SiteIntegrationsProps {
  client: Pick<CanopyClient, "integrations" | "commercePlatforms">;
  siteId: string;
  /** "" for the signed-in customer's own (the server reads it). */
  customerId?: string;
  /** Owners and members; viewers read. */
  canChange: boolean;
}

const nameOf = (i: commerce.Integration) => i.displayName || i.storeName || i.store;

export function SiteIntegrations({ client, siteId, customerId = "", canChange }: SiteIntegrationsProps) {
  const platforms = useQuery(integrationQueries.platforms(client));
  const pages = usePageTokens(siteId);
  const list = useQuery(integrationQueries.list(client, { customerId, siteId, page: { pageSize: INTEGRATION_PAGE_SIZE, pageToken: pages.pageToken } }));
  const [connecting, setConnecting] = useState(false);
  const [openId, setOpenId] = useState<string>();
  const remove = useDeleteIntegration(client);
  const deletion = useConfirmedDelete<commerce.Integration>({
    remove: async (i) => {
      await remove.mutateAsync({ customerId, integrationId: i.id });
      if (openId === i.id) setOpenId(undefined);
    },
    deleted: (i) => `${nameOf(i)} was disconnected; its credentials are forgotten.`,
  });
  const platformOf = (p: commerce.Platform) => platforms.data?.find((info) => info.platform === p);
  const open = list.data?.integrations.find((i) => i.id === openId);

  return (
    <div className="flex flex-col gap-4">
      {!canChange && <Alert>Owners and members connect stores and change them; you can see them and their health.</Alert>}
      {connecting && (
        <Card title="Connect a store">
          {platforms.isPending ? (
            <Alert>Loading the platforms…</Alert>
          ) : platforms.isError ? (
            <Alert tone="danger">{errorMessage(platforms.error)}</Alert>
          ) : (
            <ConnectStoreForm
              client={client}
              customerId={customerId}
              siteId={siteId}
              platforms={platforms.data}
              onConnected={(i) => {
                setConnecting(false);
                setOpenId(undefined);
                deletion.setNotice(`${nameOf(i)} is connected. Its secrets are stored encrypted and shown from now on only by their last four characters.`);
              }}
              onCancel={() => setConnecting(false)}
            />
          )}
        </Card>
      )}
      <ManagedList
        list={list}
        items={list.data?.integrations}
        deletion={deletion}
        pages={pages}
        noun={["store", "stores"]}
        pagerLabel="Store pages"
        confirmation={(i) => ({
          title: `Delete ${nameOf(i)}?`,
          body: `The site is disconnected from ${i.store} and the stored credentials are forgotten. The store itself is not changed.`,
          confirmLabel: "Yes, delete the integration",
        })}
        loadingLabel="Loading stores"
        empty={{ title: "No stores connected", description: "Connect the site to its Shopify, WooCommerce or BigCommerce store." }}
        controls={
          canChange &&
          !connecting && (
            <div>
              <Button
                onClick={() => {
                  deletion.setNotice(undefined);
                  setConnecting(true);
                }}
              >
                Connect a store
              </Button>
            </div>
          )
        }
      >
        {(integrations) => (
          <Table aria-label="Stores">
            <thead>
              <tr>
                <th>Name</th>
                <th>Store</th>
                <th>Credentials</th>
                <th>Health</th>
                <th>Last check</th>
                <th>
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {integrations.map((i) => (
                <tr key={i.id}>
                  <td>
                    <span className="block font-semibold">{nameOf(i)}</span>
                    <span className="text-sm text-muted">{platformOf(i.platform)?.displayName ?? platformLabel(i.platform)}</span>
                  </td>
                  <td>
                    <span className="block break-all">{i.store}</span>
                    {i.storeName && <span className="text-sm text-muted">{i.storeName}</span>}
                  </td>
                  <td>
                    <CredentialHints hints={i.hints} platform={platformOf(i.platform)} />
                  </td>
                  <td>
                    <HealthBadge health={i.health} />
                    {i.message && (
                      <span className={`mt-1 block text-sm break-words ${i.health === commerce.IntegrationHealth.UNHEALTHY ? "text-danger" : "text-muted"}`}>
                        {causeLabel(i.cause) ? `${causeLabel(i.cause)}: ` : ""}
                        {i.message}
                      </span>
                    )}
                  </td>
                  <td title={formatDateTime(i.lastCheckTime)}>{timeInWords(i.lastCheckTime, "Never")}</td>
                  <td>
                    <div className="flex flex-wrap gap-2">
                      <Button variant="secondary" aria-label={`Details of ${nameOf(i)}`} aria-expanded={openId === i.id} onClick={() => setOpenId(openId === i.id ? undefined : i.id)}>
                        Details
                      </Button>
                      {canChange && <DeleteButton deletion={deletion} item={i} name={nameOf(i)} />}
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </Table>
        )}
      </ManagedList>
      {open && (
        <IntegrationDetail
          key={open.id}
          client={client}
          customerId={customerId}
          integration={open}
          platform={platformOf(open.platform)}
          canChange={canChange}
          onClose={() => setOpenId(undefined)}
          onChanged={(notice) => deletion.setNotice(notice)}
        />
      )}
    </div>
  );
}
