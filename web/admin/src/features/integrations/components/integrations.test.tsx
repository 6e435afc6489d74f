import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { ReactNode } from "react";
import { MemoryRouter, useLocation } from "react-router";
import { describe, expect, it, vi } from "vitest";
import { type CanopyClient, Code, commerce, create, sites, tenancy } from "@canopy/sdk";
import { canopyError } from "@canopy/ui/testing";
import { IntegrationsList } from "./integrations-list";
import { KeyRotationPanel } from "./key-rotation-panel";

const H = commerce.IntegrationHealth;

function Url() {
  return <output aria-label="URL">{useLocation().search}</output>;
}

function wrap(children: ReactNode, url = "/integrations") {
  return (
    <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
      <MemoryRouter initialEntries={[url]}>
        {children}
        <Url />
      </MemoryRouter>
    </QueryClientProvider>
  );
}

const acme = create(tenancy.CustomerSchema, { id: "c-1", name: "Acme" });
const globex = create(tenancy.CustomerSchema, { id: "c-2", name: "Globex" });

function fakeClient() {
  const methods = {
    integrations: {
      listIntegrations: vi.fn(async ({ page }: { page: { pageToken: string } }) =>
        create(commerce.ListIntegrationsResponseSchema, {
          integrations:
            page.pageToken === ""
              ? [
                  { id: "i-1", customerId: "c-1", siteId: "s-1", platform: commerce.Platform.SHOPIFY, displayName: "Main shop", store: "acme.myshopify.com", storeName: "Acme Goods", health: H.HEALTHY, lastCheckTime: { seconds: 1_800_000_000n } },
                  { id: "i-2", customerId: "c-2", siteId: "s-2", platform: commerce.Platform.BIGCOMMERCE, store: "abc123", health: H.UNHEALTHY, cause: commerce.HealthCause.UNAUTHORIZED, message: "the store refused the access token (401)" },
                ]
              : [{ id: "i-3", customerId: "c-1", siteId: "s-1", platform: commerce.Platform.WOOCOMMERCE, displayName: "Outlet", store: "https://outlet.example.com" }],
          page: { nextPageToken: page.pageToken === "" ? "p-2" : "", totalSize: 3n },
        }),
      ),
    },
    customers: {
      listCustomers: vi.fn(async () => create(tenancy.ListCustomersResponseSchema, { customers: [acme, globex] })),
      getCustomer: vi.fn(async ({ customerId }: { customerId: string }) => ({ customer: customerId === "c-1" ? acme : globex })),
    },
    sites: {
      getSite: vi.fn(async ({ siteId }: { siteId: string }) => create(sites.GetSiteResponseSchema, { site: { id: siteId, name: siteId === "s-1" ? "acme-shop" : "globex-store", status: sites.SiteStatus.ACTIVE } })),
    },
    keyRotation: {
      getKeyRotationStatus: vi.fn(async () =>
        create(commerce.GetKeyRotationStatusResponseSchema, {
          services: [
            {
              service: "commerce",
              kekKind: "transit",
              kekCurrentVersion: 3,
              kekMinDecryptionVersion: 2,
              dataKeysByKekVersion: [
                { version: 2, count: 4n },
                { version: 3, count: 12n },
              ],
              activeDataKeysByVersion: [{ version: 5, count: 16n }],
              retiredDataKeys: 7n,
              pendingReencryption: 42n,
              lastPassTime: { seconds: 1_800_000_000n },
              lastError: "transit: permission denied on keys/canopy-commerce/rewrap",
            },
            {
              service: "audit",
              kekKind: "keyring",
              kekCurrentVersion: 1,
              kekMinDecryptionVersion: 1,
              dataKeysByKekVersion: [{ version: 1, count: 2n }],
              activeDataKeysByVersion: [{ version: 1, count: 2n }],
              lastPassTime: { seconds: 1_800_000_000n },
            },
          ],
        }),
      ),
    },
  };
  return { methods, client: methods as unknown as CanopyClient };
}

