import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Link, MemoryRouter, useLocation } from "react-router";
import { describe, expect, it, vi } from "vitest";
import { type CanopyClient, common, create, sites, tenancy } from "@canopy/sdk";
import { invalidArgument } from "@canopy/ui/testing";
import { SitesList } from "./sites-list";

type Init = NonNullable<Parameters<typeof create<typeof sites.SiteSchema>>[1]>;

const site = (id: string, name: string, customerId: string, fields: Init = {}) =>
  create(sites.SiteSchema, { id, name, customerId, provider: common.CloudProvider.AWS, region: "eu-west-1", status: sites.SiteStatus.ACTIVE, ...fields });

function Url() {
  return <output aria-label="URL">{useLocation().search}</output>;
}

function renderSites(listSites: ReturnType<typeof vi.fn>, url = "/sites") {
  const getCustomer = vi.fn(async ({ customerId }: { customerId: string }) => ({ customer: create(tenancy.CustomerSchema, { id: customerId, name: `Customer ${customerId}` }) }));
  const listCustomers = vi.fn(async () =>
    create(tenancy.ListCustomersResponseSchema, {
      customers: [create(tenancy.CustomerSchema, { id: "c-1", name: "Acme" }), create(tenancy.CustomerSchema, { id: "c-2", name: "Globex" })],
    }),
  );
  const client = { sites: { listSites } as unknown as CanopyClient["sites"], customers: { getCustomer, listCustomers } as unknown as CanopyClient["customers"] };
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <QueryClientProvider client={queryClient}>
      <MemoryRouter initialEntries={[url]}>
        <SitesList client={client} />
        <Url />
        <Link to="/sites?q=blog">Blog sites</Link>
      </MemoryRouter>
    </QueryClientProvider>,
  );
  return { getCustomer };
}

const page = { pageSize: 20, pageToken: "" };
const all = { search: "", customerId: "", provider: common.CloudProvider.UNSPECIFIED, status: sites.SiteStatus.UNSPECIFIED, includeDeleted: false, page };

describe("SitesList", () => {
  it("turns each filter into the ListSites request and keeps the filters in the URL", async () => {
    const user = userEvent.setup();
    const listSites = vi.fn(async () => create(sites.ListSitesResponseSchema, { sites: [site("s-1", "shop", "c-1")], page: { totalSize: -1n } }));
    renderSites(listSites, "/sites?provider=gcp");
    await screen.findByRole("table", { name: "Sites" });
    expect(listSites).toHaveBeenLastCalledWith({ ...all, provider: common.CloudProvider.GCP });

    await user.selectOptions(screen.getByLabelText("Customer"), "Globex");
    await waitFor(() => expect(listSites).toHaveBeenLastCalledWith({ ...all, provider: common.CloudProvider.GCP, customerId: "c-2" }));
    await user.selectOptions(screen.getByLabelText("Status"), "Failed");
    await waitFor(() => expect(listSites).toHaveBeenLastCalledWith({ ...all, provider: common.CloudProvider.GCP, customerId: "c-2", status: sites.SiteStatus.FAILED }));
    await user.click(screen.getByLabelText("Include deleted sites"));
    await user.type(screen.getByLabelText("Search sites"), "Shop");
    await user.click(screen.getByRole("button", { name: "Search" }));
    await waitFor(() =>
      expect(listSites).toHaveBeenLastCalledWith({
        search: "shop",
        customerId: "c-2",
        provider: common.CloudProvider.GCP,
        status: sites.SiteStatus.FAILED,
        includeDeleted: true,
        page,
      }),
    );
    expect(screen.getByLabelText("URL")).toHaveTextContent("?provider=gcp&customer=c-2&status=failed&deleted=1&q=shop");
    // Choosing "Deleted" lists deleted sites even without the box.
    await user.click(screen.getByRole("button", { name: "Clear filters" }));
    await user.selectOptions(screen.getByLabelText("Status"), "Deleted");
    await waitFor(() => expect(listSites).toHaveBeenLastCalledWith({ ...all, status: sites.SiteStatus.DELETED, includeDeleted: true }));
  });

  it("names each site's customer with one GetCustomer per customer, and pages on", async () => {
    const user = userEvent.setup();
    const listSites = vi.fn(async ({ page: p }: { page: { pageToken: string } }) =>
      p.pageToken === ""
        ? create(sites.ListSitesResponseSchema, {
            sites: [site("s-1", "shop", "c-1"), site("s-2", "blog", "c-1"), site("s-3", "api", "c-2", { status: sites.SiteStatus.FAILED })],
            page: { nextPageToken: "next", totalSize: -1n },
          })
        : create(sites.ListSitesResponseSchema, { sites: [site("s-4", "docs", "c-2")], page: { totalSize: -1n } }),
    );
    const { getCustomer } = renderSites(listSites);
    const table = await screen.findByRole("table", { name: "Sites" });
    expect(await within(table).findAllByRole("link", { name: "Customer c-1" })).toHaveLength(2);
    expect(within(table).getByRole("link", { name: "api" })).toHaveAttribute("href", "/sites/s-3");
    expect(within(within(table).getByText("api").closest("tr")!).getByText("Failed")).toBeInTheDocument();
    expect(getCustomer.mock.calls.map(([r]) => r.customerId).sort()).toEqual(["c-1", "c-2"]);

    await user.click(screen.getByRole("button", { name: "Next page" }));
    expect(await screen.findByRole("link", { name: "docs" })).toBeInTheDocument();
    expect(listSites).toHaveBeenLastCalledWith({ ...all, page: { pageSize: 20, pageToken: "next" } });
    // c-2 is cached: no further call.
    expect(getCustomer).toHaveBeenCalledTimes(2);
  });

  it("shows a search the API refuses beside the search field", async () => {
    const user = userEvent.setup();
    const listSites = vi.fn(async ({ search }: { search: string }) => {
      if (search) throw invalidArgument([{ field: "search", description: "must be part of a site name (letters, digits, hyphens)" }]);
      return create(sites.ListSitesResponseSchema, { sites: [] });
    });
    renderSites(listSites);
    expect(await screen.findByText("No sites yet")).toBeInTheDocument();
    await user.type(screen.getByLabelText("Search sites"), "shop!");
    await user.click(screen.getByRole("button", { name: "Search" }));
    await waitFor(() => expect(screen.getByLabelText("Search sites")).toHaveAccessibleDescription("Must be part of a site name (letters, digits, hyphens)"));
  });

  it("shows the applied search in the box when a link changes it", async () => {
    const user = userEvent.setup();
    const listSites = vi.fn(async () => create(sites.ListSitesResponseSchema, { sites: [site("s-1", "shop", "c-1")] }));
    renderSites(listSites, "/sites?q=shop");
    expect(await screen.findByLabelText("Search sites")).toHaveValue("shop");
    await user.click(screen.getByRole("link", { name: "Blog sites" }));
    expect(screen.getByLabelText("Search sites")).toHaveValue("blog");
    await waitFor(() => expect(listSites).toHaveBeenLastCalledWith({ ...all, search: "blog" }));
  });
});
