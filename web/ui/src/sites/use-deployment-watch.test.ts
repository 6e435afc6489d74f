import { renderHook, waitFor } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { type CanopyClient, Code, ConnectError, create, sites } from "@canopy/sdk";
import { useDeploymentWatch } from "./use-deployment-watch";

const K = sites.DeploymentEventKind;
const S = sites.DeploymentStatus;
const line = (seq: number, id: string, message: string) =>
  create(sites.WatchDeploymentResponseSchema, { event: { seq: BigInt(seq), id, kind: K.LOG, message } });
const status = (seq: number, id: string, value: sites.DeploymentStatus, reset = false) =>
  create(sites.WatchDeploymentResponseSchema, { event: { seq: BigInt(seq), id, kind: K.STATUS, status: value }, reset });

describe("useDeploymentWatch", () => {
  it("replaces the lines it holds when the resumed stream says the stored log changed", async () => {
    const requests: { afterSeq: bigint; afterId: string }[] = [];
    const streams = [
      async function* () {
        yield status(1, "a", S.RUNNING);
        yield line(2, "b", "attempt 1: planning");
        yield line(3, "c", "attempt 1: applying");
        throw new ConnectError("dropped", Code.Unavailable);
      },
      async function* () {
        // The server lost lines 2 and 3; attempt 2 wrote others under the same numbers.
        yield status(1, "a", S.RUNNING, true);
        yield line(2, "x", "attempt 2 started");
        yield status(3, "y", S.SUCCEEDED);
      },
    ];
    const client = {
      sites: {
        watchDeployment(request: { afterSeq: bigint; afterId: string }) {
          requests.push(request);
          return streams[requests.length - 1]!();
        },
      },
    } as unknown as Pick<CanopyClient, "sites">;

    const { result } = renderHook(() => useDeploymentWatch(client, "d-1"));
    await waitFor(() => expect(result.current.connection).toBe("finished"), { timeout: 3_000 });
    expect(result.current.events.map((e) => `${e.seq} ${e.message}`)).toEqual(["1 ", "2 attempt 2 started", "3 "]);
    expect(result.current.status).toBe(S.SUCCEEDED);
    expect(requests.map((r) => [r.afterSeq, r.afterId])).toEqual([
      [0n, ""],
      [3n, "c"],
    ]);
  });
});
