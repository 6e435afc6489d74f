import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router";
import { describe, expect, it, vi } from "vitest";
import { type CanopyClient, common, create, sites, tenancy } from "@canopy/sdk";
import { SiteDetail } from "./site-detail";

const D = sites.DeploymentStatus;
const K = sites.DeploymentEventKind;

const shop = create(sites.SiteSchema, {
  id: "s-1",
  customerId: "c-1",
  name: "shop",
  provider: common.CloudProvider.DIGITALOCEAN,
  region: "ams3",
  size: sites.SiteSize.SMALL,
  status: sites.SiteStatus.ACTIVE,
  runtime: { image: "ghcr.io/acme/shop:1.4", port: 8080, env: { DATABASE_URL: "secret" } },
  outputs: { url: "https://shop.example.test" },
});

/** Events for a deployment: a status, a log line, then the end of the stream. */
function events(deploymentId: string, status: sites.DeploymentStatus, line: string) {
  return (async function* () {
    yield create(sites.WatchDeploymentResponseSchema, { event: { seq: 1n, kind: K.STATUS, status } });
    yield create(sites.WatchDeploymentResponseSchema, { event: { seq: 2n, kind: K.LOG, level: "info", message: `${deploymentId}: ${line}` } });
  })();
}

function renderSite(canChange: boolean, newest: sites.Deployment, methods: Record<string, unknown> = {}) {
  const api = {
    getSite: vi.fn(async () => create(sites.GetSiteResponseSchema, { site: shop })),
    listDeployments: vi.fn(async () => create(sites.ListDeploymentsResponseSchema, { deployments: [newest] })),
    watchDeployment: vi.fn(({ deploymentId }: { deploymentId: string }) => events(deploymentId, deploymentId === newest.id ? newest.status : D.RUNNING, "applying")),
    ...methods,
  };
  const client = {
    sites: api as unknown as CanopyClient["sites"],
    customers: { getCustomer: vi.fn(async () => ({ customer: create(tenancy.CustomerSchema, { id: "c-1", name: "Acme" }) })) } as unknown as CanopyClient["customers"],
  };
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <QueryClientProvider client={queryClient}>
      <MemoryRouter>
        <SiteDetail client={client} siteId="s-1" canChange={canChange} />
      </MemoryRouter>
    </QueryClientProvider>,
  );
  return api;
}

const succeeded = create(sites.DeploymentSchema, { id: "d-1", siteId: "s-1", kind: sites.DeploymentKind.CREATE, status: D.SUCCEEDED });

describe("SiteDetail", () => {
  it("shows the site, its customer, outputs, configuration, the newest deployment's log and the history", async () => {
    renderSite(false, succeeded);
    expect(await screen.findByRole("heading", { name: "shop" })).toBeInTheDocument();
    expect(await screen.findByRole("link", { name: "Acme" })).toHaveAttribute("href", "/customers/c-1");
    expect(screen.getByRole("link", { name: "https://shop.example.test" })).toBeInTheDocument();
    expect(screen.getByText("DigitalOcean")).toBeInTheDocument();
    // Environment variable names only: values can be secrets.
    expect(screen.getByText("DATABASE_URL")).toBeInTheDocument();
    expect(screen.queryByText(/secret/)).not.toBeInTheDocument();
    const live = await screen.findByRole("region", { name: "Creating the site" });
    await waitFor(() => expect(within(live).getByLabelText("Deployment log")).toHaveTextContent("d-1: applying"));
    expect(await screen.findByRole("table", { name: "Deployment history" })).toBeInTheDocument();
  });

  it("lets operators watch but not redeploy or cancel", async () => {
    renderSite(false, create(sites.DeploymentSchema, { ...succeeded, id: "d-2", status: D.RUNNING }));
    await screen.findByRole("region", { name: "Creating the site" });
    expect(screen.queryByRole("button", { name: "Redeploy" })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Cancel deployment" })).not.toBeInTheDocument();
  });

  it("redeploys after a confirmation and follows the new deployment", async () => {
    const user = userEvent.setup();
    const redeploySite = vi.fn(async () =>
      create(sites.RedeploySiteResponseSchema, { site: shop, deployment: { id: "d-9", siteId: "s-1", kind: sites.DeploymentKind.REDEPLOY, status: D.QUEUED } }),
    );
    const api = renderSite(true, succeeded, { redeploySite });
    await user.click(await screen.findByRole("button", { name: "Redeploy" }));
    expect(redeploySite).not.toHaveBeenCalled();
    await user.click(screen.getByRole("button", { name: "Yes, redeploy shop" }));
    await waitFor(() => expect(redeploySite).toHaveBeenCalledWith({ siteId: "s-1", idempotencyKey: expect.stringMatching(/^[0-9a-f-]{36}$/) }));
    await waitFor(() => expect(api.watchDeployment).toHaveBeenCalledWith({ deploymentId: "d-9", afterSeq: 0n, afterId: "" }, expect.anything()));
    await waitFor(() => expect(screen.getByLabelText("Deployment log")).toHaveTextContent("d-9: applying"));
  });

  it("cancels a running deployment after a confirmation", async () => {
    const user = userEvent.setup();
    const running = create(sites.DeploymentSchema, { ...succeeded, id: "d-3", status: D.RUNNING });
    const cancelDeployment = vi.fn(async () => create(sites.CancelDeploymentResponseSchema, { deployment: { ...running, cancelRequested: true } }));
    renderSite(true, running, { cancelDeployment });
    await user.click(await screen.findByRole("button", { name: "Cancel deployment" }));
    await user.click(screen.getByRole("button", { name: "Yes, cancel the deployment" }));
    await waitFor(() => expect(cancelDeployment).toHaveBeenCalledWith({ deploymentId: "d-3" }));
    expect(await screen.findAllByText("Cancelling…")).not.toHaveLength(0);
    // A deployment is running: no second one can be started.
    expect(screen.getByRole("button", { name: "Redeploy" })).toBeDisabled();
  });
});
