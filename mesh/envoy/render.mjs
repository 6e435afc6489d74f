#!/usr/bin/env node
// Renders envoy.yaml: replaces each `${NAME}` placeholder with the environment
// variable NAME and writes the result to stdout; fails naming any that are unset.
//   EDGE_ADDRESS=0.0.0.0 EDGE_PORT=8080 ... node mesh/envoy/render.mjs > envoy.rendered.yaml
import { readFileSync } from "node:fs";

const template = readFileSync(new URL("./envoy.yaml", import.meta.url), "utf8");
const missing = new Set();
const rendered = template.replace(/\$\{([A-Z_]+)\}/g, (_, name) => {
  const value = process.env[name];
  if (value === undefined) missing.add(name);
  return value ?? "";
});
if (missing.size > 0) {
  console.error(`render.mjs: unset: ${[...missing].join(", ")}`);
  process.exit(1);
}
process.stdout.write(rendered);
