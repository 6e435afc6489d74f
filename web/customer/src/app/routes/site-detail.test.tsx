import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { cleanup, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, Route, Routes } from "react-router";
import { describe, expect, it, vi } from "vitest";
import { type CanopyClient, Code, create, identity, policy, sites } from "@canopy/sdk";
import { CanopyContext, ROLE, type Role, SessionStore } from "@canopy/ui";
import { canopyError } from "@canopy/ui/testing";
import { SiteDetailRoute } from "./site-detail";

const S = sites.DeploymentStatus;

/** A WatchDeployment stream the test drives: `push` sends an event, `end` finishes the stream. */
function controlledStream() {
  const queue: sites.WatchDeploymentResponse[] = [];
  let wake: (() => void) | undefined;
  let ended = false;
  let seq = 0n;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  return {
    push(init: { kind: sites.DeploymentEventKind; status?: sites.DeploymentStatus; message?: string }) {
      queue.push(create(sites.WatchDeploymentResponseSchema, { event: { seq: ++seq, ...init } }));
      notify();
    },
    end() {
      ended = true;
      notify();
    },
    async *watch() {
      for (;;) {
        while (queue.length > 0) yield queue.shift()!;
        if (ended) return;
        await new Promise<void>((resolve) => (wake = resolve));
      }
    },
  };
}

function renderSite(
  sitesApi: Partial<Record<keyof CanopyClient["sites"], unknown>>,
  { compliance = {}, role = ROLE.member }: { compliance?: Partial<Record<keyof CanopyClient["compliance"], unknown>>; role?: Role } = {},
) {
  const runningDeployment = create(sites.DeploymentSchema, { id: "d-7", siteId: "s-1", kind: sites.DeploymentKind.REDEPLOY, status: S.RUNNING, attempt: 1 });
  const client = {
    sites: {
      getSite: vi.fn(async () => create(sites.GetSiteResponseSchema, { site: { id: "s-1", name: "shop", status: sites.SiteStatus.UPDATING, region: "ams3" } })),
      listDeployments: vi.fn(async () => create(sites.ListDeploymentsResponseSchema, { deployments: [runningDeployment] })),
      ...sitesApi,
    },
    auth: { getCurrentUser: vi.fn(async () => ({ user: create(identity.UserSchema, { id: "u-1", role }) })) },
    compliance: {
      getPolicyCheck: vi.fn(async () => {
        throw canopyError(Code.NotFound, "no policy check");
      }),
      ...compliance,
    },
  } as unknown as CanopyClient;
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <QueryClientProvider client={queryClient}>
      <CanopyContext.Provider value={{ client, session: new SessionStore("test", window.sessionStorage) }}>
        <MemoryRouter initialEntries={["/sites/s-1"]}>
          <Routes>
            <Route path="/sites/:siteId" element={<SiteDetailRoute />} />
          </Routes>
        </MemoryRouter>
      </CanopyContext.Provider>
    </QueryClientProvider>,
  );
}

