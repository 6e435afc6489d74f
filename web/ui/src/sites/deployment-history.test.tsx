import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { Code, create, sites } from "@canopy/sdk";
import { canopyError } from "../testing";
import { DeploymentHistory, type DeploymentHistoryProps } from "./deployment-history";

type Sites = DeploymentHistoryProps["client"]["sites"];
const S = sites.DeploymentStatus;
const K = sites.DeploymentKind;
const NOW = Math.floor(Date.now() / 1000);
const at = (secondsFromNow: number) => ({ seconds: BigInt(NOW + secondsFromNow) });

const deployment = (init: Parameters<typeof create<typeof sites.DeploymentSchema>>[1]) => create(sites.DeploymentSchema, { siteId: "s-1", attempt: 1, ...init });

const running = deployment({ id: "d-3", kind: K.REDEPLOY, status: S.RUNNING, createTime: at(-130), startTime: at(-125) });
const failed = deployment({ id: "d-2", kind: K.UPDATE, status: S.FAILED, attempt: 2, error: "terraform apply: quota exceeded", createTime: at(-7200), startTime: at(-7190), finishTime: at(-7100) });
const created = deployment({ id: "d-1", kind: K.CREATE, status: S.SUCCEEDED, createTime: at(-86_400 * 2), startTime: at(-86_400 * 2), finishTime: at(-86_400 * 2 + 45) });

const page = (deployments: sites.Deployment[], nextPageToken = "") => create(sites.ListDeploymentsResponseSchema, { deployments, page: { nextPageToken, totalSize: -1n } });

function renderHistory(overrides: Partial<Record<keyof Sites, unknown>>) {
  const client = { sites: overrides as unknown as Sites };
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <QueryClientProvider client={queryClient}>
      <DeploymentHistory client={client} siteId="s-1" pageSize={2} />
    </QueryClientProvider>,
  );
}

const rowOf = (text: string) => screen.getByText(text, { selector: "td" }).closest("tr")!;

describe("DeploymentHistory", () => {
  it("lists deployments newest first: kind, status, start, duration, attempt and the error of a failed one", async () => {
    renderHistory({ listDeployments: vi.fn(async () => page([running, failed])) });
    const table = await screen.findByRole("table", { name: "Deployment history" });
    const rows = within(table).getAllByRole("row").slice(1);
    expect(rows.map((r) => within(r).getAllByRole("cell")[0]!.textContent)).toEqual(["Redeploying", "Updating the site"]);

    const live = rowOf("Redeploying");
    expect(live).toHaveTextContent("Running");
    expect(live).toHaveTextContent("2 minutes ago");
    expect(live).toHaveTextContent(/running for 2 minutes \d+ seconds/);

    const broken = rowOf("Updating the site");
    expect(broken).toHaveTextContent("Failed");
    expect(broken).toHaveTextContent("terraform apply: quota exceeded");
    expect(broken).toHaveTextContent("1 minute 30 seconds");
    expect(broken).toHaveTextContent("2 hours ago");
    expect(within(broken).getAllByRole("cell")[4]).toHaveTextContent("2");
  });

  it("pages with Older and Newer, sending the page token", async () => {
    const user = userEvent.setup();
    const listDeployments = vi.fn(async ({ page: p }: sites.ListDeploymentsRequest) => (p?.pageToken === "older" ? page([created]) : page([running, failed], "older")));
    renderHistory({ listDeployments });
    await screen.findByText("Redeploying");
    expect(screen.getByRole("button", { name: "Newer" })).toBeDisabled();

    await user.click(screen.getByRole("button", { name: "Older" }));
    expect(await screen.findByText("Creating the site")).toBeInTheDocument();
    expect(screen.queryByText("Redeploying")).not.toBeInTheDocument();
    expect(listDeployments).toHaveBeenLastCalledWith({ siteId: "s-1", page: { pageSize: 2, pageToken: "older" } });
    expect(rowOf("Creating the site")).toHaveTextContent("45 seconds");
    expect(screen.getByRole("button", { name: "Older" })).toBeDisabled();

    await user.click(screen.getByRole("button", { name: "Newer" }));
    expect(await screen.findByText("Redeploying")).toBeInTheDocument();
    expect(listDeployments).toHaveBeenLastCalledWith({ siteId: "s-1", page: { pageSize: 2, pageToken: "" } });
  });

  it("shows the log of the deployment chosen", async () => {
    const user = userEvent.setup();
    const watchDeployment = vi.fn(async function* ({ deploymentId }: sites.WatchDeploymentRequest) {
      const event = (seq: number, init: object) => create(sites.WatchDeploymentResponseSchema, { event: { seq: BigInt(seq), ...init } });
      yield event(1, { kind: sites.DeploymentEventKind.LOG, message: `applying for ${deploymentId}` });
      yield event(2, { kind: sites.DeploymentEventKind.LOG, level: "error", message: "quota exceeded" });
      yield event(3, { kind: sites.DeploymentEventKind.STATUS, status: S.FAILED });
    });
    renderHistory({ listDeployments: vi.fn(async () => page([running, failed])), watchDeployment });
    await screen.findByText("Updating the site");
    expect(screen.queryByLabelText("Deployment log")).not.toBeInTheDocument();

    await user.click(within(rowOf("Updating the site")).getByRole("button", { name: /^Show log of Updating the site/ }));
    const region = await screen.findByRole("region", { name: /^Updating the site, / });
    expect(await within(region).findByText(/ERROR quota exceeded/)).toBeInTheDocument();
    expect(within(region).getByLabelText("Deployment log")).toHaveTextContent("applying for d-2");
    expect(within(region).getByText("Failed")).toBeInTheDocument();
    expect(watchDeployment).toHaveBeenCalledWith({ deploymentId: "d-2", afterSeq: 0n, afterId: "" }, expect.anything());

    await user.click(screen.getByRole("button", { name: "Close the log" }));
    expect(screen.queryByRole("region", { name: /^Updating the site, / })).not.toBeInTheDocument();
  });

  it("says when there are none", async () => {
    renderHistory({ listDeployments: vi.fn(async () => page([])) });
    expect(await screen.findByText("No deployments yet")).toBeInTheDocument();
  });

  it("explains a failed list in words", async () => {
    renderHistory({ listDeployments: vi.fn(async () => Promise.reject(canopyError(Code.PermissionDenied, ""))) });
    expect(await screen.findByRole("alert")).toHaveTextContent("You do not have permission to do that.");
  });
});
