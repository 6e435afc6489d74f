// End to end through the production edge: canopyd dev (every service, the gateway
// over TLS, private PostgreSQL and Redis) ← Envoy (grpc_web, cors, router; TLS
// upstream) ← this SDK over grpc-web, as a browser would call it.
import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";

import { CanopyError, Code, type CanopyClient, common, createCanopyClient, sites } from "../../src/index.js";
import { Child, canopydPath, envoyPath, freePort, renderEnvoyConfig, start, waitFor } from "./processes.js";

const ORIGIN = "https://app.canopy.test";

describe("SDK through Envoy to canopyd dev", { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), "canopy-e2e-"));
  // When run as root, canopyd runs the private PostgreSQL as an unprivileged user,
  // which must be able to reach its data folder under here.
  chmodSync(dir, 0o755);
  let canopyd: Child | undefined;
  let envoy: Child | undefined;
  let edge = "";
  let admin = { email: "", password: "" };
  let client: CanopyClient;
  const tokens = { access: "", refresh: "", refreshes: 0 };

  before(async () => {
    const binary = canopydPath();
    assert.ok(existsSync(binary), `canopyd not built at ${binary} (cargo build -p canopyd, or set CANOPYD)`);
    canopyd = start("canopyd", binary, ["dev", "--dir", dir]);
    const endpointsFile = join(dir, "endpoints.json");
    const endpoints = await waitFor("endpoints.json", canopyd, 90_000, () =>
      existsSync(endpointsFile) ? (JSON.parse(readFileSync(endpointsFile, "utf8")) as { gateway?: string }) : undefined,
    );
    assert.ok(endpoints.gateway, "endpoints.json has the gateway");
    const login = await waitFor("admin login", canopyd, 30_000, () =>
      canopyd!.stdout.split("\n").find((l) => l.startsWith("First platform admin")),
    );
    const [email, password] = login.slice(login.lastIndexOf(": ") + 2).split(" / ");
    admin = { email: email!, password: password! };

    const gateway = new URL(`https://${endpoints.gateway}`);
    const [edgePort, adminPort] = [await freePort(), await freePort()];
    const config = join(dir, "envoy.yaml");
    renderEnvoyConfig(
      {
        EDGE_ADDRESS: "127.0.0.1",
        EDGE_PORT: String(edgePort),
        ADMIN_PORT: String(adminPort),
        CORS_ORIGIN_REGEX: "^https://app\\.canopy\\.test$",
        GATEWAY_ADDRESS: gateway.hostname.replace(/^\[|\]$/g, ""),
        GATEWAY_PORT: gateway.port,
        GATEWAY_SNI: "localhost",
        TRUST_ANCHOR: join(dir, "pki/trust-anchor.crt"),
      },
      config,
    );
    envoy = start("envoy", envoyPath(), ["-c", config, "--disable-hot-restart", "--log-level", "warn"]);
    await waitFor("Envoy ready", envoy, 30_000, async () => {
      const res = await fetch(`http://127.0.0.1:${adminPort}/ready`).catch(() => undefined);
      return res?.status === 200 ? true : undefined;
    });
    edge = `http://127.0.0.1:${edgePort}`;
    client = createCanopyClient({
      baseUrl: edge,
      defaultTimeoutMs: 30_000,
      getToken: async ({ refresh }) => {
        if (!refresh) return tokens.access;
        tokens.refreshes++;
        const res = await client.auth.refreshSession({ refreshToken: tokens.refresh });
        tokens.access = res.session!.accessToken;
        tokens.refresh = res.session!.refreshToken;
        return tokens.access;
      },
    });
  });

  after(async () => {
    // Stop both even when a step failed; Envoy first (it is the client of the gateway).
    await Promise.allSettled([envoy?.stop(), canopyd?.stop(30_000)]);
    rmSync(dir, { recursive: true, force: true });
  });

  it("answers CORS preflights for configured origins only", async () => {
    const preflight = (origin: string) =>
      fetch(`${edge}/canopy.identity.v1.AuthService/Login`, {
        method: "OPTIONS",
        headers: {
          origin,
          "access-control-request-method": "POST",
          "access-control-request-headers": "content-type,x-grpc-web,authorization",
        },
      });
    const allowed = await preflight(ORIGIN);
    assert.equal(allowed.headers.get("access-control-allow-origin"), ORIGIN);
    assert.match(allowed.headers.get("access-control-allow-headers") ?? "", /authorization/);
    const other = await preflight("https://evil.test");
    assert.equal(other.headers.get("access-control-allow-origin"), null);
  });

  it("signs in as the first admin and refreshes an expired token on UNAUTHENTICATED", async () => {
    const login = await client.auth.login({ email: admin.email, password: admin.password });
    assert.equal(login.result.case, "session", "the first admin has no MFA yet");
    tokens.refresh = login.result.value.refreshToken;
    tokens.access = "not-a-valid-token"; // as if it had expired: the gateway refuses it
    const me = await client.auth.getCurrentUser({});
    assert.equal(me.user?.email, admin.email);
    assert.equal(tokens.refreshes, 1, "one refresh, then the retried call succeeded");
  });

  let customerId = "";
  it("creates a customer", async () => {
    const res = await client.customers.createCustomer({
      idempotencyKey: "ts-e2e-customer",
      name: "TS Shop",
      ownerEmail: "owner@tsshop.test",
      ownerDisplayName: "TS Owner",
    });
    customerId = res.customer!.id;
    assert.ok(customerId);
  });

  it("creates a sandbox site and streams WatchDeployment to SUCCEEDED over grpc-web", async () => {
    const created = await client.sites.createSite({
      idempotencyKey: "ts-e2e-site-1",
      customerId,
      name: "ts-shop",
      provider: common.CloudProvider.DIGITALOCEAN,
      region: "ams3",
      size: sites.SiteSize.SMALL,
      runtime: { image: "nginx:1.27", port: 80 },
    });
    assert.equal(created.site?.sandbox, true, "canopyd dev provisions sandbox sites");
    const statuses: sites.DeploymentStatus[] = [];
    let lastSeq = 0n;
    let logLines = 0;
    for await (const { event } of client.sites.watchDeployment(
      { deploymentId: created.deployment!.id, afterSeq: 0n },
      { timeoutMs: 60_000 },
    )) {
      assert.ok(event, "every message carries an event");
      assert.ok(event.seq > lastSeq, "events arrive in order, once each");
      lastSeq = event.seq;
      if (event.kind === sites.DeploymentEventKind.STATUS) statuses.push(event.status);
      if (event.kind === sites.DeploymentEventKind.LOG) logLines++;
    }
    assert.equal(statuses.at(-1), sites.DeploymentStatus.SUCCEEDED, `statuses: ${statuses.join(",")}`);
    assert.ok(logLines > 0, "the deployment log streamed");
  });

  it("rejects a bad site name with a typed error naming the field", async () => {
    await assert.rejects(
      client.sites.createSite({
        idempotencyKey: "ts-e2e-site-bad",
        customerId,
        name: "Not A Valid Name!",
        provider: common.CloudProvider.DIGITALOCEAN,
        region: "ams3",
        size: sites.SiteSize.SMALL,
        runtime: { image: "nginx:1.27", port: 80 },
      }),
      (error: unknown) => {
        assert.ok(error instanceof CanopyError, `a CanopyError: ${String(error)}`);
        assert.equal(error.code, Code.InvalidArgument);
        assert.equal(error.reason, "INVALID_ARGUMENT");
        assert.deepEqual(
          error.fieldViolations.map((v) => v.field),
          ["name"],
        );
        assert.ok(error.violation("name"));
        return true;
      },
    );
  });
});