describe("cancelling a deployment on the site page", () => {
  it("asks first, sends CancelDeployment, says Cancelling… until the stream reports CANCELLED", async () => {
    const user = userEvent.setup();
    const stream = controlledStream();
    const cancelDeployment = vi.fn(async () => create(sites.CancelDeploymentResponseSchema, { deployment: { id: "d-7", status: S.RUNNING, cancelRequested: true } }));
    renderSite({ watchDeployment: vi.fn(() => stream.watch()), cancelDeployment });
    stream.push({ kind: sites.DeploymentEventKind.STATUS, status: S.RUNNING });
    const progress = await screen.findByRole("region", { name: "Redeploying" });
    await within(progress).findByText("Running");

    await user.click(screen.getByRole("button", { name: "Cancel deployment" }));
    const dialog = screen.getByRole("alertdialog", { name: "Cancel the deployment?" });
    expect(cancelDeployment).not.toHaveBeenCalled();
    await user.click(within(dialog).getByRole("button", { name: "Yes, cancel the deployment" }));

    expect(await screen.findByText("Cancelling…")).toBeInTheDocument();
    expect(cancelDeployment).toHaveBeenCalledWith({ deploymentId: "d-7" });
    expect(screen.queryByRole("button", { name: "Cancel deployment" })).not.toBeInTheDocument();

    // Still running: the worker has not stopped Terraform yet.
    stream.push({ kind: sites.DeploymentEventKind.LOG, message: "interrupt received, stopping" });
    await within(progress).findByText(/interrupt received/);
    expect(screen.getByText("Cancelling…")).toBeInTheDocument();

    stream.push({ kind: sites.DeploymentEventKind.STATUS, status: S.CANCELLED });
    await within(progress).findByText("Cancelled");
    expect(screen.queryByText("Cancelling…")).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Cancel deployment" })).not.toBeInTheDocument();
    // Redeploy and delete stay.
    expect(screen.getByRole("button", { name: "Redeploy" })).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Delete site" })).toBeInTheDocument();
    stream.end();
  });

  it("keeps it running when the user changes their mind", async () => {
    const user = userEvent.setup();
    const stream = controlledStream();
    const cancelDeployment = vi.fn();
    renderSite({ watchDeployment: vi.fn(() => stream.watch()), cancelDeployment });
    stream.push({ kind: sites.DeploymentEventKind.STATUS, status: S.QUEUED });
    await user.click(await screen.findByRole("button", { name: "Cancel deployment" }));
    await user.click(screen.getByRole("button", { name: "Keep it running" }));
    expect(screen.queryByRole("alertdialog")).not.toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Cancel deployment" })).toBeInTheDocument();
    expect(cancelDeployment).not.toHaveBeenCalled();
    stream.end();
  });

  it("says in words why the cancellation was refused", async () => {
    const user = userEvent.setup();
    const stream = controlledStream();
    const cancelDeployment = vi.fn(async () => {
      throw canopyError(Code.FailedPrecondition, "deployment has already finished");
    });
    renderSite({ watchDeployment: vi.fn(() => stream.watch()), cancelDeployment });
    stream.push({ kind: sites.DeploymentEventKind.STATUS, status: S.RUNNING });
    await user.click(await screen.findByRole("button", { name: "Cancel deployment" }));
    await user.click(screen.getByRole("button", { name: "Yes, cancel the deployment" }));
    const dialog = screen.getByRole("alertdialog", { name: "Cancel the deployment?" });
    await waitFor(() => expect(within(dialog).getByText("Deployment has already finished.")).toBeInTheDocument());
    expect(screen.queryByText("Cancelling…")).not.toBeInTheDocument();
    stream.end();
  });

  it("offers no cancel once the deployment has finished", async () => {
    const stream = controlledStream();
    renderSite({ watchDeployment: vi.fn(() => stream.watch()) });
    stream.push({ kind: sites.DeploymentEventKind.STATUS, status: S.SUCCEEDED });
    stream.end();
    const progress = await screen.findByRole("region", { name: "Redeploying" });
    await within(progress).findByText("Succeeded");
    expect(screen.queryByRole("button", { name: "Cancel deployment" })).not.toBeInTheDocument();
  });
});

describe("the site's status after its deployment", () => {
  it("follows the site until it settles: its status lags the deployment's outcome", async () => {
    const stream = controlledStream();
    // The fetch made when the deployment finishes still reads Updating (sites records
    // the outcome a moment later); the next one reads Active.
    let reads = 0;
    const getSite = vi.fn(async () => {
      reads += 1;
      const status = reads <= 2 ? sites.SiteStatus.UPDATING : sites.SiteStatus.ACTIVE;
      return create(sites.GetSiteResponseSchema, { site: { id: "s-1", name: "shop", status, region: "ams3" } });
    });
    renderSite({ getSite, watchDeployment: vi.fn(() => stream.watch()) });
    const heading = (await screen.findByRole("heading", { name: "shop" })).parentElement!;
    expect(within(heading).getByText("Updating")).toBeInTheDocument();
    stream.push({ kind: sites.DeploymentEventKind.STATUS, status: S.SUCCEEDED });
    stream.end();
    await within(await screen.findByRole("region", { name: "Redeploying" })).findByText("Succeeded");
    await waitFor(() => expect(getSite).toHaveBeenCalledTimes(2));
    await within(heading).findByText("Active", undefined, { timeout: 5_000 });
    expect(getSite).toHaveBeenCalledTimes(3);
  });
});

