import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";

import { type DescService, getOption } from "@bufbuild/protobuf";

import { Audience, policy } from "../../src/gen/canopy/options/v1/options_pb.js";
import { serviceClients } from "../../src/index.js";

/** Every service descriptor in the generated code. */
async function generatedServices(): Promise<DescService[]> {
  const root = fileURLToPath(new URL("../../src/gen/canopy", import.meta.url));
  const services: DescService[] = [];
  for (const domain of readdirSync(root)) {
    for (const file of readdirSync(join(root, domain, "v1")).filter((f) => f.endsWith("_pb.ts"))) {
      const module = (await import(pathToFileURL(join(root, domain, "v1", file)).href)) as Record<string, unknown>;
      for (const value of Object.values(module)) {
        if (value && typeof value === "object" && (value as { kind?: string }).kind === "service") {
          services.push(value as DescService);
        }
      }
    }
  }
  return services;
}

describe("the client list", () => {
  it("has a client for every Canopy service with a method outside the mesh may call", async () => {
    const services = await generatedServices();
    assert.ok(services.length > 5, `found only ${services.length} services`);
    const reachable = services
      .filter((service) => service.methods.some((m) => getOption(m, policy).audience !== Audience.INTERNAL))
      .map((service) => service.typeName)
      .sort();
    const covered = Object.values(serviceClients)
      .map((service) => service.typeName)
      .sort();
    const missing = reachable.filter((name) => !covered.includes(name));
    assert.deepEqual(missing, []);
  });
});