describe("integrations across customers", () => {
  it("lists them with customers and sites by name, health in words and the cause", async () => {
    const { client, methods } = fakeClient();
    render(wrap(<IntegrationsList client={client} />));
    const rows = within(await screen.findByRole("table", { name: "Integrations" })).getAllByRole("row");
    expect(methods.integrations.listIntegrations).toHaveBeenCalledWith({ customerId: "", siteId: "", platform: commerce.Platform.UNSPECIFIED, health: H.UNSPECIFIED, page: { pageSize: 20, pageToken: "" } });
    expect(rows[1]).toHaveTextContent("Main shop");
    expect(rows[1]).toHaveTextContent("Shopify");
    expect(within(rows[1]!).getByText("Healthy")).toBeInTheDocument();
    await waitFor(() => expect(within(rows[1]!).getByRole("link", { name: "Acme" })).toHaveAttribute("href", "/customers/c-1"));
    await waitFor(() => expect(within(rows[1]!).getByRole("link", { name: "acme-shop" })).toHaveAttribute("href", "/sites/s-1"));
    expect(rows[2]).toHaveTextContent("BigCommerce");
    expect(within(rows[2]!).getByText("Unhealthy")).toBeInTheDocument();
    expect(rows[2]).toHaveTextContent("Credentials refused: the store refused the access token (401)");
    await waitFor(() => expect(within(rows[2]!).getByRole("link", { name: "Globex" })).toBeInTheDocument());
    // One GetCustomer per customer, one GetSite per site.
    expect(methods.customers.getCustomer).toHaveBeenCalledTimes(2);
    expect(methods.sites.getSite).toHaveBeenCalledTimes(2);
  });

  it("sends the health and platform filters, keeps them in the URL, and pages", async () => {
    const user = userEvent.setup();
    const { client, methods } = fakeClient();
    render(wrap(<IntegrationsList client={client} />));
    await screen.findByRole("table", { name: "Integrations" });
    await user.selectOptions(screen.getByLabelText("Health"), "Unhealthy");
    await user.selectOptions(screen.getByLabelText("Platform"), "BigCommerce");
    await waitFor(() =>
      expect(methods.integrations.listIntegrations).toHaveBeenLastCalledWith({ customerId: "", siteId: "", platform: commerce.Platform.BIGCOMMERCE, health: H.UNHEALTHY, page: { pageSize: 20, pageToken: "" } }),
    );
    expect(screen.getByLabelText("URL")).toHaveTextContent("?health=unhealthy&platform=bigcommerce");
    expect(screen.getByRole("navigation", { name: "Integration pages" })).toHaveTextContent("3 integrations");

    await user.click(screen.getByRole("button", { name: "Next page" }));
    await waitFor(() => expect(methods.integrations.listIntegrations).toHaveBeenLastCalledWith(expect.objectContaining({ page: { pageSize: 20, pageToken: "p-2" } })));
    expect(await screen.findByText("Outlet")).toBeInTheDocument();

    await user.click(screen.getByRole("button", { name: "Clear filters" }));
    await waitFor(() => expect(screen.getByLabelText("URL")).toHaveTextContent(/^$/));
  });

  it("reads the filters from the URL", async () => {
    const { client, methods } = fakeClient();
    render(wrap(<IntegrationsList client={client} />, "/integrations?customer=c-2&health=healthy&platform=shopify"));
    await waitFor(() =>
      expect(methods.integrations.listIntegrations).toHaveBeenCalledWith({ customerId: "c-2", siteId: "", platform: commerce.Platform.SHOPIFY, health: H.HEALTHY, page: { pageSize: 20, pageToken: "" } }),
    );
    expect(screen.getByLabelText("Health")).toHaveValue("healthy");
  });
});

describe("the key rotation panel", () => {
  it("shows each service's KEK versions, data keys by version, retired and pending counts, and its last error first", async () => {
    const { client } = fakeClient();
    render(wrap(<KeyRotationPanel client={client} />));
    const commerceKeys = await screen.findByRole("region", { name: "commerce" });
    expect(within(commerceKeys).getByText("Last pass failed")).toBeInTheDocument();
    const failure = within(commerceKeys).getByRole("alert");
    expect(failure).toHaveTextContent("The last pass failed");
    expect(failure).toHaveTextContent("transit: permission denied on keys/canopy-commerce/rewrap");
    const term = (name: string) => within(commerceKeys).getByText(name).nextElementSibling;
    expect(term("Key-encryption key")).toHaveTextContent("Vault Transit");
    expect(term("Current version")).toHaveTextContent("v3");
    expect(term("Oldest version accepted")).toHaveTextContent("v2");
    expect(term("Data keys by KEK version")).toHaveTextContent("v3: 12 · v2: 4");
    expect(term("Active data keys by version")).toHaveTextContent("v5: 16");
    expect(term("Retired data keys")).toHaveTextContent("7");
    expect(term("Pending re-encryption")).toHaveTextContent("42");
    expect(term("Last pass")).not.toHaveTextContent("Never");

    const audit = screen.getByRole("region", { name: "audit" });
    expect(within(audit).getByText("Up to date")).toBeInTheDocument();
    expect(within(audit).queryByRole("alert")).not.toBeInTheDocument();
    expect(within(audit).getByText("Key-encryption key").nextElementSibling).toHaveTextContent("Keyring (local)");
    // Services in name order.
    const names = screen.getAllByRole("heading", { level: 3 }).map((h) => h.textContent);
    expect(names).toEqual(["audit", "commerce"]);
  });

  it("says when nothing reported, and a refusal in words", async () => {
    const { client, methods } = fakeClient();
    methods.keyRotation.getKeyRotationStatus.mockResolvedValueOnce(create(commerce.GetKeyRotationStatusResponseSchema, {}));
    const { unmount } = render(wrap(<KeyRotationPanel client={client} />));
    expect(await screen.findByText("No service has reported yet")).toBeInTheDocument();
    unmount();
    methods.keyRotation.getKeyRotationStatus.mockRejectedValueOnce(canopyError(Code.PermissionDenied, "platform roles only"));
    render(wrap(<KeyRotationPanel client={client} />));
    expect(await screen.findByRole("alert")).toHaveTextContent("Platform roles only.");
  });
});
