// Starting and stopping canopyd and Envoy for the end-to-end test.
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { homedir } from "node:os";
import { join } from "node:path";

/** The repository root: canopyd reads mesh/policy.toml relative to it. */
export const repoRoot = new URL("../../../../", import.meta.url).pathname;

/** `$CANOPYD`, else `$CARGO_TARGET_DIR/debug/canopyd` (default target dir as in .ci/test.sh). */
export function canopydPath(): string {
  if (process.env.CANOPYD) return process.env.CANOPYD;
  const target = process.env.CARGO_TARGET_DIR || join(homedir(), ".cache/canopy/target");
  return join(target, "debug/canopyd");
}

/** `$ENVOY`, else `envoy` on PATH (.ci/setup.sh installs it into a venv and .ci/test.sh puts it on PATH). */
export function envoyPath(): string {
  return process.env.ENVOY || "envoy";
}

/** A running child with its output collected, for waiting on lines and for failure reports. */
export class Child {
  stdout = "";
  stderr = "";
  exited: Promise<number | null>;
  constructor(
    readonly name: string,
    readonly process: ChildProcess,
  ) {
    process.stdout?.setEncoding("utf8").on("data", (d: string) => (this.stdout += d));
    process.stderr?.setEncoding("utf8").on("data", (d: string) => (this.stderr += d));
    this.exited = new Promise((resolve) => {
      process.on("exit", (code, signal) => resolve(code ?? (signal ? -1 : null)));
      process.on("error", (error) => {
        this.stderr += `\nspawn failed: ${error.message}`;
        resolve(-1);
      });
    });
  }

  get running() {
    return this.process.exitCode === null && this.process.signalCode === null && this.process.pid !== undefined;
  }

  /** SIGINT, then SIGKILL if it has not exited within `graceMs`. */
  async stop(graceMs = 20_000): Promise<void> {
    if (!this.running) return;
    this.process.kill("SIGINT");
    const timer = setTimeout(() => this.process.kill("SIGKILL"), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** The last lines of its output, for assertion messages. */
  tail(lines = 40): string {
    const text = `${this.stdout}\n--- stderr ---\n${this.stderr}`;
    return `${this.name}:\n${text.split("\n").slice(-lines).join("\n")}`;
  }
}

/**
 * Starts `command` in the repository root with only PATH, HOME and LANG from our
 * environment (as the Rust canopyd tests do): no DATABASE_URL, REDIS_URL or
 * CANOPY_* leaks in, so `canopyd dev` starts its own private servers and prints a
 * fresh first admin. `settings` adds what the test itself configures (e.g.
 * `CANOPY_SERVICES__TENANCY__DNS_SERVER`).
 */
export function start(name: string, command: string, args: string[], settings: Record<string, string> = {}): Child {
  const env: Record<string, string> = { ...settings };
  for (const key of ["PATH", "HOME", "LANG"]) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  return new Child(name, spawn(command, args, { cwd: repoRoot, env, stdio: ["ignore", "pipe", "pipe"] }));
}

/** Polls `check` every 100 ms until it returns a value, failing after `timeoutMs` or when `child` exits. */
export async function waitFor<T>(what: string, child: Child, timeoutMs: number, check: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (!child.running) throw new Error(`${child.name} exited while waiting for ${what}\n${child.tail()}`);
    if (Date.now() > deadline) throw new Error(`no ${what} after ${timeoutMs} ms\n${child.tail()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A TCP port free right now on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/** Fills the `${NAME}` placeholders of mesh/envoy/envoy.yaml; every placeholder must have a value. */
export function renderEnvoyConfig(values: Record<string, string>, out: string): void {
  const template = readFileSync(join(repoRoot, "mesh/envoy/envoy.yaml"), "utf8");
  const rendered = template.replace(/\$\{([A-Z_]+)\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`envoy.yaml placeholder ${name} has no value`);
    return value;
  });
  writeFileSync(out, rendered);
}
