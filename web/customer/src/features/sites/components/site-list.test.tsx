import type { ReactNode } from "react";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Link, MemoryRouter } from "react-router";
import { describe, expect, it, vi } from "vitest";
import { create, sites } from "@canopy/sdk";
import { SiteList, type SiteListProps } from "./site-list";

type Sites = SiteListProps["client"]["sites"];
const shop = create(sites.SiteSchema, { id: "s-1", name: "shop", status: sites.SiteStatus.ACTIVE, region: "ams3", outputs: { url: "https://shop.example" } });
const blog = create(sites.SiteSchema, { id: "s-2", name: "blog", status: sites.SiteStatus.FAILED, region: "fra1" });
const response = (list: sites.Site[], nextPageToken = "") => create(sites.ListSitesResponseSchema, { sites: list, page: { nextPageToken, totalSize: -1n } });

function renderList(listSites: (request: sites.ListSitesRequest) => Promise<sites.ListSitesResponse>, url = "/", beside: ReactNode = null) {
  const spy = vi.fn(listSites);
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <QueryClientProvider client={queryClient}>
      <MemoryRouter initialEntries={[url]}>
        {beside}
        <SiteList client={{ sites: { listSites: spy } as unknown as Sites }} pageSize={2} newSite={<button>New site</button>} />
      </MemoryRouter>
    </QueryClientProvider>,
  );
  return spy;
}

/** The request of the last ListSites call. */
const lastRequest = (spy: ReturnType<typeof vi.fn>) => spy.mock.calls.at(-1)![0] as { search: string; status: sites.SiteStatus; includeDeleted: boolean; page: { pageSize: number; pageToken: string } };

describe("SiteList (the dashboard)", () => {
  it("lists the sites with status, region and address", async () => {
    const spy = renderList(async () => response([shop, blog]));
    const table = await screen.findByRole("table", { name: "Sites" });
    expect(within(table).getByRole("link", { name: "shop" })).toHaveAttribute("href", "/sites/s-1");
    expect(within(table).getByText("shop").closest("tr")).toHaveTextContent("Active");
    expect(within(table).getByText("blog").closest("tr")).toHaveTextContent("Failed");
    expect(lastRequest(spy)).toEqual({ search: "", status: sites.SiteStatus.UNSPECIFIED, includeDeleted: false, page: { pageSize: 2, pageToken: "" } });
  });

  it("searches by name and filters by status with ListSites' own fields", async () => {
    const user = userEvent.setup();
    const spy = renderList(async (r) => response(r.search === "sh" ? [shop] : [shop, blog]));
    await screen.findByText("blog");

    await user.type(screen.getByLabelText("Search sites"), "Sh");
    await user.click(screen.getByRole("button", { name: "Search" }));
    await waitFor(() => expect(screen.queryByText("blog")).not.toBeInTheDocument());
    expect(lastRequest(spy)).toMatchObject({ search: "sh", status: sites.SiteStatus.UNSPECIFIED, includeDeleted: false });

    await user.selectOptions(screen.getByLabelText("Status"), "Failed");
    await waitFor(() => expect(lastRequest(spy)).toMatchObject({ search: "sh", status: sites.SiteStatus.FAILED, includeDeleted: false }));

    // Deleted sites are only listed with include_deleted.
    await user.selectOptions(screen.getByLabelText("Status"), "Deleted");
    await waitFor(() => expect(lastRequest(spy)).toMatchObject({ status: sites.SiteStatus.DELETED, includeDeleted: true }));
  });

  it("says when the filters leave nothing, and clears them", async () => {
    const user = userEvent.setup();
    const spy = renderList(async (r) => response(r.status === sites.SiteStatus.FAILED ? [] : [shop, blog]), "/?status=failed&q=zzz");
    expect(await screen.findByText("No sites match")).toBeInTheDocument();
    expect(screen.getByText("No failed site has “zzz” in its name.")).toBeInTheDocument();
    expect(screen.queryByText("No sites yet")).not.toBeInTheDocument();
    expect(lastRequest(spy)).toMatchObject({ search: "zzz", status: sites.SiteStatus.FAILED });

    await user.click(screen.getByRole("button", { name: "Show all sites" }));
    expect(await screen.findByText("shop")).toBeInTheDocument();
    expect(lastRequest(spy)).toMatchObject({ search: "", status: sites.SiteStatus.UNSPECIFIED });
    expect(screen.getByLabelText("Search sites")).toHaveValue("");
  });

  it("invites to create the first site when there are none at all", async () => {
    renderList(async () => response([]));
    expect(await screen.findByText("No sites yet")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "New site" })).toBeInTheDocument();
  });

  it("pages with the tokens ListSites returns, and starts again when a filter changes", async () => {
    const user = userEvent.setup();
    const spy = renderList(async (r) => (r.page?.pageToken === "p2" ? response([blog]) : response([shop], "p2")));
    await screen.findByText("shop");
    await user.click(screen.getByRole("button", { name: "Next page" }));
    expect(await screen.findByText("blog")).toBeInTheDocument();
    expect(lastRequest(spy).page).toEqual({ pageSize: 2, pageToken: "p2" });

    await user.selectOptions(screen.getByLabelText("Status"), "Active");
    await waitFor(() => expect(lastRequest(spy)).toMatchObject({ status: sites.SiteStatus.ACTIVE, page: { pageSize: 2, pageToken: "" } }));
  });

  it("follows the URL when a link elsewhere changes the filters", async () => {
    const user = userEvent.setup();
    const spy = renderList(async () => response([shop, blog]), "/?q=b", <Link to="/?status=failed">Failed only</Link>);
    await screen.findByText("blog");
    expect(screen.getByLabelText("Search sites")).toHaveValue("b");
    await user.click(screen.getByRole("link", { name: "Failed only" }));
    await waitFor(() => expect(lastRequest(spy)).toMatchObject({ search: "", status: sites.SiteStatus.FAILED }));
    expect(screen.getByLabelText("Status")).toHaveValue("failed");
    expect(screen.getByLabelText("Search sites")).toHaveValue("");
  });
});
