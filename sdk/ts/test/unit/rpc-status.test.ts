import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { decodeBadRequest, decodeErrorInfo, decodeRetryInfo, decodeStatus, typeName } from "../../src/rpc-status.js";
import { badRequest, errorInfo, retryInfo, status } from "./wire.js";

describe("google.rpc decoder", () => {
  it("decodes Status with its Any details", () => {
    const info = errorInfo("INVALID_ARGUMENT", "canopy.dev");
    const decoded = decodeStatus(status(3, "name: too short", [["google.rpc.ErrorInfo", info]]));
    assert.equal(decoded.code, 3);
    assert.equal(decoded.message, "name: too short");
    assert.equal(decoded.details.length, 1);
    assert.equal(decoded.details[0]!.typeUrl, "type.googleapis.com/google.rpc.ErrorInfo");
    assert.deepEqual(decoded.details[0]!.value, info);
  });

  it("decodes ErrorInfo with metadata", () => {
    assert.deepEqual(decodeErrorInfo(errorInfo("RATE_LIMITED", "canopy.dev", { class: "sign_in", window: "60" })), {
      reason: "RATE_LIMITED",
      domain: "canopy.dev",
      metadata: { class: "sign_in", window: "60" },
    });
  });

  it("decodes BadRequest field violations in order", () => {
    const decoded = decodeBadRequest(
      badRequest([
        ["name", "must be 3 to 40 lowercase letters, digits or hyphens"],
        ["region", "is not a region of digitalocean"],
      ]),
    );
    assert.deepEqual(
      decoded.fieldViolations.map((v) => [v.field, v.description]),
      [
        ["name", "must be 3 to 40 lowercase letters, digits or hyphens"],
        ["region", "is not a region of digitalocean"],
      ],
    );
  });

  it("decodes RetryInfo as milliseconds", () => {
    assert.deepEqual(decodeRetryInfo(retryInfo(41, 500_000_000)), { retryDelayMs: 41_500 });
  });

  it("skips unknown fields and accepts empty input", () => {
    // field 9 (varint 7) and field 10 (bytes "x") before the reason.
    const unknown = new Uint8Array([0x48, 0x07, 0x52, 0x01, 0x78]);
    const bytes = new Uint8Array([...unknown, ...errorInfo("NOT_FOUND", "canopy.dev")]);
    assert.equal(decodeErrorInfo(bytes).reason, "NOT_FOUND");
    assert.deepEqual(decodeStatus(new Uint8Array(0)), { code: 0, message: "", details: [] });
  });

  it("rejects truncated input", () => {
    const bytes = status(3, "bad", [["google.rpc.BadRequest", badRequest([["name", "x"]])]]);
    assert.throws(() => decodeStatus(bytes.subarray(0, bytes.length - 3)));
  });

  it("names types from type URLs", () => {
    assert.equal(typeName("type.googleapis.com/google.rpc.BadRequest"), "google.rpc.BadRequest");
    assert.equal(typeName("google.rpc.BadRequest"), "google.rpc.BadRequest");
  });
});
