import { describe, expect, it } from "vitest";
import { Code } from "@canopy/sdk";
import { canopyError, invalidArgument } from "../testing";
import { fieldErrors } from "./error-message";

describe("fieldErrors", () => {
  it("places a violation by its path, else by its longest listed prefix", () => {
    const error = invalidArgument([
      { field: "silence.matchers[1]", description: "is not a matcher" },
      { field: "schedule.layers[0].time_zone", description: "unknown time zone" },
      { field: "theme_variables[radius]", description: "must be a length" },
      { field: "comment", description: "is required" },
      { field: "elsewhere.deep", description: "no field shows this" },
    ]);
    const placed = fieldErrors(error, { "silence.matchers": "matchers", silence: "whole", "schedule.layers[0]": "layer", "schedule.layers[0].time_zone": "zone", theme_variables: "theme", comment: "comment" });
    expect(placed).toEqual({
      fields: { matchers: "Is not a matcher", zone: "Unknown time zone", theme: "Must be a length", comment: "Is required" },
      unplaced: ["elsewhere.deep: no field shows this"],
    });
  });

  it("leaves other errors alone", () => {
    expect(fieldErrors(canopyError(Code.NotFound, "gone"), { x: "x" })).toBeUndefined();
  });
});
