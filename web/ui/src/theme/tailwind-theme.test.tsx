// The chain from branding to pixels: applyTheme sets --canopy-* variables, the
// Tailwind theme in styles.css maps its tokens onto them, and the components use
// those tokens. Compiles the real stylesheet with Tailwind and checks the classes
// the components actually render.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { compile } from "@tailwindcss/node";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { create, identity, sites } from "@canopy/sdk";
import { ApiKeyManager } from "../api-keys/api-key-manager";
import { apiKeyKeys } from "../api-keys/api-key-queries";
import { NewApiKeySecret } from "../api-keys/new-api-key-secret";
import { ROLE } from "../api-keys/roles";
import { Alert } from "../components/alert";
import { AppShell } from "../components/app-shell";
import { Button } from "../components/button";
import { Card } from "../components/card";
import { Table } from "../components/table";
import { deploymentKeys } from "../sites/site-queries";
import { TextField } from "../components/text-field";
import { CancelDeployment } from "../sites/cancel-deployment";
import { DeploymentHistory } from "../sites/deployment-history";
import { DeploymentProgress } from "../sites/deployment-progress";

const stylesheet = join(dirname(fileURLToPath(import.meta.url)), "../styles.css");

/** The CSS Tailwind generates for one class, without the always-present theme and
 *  base. A fresh compiler each time: a compiler's builds accumulate candidates. */
async function cssOf(cls: string): Promise<string> {
  const compiler = await compile(readFileSync(stylesheet, "utf8"), { base: dirname(stylesheet), onDependency: () => undefined });
  const baseline = compiler.build([]);
  return compiler.build([cls]).replace(baseline, "");
}

const classesOf = (element: Element) => [...element.classList];

async function unknownClassesIn(root: Element): Promise<string[]> {
  const classes = new Set([...root.querySelectorAll("[class]")].flatMap((element) => [...element.classList]));
  // One compiler: its builds accumulate, so a class that exists makes the output grow.
  const compiler = await compile(readFileSync(stylesheet, "utf8"), { base: dirname(stylesheet), onDependency: () => undefined });
  let size = compiler.build([]).length;
  const unknown: string[] = [];
  for (const cls of classes) {
    const next = compiler.build([cls]).length;
    if (next === size) unknown.push(cls);
    size = next;
  }
  return unknown;
}

describe("the Tailwind theme", () => {
  it("maps the brand tokens onto the variables branding sets", async () => {
    expect(await cssOf("bg-primary")).toMatch(/background-color:\s*var\(--canopy-primary\)/);
    expect(await cssOf("text-on-primary")).toMatch(/color:\s*var\(--canopy-on-primary\)/);
    expect(await cssOf("rounded-brand")).toMatch(/border-radius:\s*var\(--canopy-radius\)/);
    expect(await cssOf("font-sans")).toMatch(/font-family:\s*var\(--canopy-font\)/);
    expect(await cssOf("bg-header")).toMatch(/background-color:\s*var\(--canopy-header-bg,\s*var\(--canopy-secondary\)\)/);
    expect(await cssOf("min-h-control")).toMatch(/min-height:\s*calc\(2\.5rem \* var\(--canopy-density\)\)/);
    expect(await cssOf("shadow-brand")).toMatch(/var\(--canopy-shadow\)/);
  });

  it("generates CSS for every class the components render (no silently unknown utility)", async () => {
    render(
      <AppShell brand={<a href="/">Canopy</a>} nav={<a href="/sites">Sites</a>}>
        <Card title="Site" actions={<Button variant="danger">Delete</Button>}>
          <Alert tone="danger">Broken</Alert>
          <TextField label="Name" error="Required" />
          <Button>Save</Button>
          <Button variant="secondary" busy>
            Wait
          </Button>
          <Table aria-label="Rows">
            <tbody>
              <tr>
                <td>cell</td>
              </tr>
            </tbody>
          </Table>
        </Card>
      </AppShell>,
    );
    const classes = new Set([...document.body.querySelectorAll("[class]")].flatMap(classesOf));
    expect(classes.size).toBeGreaterThan(40);
    expect(await unknownClassesIn(document.body)).toEqual([]);
  });

  it("generates CSS for every class of the shared deployment and API key pieces", async () => {
    // Lists come from a query cache filled beforehand, so the tables render at once.
    const queryClient = new QueryClient();
    const deployment = create(sites.DeploymentSchema, { id: "d-1", status: sites.DeploymentStatus.FAILED, error: "boom", cancelRequested: true, startTime: { seconds: 1n } });
    queryClient.setQueryData(deploymentKeys.history("s-1", 10, ""), create(sites.ListDeploymentsResponseSchema, { deployments: [deployment] }));
    queryClient.setQueryData(apiKeyKeys.list({ tenantId: "", includeInactive: false, pageSize: 20, pageToken: "" }), create(identity.ListApiKeysResponseSchema, { apiKeys: [{ id: "k-1", name: "ci", prefix: "cnp_x" }] }));
    const never = () => new Promise<never>(() => undefined);
    const client = { sites: { listDeployments: never, watchDeployment: never }, apiKeys: { listApiKeys: never } } as never;
    const watch = { events: [], status: sites.DeploymentStatus.RUNNING, connection: "reconnecting" as const, error: "lost" };
    render(
      <QueryClientProvider client={queryClient}>
        <DeploymentHistory client={client} siteId="s-1" />
        <DeploymentProgress watch={watch} title="Deploying" />
        <CancelDeployment client={client} deploymentId="d-1" status={sites.DeploymentStatus.RUNNING} cancelRequested />
        <ApiKeyManager client={client} grantableRoles={[ROLE.owner]} />
        <NewApiKeySecret name="ci" secret="cnp_x_y" onDismiss={() => undefined} />
      </QueryClientProvider>,
    );
    expect(screen.getByRole("table", { name: "Deployment history" })).toBeInTheDocument();
    expect(screen.getByRole("table", { name: "API keys" })).toBeInTheDocument();
    expect(await unknownClassesIn(document.body)).toEqual([]);
  });

  it("styles the primary button with the brand colour and radius", () => {
    render(<Button>Go</Button>);
    const classes = classesOf(screen.getByRole("button", { name: "Go" }));
    expect(classes).toContain("bg-primary");
    expect(classes).toContain("rounded-brand");
    expect(classes).toContain("text-on-primary");
  });
});
