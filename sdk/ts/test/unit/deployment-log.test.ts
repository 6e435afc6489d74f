import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { create } from "@bufbuild/protobuf";

import { type CanopyClient, CanopyError, Code, ConnectError, DeploymentLog, followDeployment, sites } from "../../src/index.js";

const event = (seq: number, id: string) => create(sites.DeploymentEventSchema, { seq: BigInt(seq), id, message: `line ${seq}` });
const message = (e: sites.DeploymentEvent | undefined, reset = false) => create(sites.WatchDeploymentResponseSchema, { event: e, reset });

type Request = { deploymentId: string; afterSeq: bigint; afterId: string };

/** A sites client whose n-th WatchDeployment call plays the n-th script. */
function scriptedSites(...scripts: ((request: Request) => AsyncGenerator<sites.WatchDeploymentResponse>)[]) {
  const requests: Request[] = [];
  const client = {
    sites: {
      watchDeployment(request: Request) {
        requests.push(request);
        return scripts[requests.length - 1]!(request);
      },
    },
  } as unknown as Pick<CanopyClient, "sites">;
  return { client, requests };
}

const seqsAndIds = (log: DeploymentLog) => log.events.map((e) => `${e.seq}${e.id}`);

describe("DeploymentLog", () => {
  it("keeps each seq once and resumes after the last event with its id", () => {
    const log = new DeploymentLog();
    assert.deepEqual(log.resume("d"), { deploymentId: "d", afterSeq: 0n, afterId: "" });
    assert.equal(log.apply(message(event(1, "a"))), true);
    assert.equal(log.apply(message(event(2, "b"))), true);
    assert.equal(log.apply(message(event(2, "b"))), false, "a repeat changes nothing");
    assert.deepEqual(seqsAndIds(log), ["1a", "2b"]);
    assert.deepEqual(log.resume("d"), { deploymentId: "d", afterSeq: 2n, afterId: "b" });
  });

  it("drops everything held on a reset, even when the stored log is empty", () => {
    const log = new DeploymentLog();
    log.apply(message(event(1, "a")));
    log.apply(message(event(2, "b")));
    log.apply(message(event(1, "a"), true));
    assert.deepEqual(seqsAndIds(log), ["1a"]);
    log.apply(message(undefined, true));
    assert.deepEqual(log.events, []);
    assert.equal(log.resets, 2);
  });
});

describe("followDeployment", () => {
  it("resumes with the last seq and id after a drop, and replaces a diverged copy when the server resets", async () => {
    const { client, requests } = scriptedSites(
      async function* () {
        yield message(event(1, "a"));
        yield message(event(2, "b"));
        yield message(event(3, "c"));
        throw new ConnectError("connection reset", Code.Unavailable);
      },
      async function* () {
        // The stored log lost line 3 and has another line 2 since.
        yield message(event(1, "a"), true);
        yield message(event(2, "x"));
      },
    );
    const retries: Code[] = [];
    const seen: string[][] = [];
    let last: DeploymentLog | undefined;
    for await (const log of followDeployment(client, "d", { onRetry: (e) => retries.push(e.code) })) {
      seen.push(seqsAndIds(log));
      last = log;
    }
    assert.deepEqual(requests.map((r) => [r.afterSeq, r.afterId]), [[0n, ""], [3n, "c"]]);
    assert.deepEqual(retries, [Code.Unavailable]);
    assert.deepEqual(seen, [["1a"], ["1a", "2b"], ["1a", "2b", "3c"], ["1a"], ["1a", "2x"]]);
    assert.equal(last?.resets, 1);
  });

  it("gives up at once on an error reconnecting cannot fix", async () => {
    const { client, requests } = scriptedSites(async function* () {
      yield message(event(1, "a"));
      throw new ConnectError("not yours", Code.PermissionDenied);
    });
    await assert.rejects(
      async () => {
        for await (const _ of followDeployment(client, "d")) {
          // consume
        }
      },
      (error: unknown) => error instanceof CanopyError && error.code === Code.PermissionDenied,
    );
    assert.equal(requests.length, 1);
  });

  it("returns quietly when aborted while waiting to reconnect", async () => {
    const abort = new AbortController();
    const { client, requests } = scriptedSites(async function* () {
      yield message(event(1, "a"));
      throw new ConnectError("gone", Code.Unavailable);
    });
    const follow = followDeployment(client, "d", { signal: abort.signal, onRetry: () => abort.abort() });
    const logs = [];
    for await (const log of follow) logs.push(log.events.length);
    assert.deepEqual(logs, [1]);
    assert.equal(requests.length, 1);
  });
});
