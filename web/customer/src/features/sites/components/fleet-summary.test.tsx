import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router";
import { describe, expect, it, vi } from "vitest";
import { Code, create, sites } from "@canopy/sdk";
import { canopyError } from "@canopy/ui/testing";
import { FleetSummary } from "./fleet-summary";
import { SiteList, type SiteListProps } from "./site-list";

type Sites = SiteListProps["client"]["sites"];
const site = (id: string, status: sites.SiteStatus) => create(sites.SiteSchema, { id, name: id, status });
const response = (list: sites.Site[]) => create(sites.ListSitesResponseSchema, { sites: list, page: { totalSize: -1n } });

describe("FleetSummary (above the dashboard's table)", () => {
  const summary = create(sites.GetFleetSummaryResponseSchema, {
    totalSites: 3n,
    siteCounts: [
      { status: sites.SiteStatus.PENDING, count: 0n },
      { status: sites.SiteStatus.ACTIVE, count: 2n },
      { status: sites.SiteStatus.FAILED, count: 1n },
    ],
  });

  it("counts the sites by status; a count filters the table", async () => {
    const user = userEvent.setup();
    const listSites = vi.fn(async (r: sites.ListSitesRequest) => response(r.status === sites.SiteStatus.FAILED ? [site("blog", sites.SiteStatus.FAILED)] : [site("shop", sites.SiteStatus.ACTIVE)]));
    const getFleetSummary = vi.fn(async () => summary);
    const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
    render(
      <QueryClientProvider client={queryClient}>
        <MemoryRouter initialEntries={["/?q=b"]}>
          <FleetSummary client={{ sites: { getFleetSummary } as unknown as Sites }} />
          <SiteList client={{ sites: { listSites } as unknown as Sites }} />
        </MemoryRouter>
      </QueryClientProvider>,
    );
    const counts = await screen.findByRole("list", { name: "Sites by status" });
    expect(within(counts).getAllByRole("listitem").map((li) => li.textContent)).toEqual(["3 sites", "2 Active", "1 Failed"]);
    expect(getFleetSummary).toHaveBeenCalledWith({});
    expect(screen.getByLabelText("Search sites")).toHaveValue("b");

    await user.click(within(counts).getByRole("link", { name: /^1 failed/ }));
    await waitFor(() => expect(listSites).toHaveBeenLastCalledWith(expect.objectContaining({ search: "", status: sites.SiteStatus.FAILED })));
    expect(screen.getByLabelText("Status")).toHaveValue("failed");
    expect(screen.getByLabelText("Search sites")).toHaveValue("");
  });

  it("shows nothing for a customer without sites, and says why when it cannot be loaded", async () => {
    const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
    const getFleetSummary = vi.fn(async () => create(sites.GetFleetSummaryResponseSchema, { totalSites: 0n }));
    const { unmount } = render(
      <QueryClientProvider client={queryClient}>
        <MemoryRouter>
          <FleetSummary client={{ sites: { getFleetSummary } as unknown as Sites }} />
        </MemoryRouter>
      </QueryClientProvider>,
    );
    await waitFor(() => expect(getFleetSummary).toHaveBeenCalled());
    await waitFor(() => expect(screen.queryByRole("status")).not.toBeInTheDocument());
    expect(screen.queryByRole("list", { name: "Sites by status" })).not.toBeInTheDocument();
    unmount();

    const failing = vi.fn(async () => {
      throw canopyError(Code.Unavailable, "Failed to fetch");
    });
    render(
      <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
        <MemoryRouter>
          <FleetSummary client={{ sites: { getFleetSummary: failing } as unknown as Sites }} />
        </MemoryRouter>
      </QueryClientProvider>,
    );
    expect(await screen.findByText(/The summary is not available: Canopy cannot be reached/)).toBeInTheDocument();
  });
});