describe("a deployment awaiting a policy override", () => {
  const waiting = (canOverride: boolean) =>
    create(policy.GetPolicyCheckResponseSchema, {
      check: {
        id: "chk-1",
        deploymentId: "d-7",
        state: policy.PolicyCheckState.AWAITING_OVERRIDE,
        canOverride,
        decisions: [{ policyId: "p-1", policyName: "eu-only", tier: policy.PolicyTier.PLATFORM, enforcement: policy.EnforcementLevel.SOFT_MANDATORY, deny: ["region us-east-1 is not allowed"] }],
      },
    });

  it("shows the check: a member may discard but not override what the server keeps from them", async () => {
    const user = userEvent.setup();
    const stream = controlledStream();
    const getPolicyCheck = vi.fn(async () => waiting(false));
    const discardPolicyCheck = vi.fn(async () => create(policy.DiscardPolicyCheckResponseSchema, {}));
    renderSite({ watchDeployment: vi.fn(() => stream.watch()) }, { compliance: { getPolicyCheck, discardPolicyCheck } });
    stream.push({ kind: sites.DeploymentEventKind.STATUS, status: S.AWAITING_OVERRIDE });
    const progress = await screen.findByRole("region", { name: "Redeploying" });
    await within(progress).findByText("Awaiting override");
    expect(screen.getByRole("button", { name: "Cancel deployment" })).toBeInTheDocument();
    const panel = await screen.findByRole("region", { name: "Policy check" });
    expect(await within(panel).findByRole("listitem", { name: "eu-only" })).toHaveTextContent("region us-east-1 is not allowed");
    expect(getPolicyCheck).toHaveBeenLastCalledWith({ customerId: "", deploymentId: "d-7" });
    expect(within(panel).queryByRole("button", { name: "Override" })).not.toBeInTheDocument();
    await user.click(await within(panel).findByRole("button", { name: "Discard" }));
    await user.click(within(panel).getByRole("button", { name: "Yes, discard the run" }));
    await waitFor(() => expect(discardPolicyCheck).toHaveBeenCalledWith({ customerId: "", checkId: "chk-1", reason: "" }));
    stream.end();
  });

  it("offers an owner Override when the server allows it, and a viewer nothing", async () => {
    const stream = controlledStream();
    renderSite({ watchDeployment: vi.fn(() => stream.watch()) }, { compliance: { getPolicyCheck: vi.fn(async () => waiting(true)) }, role: ROLE.owner });
    stream.push({ kind: sites.DeploymentEventKind.STATUS, status: S.AWAITING_OVERRIDE });
    const panel = await screen.findByRole("region", { name: "Policy check" });
    expect(await within(panel).findByRole("button", { name: "Override" })).toBeInTheDocument();
    expect(within(panel).getByRole("button", { name: "Discard" })).toBeInTheDocument();
    stream.end();
    cleanup();

    const again = controlledStream();
    renderSite({ watchDeployment: vi.fn(() => again.watch()) }, { compliance: { getPolicyCheck: vi.fn(async () => waiting(false)) }, role: ROLE.viewer });
    again.push({ kind: sites.DeploymentEventKind.STATUS, status: S.AWAITING_OVERRIDE });
    const viewerPanel = await screen.findByRole("region", { name: "Policy check" });
    await within(viewerPanel).findByText("Awaiting override");
    expect(within(viewerPanel).queryByRole("button")).not.toBeInTheDocument();
    again.end();
  });
});
