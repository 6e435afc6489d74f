import { describe, expect, it } from "vitest";
import { create, sites } from "@canopy/sdk";
import { appendEvents } from "./use-deployment-watch";

const event = (seq: number) => create(sites.DeploymentEventSchema, { seq: BigInt(seq), kind: sites.DeploymentEventKind.LOG, message: `line ${seq}` });

describe("appendEvents (resuming WatchDeployment after a drop)", () => {
  it("keeps each event once, in order, when a resumed stream repeats the last ones", () => {
    const held = [event(1), event(2), event(3)];
    const resumed = [event(3), event(4), event(5)];
    expect(appendEvents(held, resumed).map((e) => e.seq)).toEqual([1n, 2n, 3n, 4n, 5n]);
  });
});
