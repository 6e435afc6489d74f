import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { create, toBinary } from "@bufbuild/protobuf";

import { CanopyError, Code, createCanopyClient, identity, sites, tenancy } from "../../src/index.js";
import { badRequest, errorInfo, grpcWebError, grpcWebOk, retryInfo, status } from "./wire.js";

type Handler = (url: string, init: RequestInit) => Response | Promise<Response>;

/** A fetch that records each request's path and authorization header. */
function fakeFetch(...handlers: Handler[]) {
  const calls: { path: string; authorization: string | null }[] = [];
  const fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = String(input);
    calls.push({ path: new URL(url).pathname, authorization: new Headers(init?.headers).get("authorization") });
    const handler = handlers[Math.min(calls.length - 1, handlers.length - 1)]!;
    return handler(url, init ?? {});
  };
  return { fetch: fetch as typeof globalThis.fetch, calls };
}

const currentUser = () =>
  toBinary(
    identity.GetCurrentUserResponseSchema,
    create(identity.GetCurrentUserResponseSchema, { user: { id: "u1", email: "admin@canopy.test" } }),
  );

describe("createCanopyClient", () => {
  it("sends the token as a bearer authorization header over grpc-web", async () => {
    const { fetch, calls } = fakeFetch(() => grpcWebOk(currentUser()));
    const client = createCanopyClient({ baseUrl: "https://edge.test", getToken: () => "t1", fetch });
    const res = await client.auth.getCurrentUser({});
    assert.equal(res.user?.email, "admin@canopy.test");
    assert.deepEqual(calls, [{ path: "/canopy.identity.v1.AuthService/GetCurrentUser", authorization: "Bearer t1" }]);
  });

  it("has a plans client for tenancy's PlanService", async () => {
    const plans = toBinary(
      tenancy.ListPlansResponseSchema,
      create(tenancy.ListPlansResponseSchema, {
        plans: [{ planId: "standard", displayName: "Standard", limits: { maxSites: 5, maxDeploymentsPerMonth: 100 } }],
      }),
    );
    const usage = toBinary(
      tenancy.GetUsageResponseSchema,
      create(tenancy.GetUsageResponseSchema, { sitesUsed: 2, deploymentsThisMonth: 7 }),
    );
    const { fetch, calls } = fakeFetch(
      () => grpcWebOk(plans),
      () => grpcWebOk(usage),
    );
    const client = createCanopyClient({ baseUrl: "https://edge.test", getToken: () => "t1", fetch });
    const listed = await client.plans.listPlans({});
    assert.deepEqual(
      listed.plans.map((p) => [p.planId, p.limits?.maxSites]),
      [["standard", 5]],
    );
    const used = await client.plans.getUsage({ customerId: "c1" });
    assert.equal(used.deploymentsThisMonth, 7);
    assert.deepEqual(calls, [
      { path: "/canopy.tenancy.v1.PlanService/ListPlans", authorization: "Bearer t1" },
      { path: "/canopy.tenancy.v1.PlanService/GetUsage", authorization: "Bearer t1" },
    ]);
  });

  it("calls anonymously when there is no token", async () => {
    const { fetch, calls } = fakeFetch(() => grpcWebOk(currentUser()));
    const client = createCanopyClient({ baseUrl: "https://edge.test", getToken: () => undefined, fetch });
    await client.auth.getCurrentUser({});
    assert.equal(calls[0]!.authorization, null);
  });

  it("refreshes the token once after UNAUTHENTICATED and retries", async () => {
    const { fetch, calls } = fakeFetch(
      () => grpcWebError(Code.Unauthenticated, "unauthenticated"),
      () => grpcWebOk(currentUser()),
    );
    const asked: boolean[] = [];
    let unauthenticated = 0;
    const client = createCanopyClient({
      baseUrl: "https://edge.test",
      getToken: ({ refresh }) => {
        asked.push(refresh);
        return refresh ? "fresh" : "stale";
      },
      onUnauthenticated: () => unauthenticated++,
      fetch,
    });
    const res = await client.auth.getCurrentUser({});
    assert.equal(res.user?.id, "u1");
    assert.deepEqual(asked, [false, true]);
    assert.deepEqual(
      calls.map((c) => c.authorization),
      ["Bearer stale", "Bearer fresh"],
    );
    assert.equal(unauthenticated, 0);
  });

  it("does not hang when getToken's own refresh through the same client is refused", async () => {
    const { fetch } = fakeFetch(() => grpcWebError(Code.Unauthenticated, "unauthenticated"));
    let unauthenticated = 0;
    // getToken refreshes with RefreshSession through the client it serves.
    const client: ReturnType<typeof createCanopyClient> = createCanopyClient({
      baseUrl: "https://edge.test",
      getToken: async ({ refresh }) => {
        if (!refresh) return "stale";
        try {
          const res = await client.auth.refreshSession({ refreshToken: "spent" });
          return res.session?.accessToken;
        } catch {
          return undefined;
        }
      },
      onUnauthenticated: () => unauthenticated++,
      fetch,
    });
    const outcome = await Promise.race([
      client.auth.getCurrentUser({}).then(
        () => "resolved",
        (e: unknown) => (e instanceof CanopyError ? `rejected ${e.code}` : "rejected"),
      ),
      new Promise((resolve) => setTimeout(() => resolve("hung"), 2000)),
    ]);
    assert.equal(outcome, `rejected ${Code.Unauthenticated}`);
    assert.equal(unauthenticated, 1);
  });

  it("gives up after one retry and tells onUnauthenticated", async () => {
    const { fetch, calls } = fakeFetch(() => grpcWebError(Code.Unauthenticated, "unauthenticated"));
    const seen: CanopyError[] = [];
    let n = 0;
    const client = createCanopyClient({
      baseUrl: "https://edge.test",
      getToken: () => `token-${n++}`,
      onUnauthenticated: (e) => seen.push(e),
      fetch,
    });
    await assert.rejects(client.auth.getCurrentUser({}), (e: unknown) => {
      assert.ok(e instanceof CanopyError);
      assert.equal(e.code, Code.Unauthenticated);
      return true;
    });
    assert.equal(calls.length, 2);
    assert.equal(seen.length, 1);
  });

  it("does not retry when the refresh yields no new token", async () => {
    const { fetch, calls } = fakeFetch(() => grpcWebError(Code.Unauthenticated, "unauthenticated"));
    let told = 0;
    const client = createCanopyClient({
      baseUrl: "https://edge.test",
      getToken: ({ refresh }) => (refresh ? null : "expired"),
      onUnauthenticated: () => told++,
      fetch,
    });
    await assert.rejects(client.auth.getCurrentUser({}), CanopyError);
    assert.equal(calls.length, 1);
    assert.equal(told, 1);
  });

  it("shares one refresh between concurrent refused calls", async () => {
    let refreshes = 0;
    const { fetch } = fakeFetch((_url, init) =>
      new Headers(init.headers).get("authorization") === "Bearer fresh"
        ? grpcWebOk(currentUser())
        : grpcWebError(Code.Unauthenticated, "unauthenticated"),
    );
    const client = createCanopyClient({
      baseUrl: "https://edge.test",
      getToken: async ({ refresh }) => {
        if (!refresh) return "stale";
        refreshes++;
        await new Promise((r) => setTimeout(r, 10));
        return "fresh";
      },
      fetch,
    });
    await Promise.all([client.auth.getCurrentUser({}), client.auth.getCurrentUser({}), client.auth.getCurrentUser({})]);
    assert.equal(refreshes, 1);
  });

  it("rejects with typed errors carrying ErrorInfo, field violations and RetryInfo", async () => {
    const details = status(Code.InvalidArgument, "name: must be lowercase", [
      ["google.rpc.ErrorInfo", errorInfo("INVALID_ARGUMENT", "canopy.dev")],
      ["google.rpc.BadRequest", badRequest([["name", "must be lowercase"]])],
      ["google.rpc.RetryInfo", retryInfo(2, 0)],
    ]);
    const { fetch } = fakeFetch(() => grpcWebError(Code.InvalidArgument, "name: must be lowercase", details));
    const client = createCanopyClient({ baseUrl: "https://edge.test", getToken: () => "t", fetch });
    await assert.rejects(client.sites.createSite({ name: "Bad Name" }), (e: unknown) => {
      assert.ok(e instanceof CanopyError);
      assert.equal(e.code, Code.InvalidArgument);
      assert.equal(e.rawMessage, "name: must be lowercase");
      assert.equal(e.reason, "INVALID_ARGUMENT");
      assert.equal(e.domain, "canopy.dev");
      assert.equal(e.violation("name"), "must be lowercase");
      assert.deepEqual(e.violationsByField(), { name: "must be lowercase" });
      assert.equal(e.retryDelayMs, 2000);
      return true;
    });
  });

  it("streams server messages and types errors at the start of a stream", async () => {
    const event = (seq: bigint, status: sites.DeploymentStatus) =>
      toBinary(
        sites.WatchDeploymentResponseSchema,
        create(sites.WatchDeploymentResponseSchema, {
          event: { seq, kind: sites.DeploymentEventKind.STATUS, status },
        }),
      );
    const { fetch } = fakeFetch(
      () => grpcWebOk(event(1n, sites.DeploymentStatus.RUNNING), event(2n, sites.DeploymentStatus.SUCCEEDED)),
      () => grpcWebError(Code.NotFound, "deployment not found"),
    );
    const client = createCanopyClient({ baseUrl: "https://edge.test", getToken: () => "t", fetch });
    const seen: bigint[] = [];
    for await (const res of client.sites.watchDeployment({ deploymentId: "d1" })) seen.push(res.event!.seq);
    assert.deepEqual(seen, [1n, 2n]);
    await assert.rejects(
      (async () => {
        for await (const _ of client.sites.watchDeployment({ deploymentId: "d2" })) {
          // no messages expected
        }
      })(),
      (e: unknown) => e instanceof CanopyError && e.code === Code.NotFound,
    );
  });

  it("types network failures", async () => {
    const fetch = (async () => {
      throw new TypeError("fetch failed");
    }) as typeof globalThis.fetch;
    const client = createCanopyClient({ baseUrl: "https://edge.test", getToken: () => "t", fetch });
    await assert.rejects(client.auth.getCurrentUser({}), CanopyError);
  });
});

describe("CanopyError", () => {
  it("is a ConnectError, and plain ConnectErrors are not CanopyErrors", async () => {
    const { ConnectError } = await import("../../src/index.js");
    const plain = new ConnectError("x", Code.NotFound);
    assert.equal(plain instanceof CanopyError, false);
    const typed = new CanopyError(plain);
    assert.ok(typed instanceof CanopyError);
    assert.ok(typed instanceof ConnectError);
    assert.equal(ConnectError.from(typed), typed);
    assert.equal(typed.code, Code.NotFound);
    assert.equal(typed.reason, "");
    assert.deepEqual(typed.fieldViolations, []);
  });
});
