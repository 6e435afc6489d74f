import { describe, expect, it } from "vitest";
import { CanopyError, Code, ConnectError } from "@canopy/sdk";
import { canopyError } from "../testing";
import { queryRetryDelay, retryQuery } from "./portal-app";

/** A RESOURCE_EXHAUSTED answer with `google.rpc.RetryInfo { retry_delay { seconds } }`. */
function rateLimited(seconds: number): CanopyError {
  const error = new ConnectError("Rate limit of 100 standard calls per 60 s exceeded", Code.ResourceExhausted);
  // RetryInfo { Duration retry_delay = 1 { int64 seconds = 1 } }
  error.details = [{ type: "google.rpc.RetryInfo", value: new Uint8Array([0x0a, 0x02, 0x08, seconds]) }];
  return new CanopyError(error);
}

describe("the portals' query retries", () => {
  it("wait as long as a rate limit asks before retrying", () => {
    expect(rateLimited(6).retryDelayMs).toBe(6000);
    expect(queryRetryDelay(0, rateLimited(6))).toBe(6000);
    expect(retryQuery(0, rateLimited(6))).toBe(true);
  });

  it("back off 1 s, 2 s otherwise, and never retry a refusal", () => {
    expect(queryRetryDelay(0, canopyError(Code.Unavailable, "down"))).toBe(1000);
    expect(queryRetryDelay(1, canopyError(Code.Unavailable, "down"))).toBe(2000);
    expect(retryQuery(2, canopyError(Code.Unavailable, "down"))).toBe(false);
    expect(retryQuery(0, canopyError(Code.PermissionDenied, "no"))).toBe(false);
  });
});
