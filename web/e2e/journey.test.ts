// The portals end to end, in the system Chromium: canopyd dev (every service,
// private PostgreSQL and Redis) ← Envoy (mesh/envoy: grpc_web, cors) ← the BUILT
// admin and customer portals, served by a static server, calling Envoy directly.
//
// An admin signs in and creates a customer; the owner follows the invitation link
// canopyd dev prints, sets a password, signs in, creates a sandbox site, watches
// the deployment reach ACTIVE live, sees the outputs, loses the session and comes
// back to the same page after signing in again, and deletes the site. Then the owner
// turns on two-factor authentication on the account page (the test computes the
// codes from the secret shown, RFC 6238) and signs in again with the code step; the
// admin opens the customer: status history, usage, the branding editor (a server
// violation beside an invalid colour, the live preview, save), suspend and reactivate.
// Screenshots of each main page land in web/e2e/screenshots/.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type Browser, type Page, chromium } from "playwright-core";

import { Child, canopydPath, envoyPath, freePort, renderEnvoyConfig, repoRoot, start, waitFor } from "./processes.ts";
import { serveStatic } from "./static-server.ts";

const webRoot = join(repoRoot, "web");
const screenshots = join(webRoot, "e2e/screenshots");
const chromiumPath = process.env.CHROMIUM || "/usr/bin/chromium";
/** The RFC 6238 code (HMAC-SHA-1, 6 digits, 30 s steps) of a base32 secret at `unixMs`. */
function totp(secretBase32: string, unixMs: number): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  const bits = [...secretBase32.replace(/[\s=]/g, "").toUpperCase()].map((c) => {
    const value = alphabet.indexOf(c);
    assert.ok(value >= 0, `not base32: ${c}`);
    return value.toString(2).padStart(5, "0");
  });
  const key = Buffer.from((bits.join("").match(/.{8}/g) ?? []).map((byte) => Number.parseInt(byte, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(unixMs / 1000 / 30)));
  const mac = createHmac("sha1", key).update(counter).digest();
  const offset = mac[mac.length - 1]! & 0xf;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, "0");
}

const OWNER = { email: "owner@journey.test", name: "Journey Owner", password: "Journey-Portal-Passw0rd!" };

describe("portals through Envoy to canopyd dev, in Chromium", { timeout: 300_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), "canopy-web-e2e-"));
  chmodSync(dir, 0o755); // the private PostgreSQL runs unprivileged when we are root
  let canopyd: Child | undefined;
  let envoy: Child | undefined;
  const servers: Server[] = [];
  let browser: Browser | undefined;
  let adminUrl = "";
  let customerUrl = "";
  let admin = { email: "", password: "" };

  const shot = (page: Page, name: string) => page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: true });

  before(async () => {
    for (const portal of ["admin", "customer"]) {
      assert.ok(existsSync(join(webRoot, portal, "dist/index.html")), `web/${portal} is not built (npm run build in web/)`);
    }
    assert.ok(existsSync(chromiumPath), `no Chromium at ${chromiumPath} (apt-get install chromium, or set CHROMIUM)`);
    const binary = canopydPath();
    assert.ok(existsSync(binary), `canopyd not built at ${binary} (cargo build -p canopyd, or set CANOPYD)`);
    mkdirSync(screenshots, { recursive: true });

    canopyd = start("canopyd", binary, ["dev", "--dir", dir]);
    const endpointsFile = join(dir, "endpoints.json");
    const endpoints = await waitFor("endpoints.json", canopyd, 120_000, () =>
      existsSync(endpointsFile) ? (JSON.parse(readFileSync(endpointsFile, "utf8")) as { gateway?: string }) : undefined,
    );
    assert.ok(endpoints.gateway, "endpoints.json has the gateway");
    const login = await waitFor("admin login", canopyd, 30_000, () => canopyd!.stdout.split("\n").find((l) => l.startsWith("First platform admin")));
    const [email, password] = login.slice(login.lastIndexOf(": ") + 2).split(" / ");
    admin = { email: email!, password: password! };

    const [edgePort, envoyAdminPort, adminPort, customerPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
    adminUrl = `http://127.0.0.1:${adminPort}`;
    // The customer portal on another origin (localhost), as it would be on its own domain.
    customerUrl = `http://localhost:${customerPort}`;
    const gateway = new URL(`https://${endpoints.gateway}`);
    const config = join(dir, "envoy.yaml");
    renderEnvoyConfig(
      {
        EDGE_ADDRESS: "127.0.0.1",
        EDGE_PORT: String(edgePort),
        ADMIN_PORT: String(envoyAdminPort),
        CORS_ORIGIN_REGEX: `^http://(127\\.0\\.0\\.1:${adminPort}|localhost:${customerPort})$`,
        GATEWAY_ADDRESS: gateway.hostname.replace(/^\[|\]$/g, ""),
        GATEWAY_PORT: gateway.port,
        GATEWAY_SNI: "localhost",
        TRUST_ANCHOR: join(dir, "pki/trust-anchor.crt"),
      },
      config,
    );
    envoy = start("envoy", envoyPath(), ["-c", config, "--disable-hot-restart", "--log-level", "warn"]);
    await waitFor("Envoy ready", envoy, 30_000, async () => {
      const res = await fetch(`http://127.0.0.1:${envoyAdminPort}/ready`).catch(() => undefined);
      return res?.status === 200 ? true : undefined;
    });
    const api = { apiBaseUrl: `http://127.0.0.1:${edgePort}` };
    servers.push(await serveStatic(join(webRoot, "admin/dist"), api, adminPort));
    servers.push(await serveStatic(join(webRoot, "customer/dist"), api, customerPort));

    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    });
  });

  after(async () => {
    await browser?.close().catch(() => undefined);
    for (const server of servers) server.close();
    await Promise.allSettled([envoy?.stop(), canopyd?.stop(30_000)]);
    rmSync(dir, { recursive: true, force: true });
  });

  /** What a failing step prints: the page's own words, and the servers' last lines. */
  const context = async (page: Page) => `page ${page.url()}:\n${(await page.locator("body").innerText().catch(() => "")).slice(0, 2000)}\n${canopyd?.tail(20)}\n${envoy?.tail(10)}`;

  let invitationToken = "";

  const signInAdmin = async (page: Page) => {
    await page.goto(`${adminUrl}/`);
    await page.waitForURL(/\/sign-in\?next=/);
    await page.getByLabel("Email").fill(admin.email);
    await page.getByLabel("Password").fill(admin.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Customers", exact: true }).waitFor();
  };

  it("admin signs in and creates a customer with its owner", async () => {
    const page = await browser!.newPage({ viewport: { width: 1280, height: 800 } });
    try {
      await page.goto(`${adminUrl}/`);
      await page.waitForURL(/\/sign-in\?next=/);
      await page.getByLabel("Email").fill(admin.email);
      await page.getByLabel("Password").fill(admin.password);
      await shot(page, "admin-sign-in");
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByRole("heading", { name: "Customers", exact: true }).waitFor();
      await shot(page, "admin-customers");

      await page.getByRole("button", { name: "New customer" }).click();
      await page.getByLabel("Customer name").fill("Journey Shop");
      await page.getByLabel("Owner email").fill(OWNER.email);
      await page.getByLabel("Owner name").fill(OWNER.name);
      await shot(page, "admin-new-customer");
      await page.getByRole("button", { name: "Create customer" }).click();
      await page.getByText("Journey Shop was created").waitFor();
      await page.getByRole("table", { name: "Customers" }).getByText("Journey Shop").waitFor();
      await page.getByLabel("Search customers").fill("journey");
      await page.getByRole("button", { name: "Search" }).click();
      await page.getByRole("table", { name: "Customers" }).getByText("Journey Shop").waitFor();
      await shot(page, "admin-customers-created");
    } catch (error) {
      await shot(page, "failure-admin").catch(() => undefined);
      throw new Error(`${(error as Error).message}\n${await context(page)}`);
    } finally {
      await page.close();
    }
    // canopyd dev "sends" mail by printing it: the invitation link is on stdout.
    invitationToken = await waitFor("invitation mail", canopyd!, 30_000, () => {
      const match = /\/invitation#token=([A-Za-z0-9_\-.~%]+)/.exec(canopyd!.stdout);
      return match?.[1];
    });
  });

  it("the owner accepts the invitation, creates a sandbox site, watches it go live, and deletes it", async () => {
    assert.ok(invitationToken, "the previous step printed an invitation");
    const page = await browser!.newPage({ viewport: { width: 1280, height: 800 } });
    try {
      await page.goto(`${customerUrl}/invitation#token=${invitationToken}`);
      await page.getByLabel("New password").fill(OWNER.password);
      await page.getByLabel("Repeat the password").fill(OWNER.password);
      await shot(page, "customer-invitation");
      await page.getByRole("button", { name: "Set password" }).click();
      await page.getByText("Your password is set.").waitFor();
      assert.equal(new URL(page.url()).hash, "", "the used token is removed from the address bar");
      await page.getByRole("link", { name: "Continue to sign in" }).click();

      await page.getByLabel("Email").fill(OWNER.email);
      await page.getByLabel("Password").fill(OWNER.password);
      await shot(page, "customer-sign-in");
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByRole("heading", { name: "Your sites", exact: true }).waitFor();
      await page.getByText("No sites yet").waitFor();
      await shot(page, "customer-dashboard-empty");

      // Create a site; first a name the server refuses, shown beside the field.
      await page.getByRole("button", { name: "New site" }).first().click();
      await page.getByLabel("Site name").fill("Not A Valid Name!");
      await page.getByLabel("Cloud provider").selectOption({ label: "DigitalOcean" });
      const region = page.getByLabel("Region");
      await region.locator("option[value='ams3']").waitFor({ state: "attached" });
      await region.selectOption("ams3");
      await page.getByRole("button", { name: "Create site" }).click();
      const nameField = page.getByLabel("Site name");
      await page.waitForFunction(() => document.querySelector("input[aria-invalid='true']") !== null);
      assert.equal(await nameField.getAttribute("aria-invalid"), "true", "the name violation is beside the name field");
      await shot(page, "customer-new-site-violation");
      await nameField.fill("journey-shop");
      await page.getByRole("button", { name: "Create site" }).click();

      // Site detail: the CREATE deployment streams live until the site is active.
      await page.waitForURL(/\/sites\/[0-9a-f-]+$/);
      const deployment = page.getByRole("region", { name: "Creating the site" });
      await deployment.waitFor();
      await deployment.getByText("Succeeded", { exact: true }).waitFor({ timeout: 120_000 });
      await page.getByRole("heading", { name: "journey-shop", exact: true }).locator("..").getByText("Active", { exact: true }).waitFor({ timeout: 30_000 });
      const log = await page.getByLabel("Deployment log").innerText();
      const lines = log.split("\n").filter(Boolean);
      assert.ok(lines.length > 0 && !log.includes("Waiting for the first log line"), `the deployment log streamed:\n${log}`);
      assert.equal(new Set(lines).size, lines.length, `no log line twice:\n${log}`);
      const outputs = page.getByLabel("Site outputs");
      await outputs.waitFor();
      assert.match(await outputs.innerText(), /URL/);
      await shot(page, "customer-site-active");
      const siteUrl = page.url();

      // At phone width the dashboard still reads.
      await page.getByRole("link", { name: "← All sites" }).click();
      await page.getByRole("table", { name: "Sites" }).getByRole("link", { name: "journey-shop" }).waitFor();
      await page.setViewportSize({ width: 390, height: 844 });
      await shot(page, "customer-dashboard-phone");
      await page.setViewportSize({ width: 1280, height: 800 });

      // An expired session: both tokens refused → sign-in → back to the same page.
      await page.goto(siteUrl);
      await page.getByLabel("Site outputs").waitFor();
      await page.evaluate(() => sessionStorage.setItem("canopy.customer.session", JSON.stringify({ accessToken: "expired", refreshToken: "expired" })));
      await page.reload();
      await page.waitForURL(/\/sign-in\?next=/);
      assert.equal(new URL(page.url()).searchParams.get("next"), new URL(siteUrl).pathname);
      await page.getByLabel("Email").fill(OWNER.email);
      await page.getByLabel("Password").fill(OWNER.password);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.waitForURL(siteUrl);
      await page.getByLabel("Site outputs").waitFor();

      // Delete, with confirmation; the DELETE deployment streams too.
      await page.getByRole("button", { name: "Delete site" }).click();
      await shot(page, "customer-delete-confirm");
      await page.getByRole("button", { name: "Yes, delete journey-shop" }).click();
      const deletion = page.getByRole("region", { name: "Deleting the site" });
      await deletion.getByText("Succeeded", { exact: true }).waitFor({ timeout: 120_000 });
      await page.getByRole("heading", { name: "journey-shop", exact: true }).locator("..").getByText("Deleted", { exact: true }).waitFor({ timeout: 30_000 });
      await shot(page, "customer-site-deleted");
      await page.getByRole("link", { name: "← All sites" }).click();
      await page.getByText("No sites yet").waitFor();
    } catch (error) {
      await shot(page, "failure-customer").catch(() => undefined);
      throw new Error(`${(error as Error).message}\n${await context(page)}`);
    } finally {
      await page.close();
    }
  });

  it("the owner turns on two-factor authentication and signs in with a code", async () => {
    const page = await browser!.newPage({ viewport: { width: 1280, height: 800 } });
    try {
      await page.goto(`${customerUrl}/sign-in`);
      await page.getByLabel("Email").fill(OWNER.email);
      await page.getByLabel("Password").fill(OWNER.password);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByRole("heading", { name: "Your sites", exact: true }).waitFor();
      await page.getByRole("link", { name: OWNER.name }).click();
      await page.getByRole("heading", { name: "Your account", exact: true }).waitFor();
      await shot(page, "customer-account");

      await page.getByRole("button", { name: "Set up two-factor authentication" }).click();
      const qr = page.getByRole("img", { name: "QR code for your authenticator app" });
      await qr.waitFor();
      assert.match((await qr.getAttribute("src")) ?? "", /^data:image\/png;base64,/, "the otpauth URI is drawn as a QR code");
      const secret = (await page.getByTestId("mfa-secret").innerText()).replace(/\s/g, "");
      assert.match(secret, /^[A-Z2-7]{16,}$/, "the secret is shown in base32 for manual entry");
      await shot(page, "customer-mfa-setup");
      const confirmedAt = Date.now();
      await page.getByLabel("Authentication code").fill(totp(secret, confirmedAt));
      await page.getByRole("button", { name: "Turn on two-factor authentication" }).click();
      const codes = page.getByRole("list", { name: "Your recovery codes" });
      await codes.waitFor();
      assert.equal(await codes.getByRole("listitem").count(), 10, "ten recovery codes");
      await shot(page, "customer-mfa-recovery-codes");
      await page.getByRole("button", { name: "I have saved my recovery codes" }).click();
      await page.getByText("On", { exact: true }).waitFor();

      await page.getByRole("button", { name: "Sign out" }).click();
      await page.waitForURL(/\/sign-in/);
      await page.getByLabel("Email").fill(OWNER.email);
      await page.getByLabel("Password").fill(OWNER.password);
      await page.getByRole("button", { name: "Sign in" }).click();
      const code = page.getByLabel("Authentication code");
      await code.waitFor();
      await shot(page, "customer-sign-in-mfa");
      // A code is good once: use the next step's (accepted for clock drift), never the one just confirmed.
      await code.fill(totp(secret, Math.max(Date.now(), confirmedAt) + 30_000));
      await page.getByRole("button", { name: "Verify" }).click();
      // Signed out from the account page, signed in back to it: MFA shows as on.
      await page.getByRole("heading", { name: "Your account", exact: true }).waitFor();
      await page.getByText("On", { exact: true }).waitFor();
      await page.getByRole("link", { name: "Sites", exact: true }).click();
      await page.getByRole("heading", { name: "Your sites", exact: true }).waitFor();
    } catch (error) {
      await shot(page, "failure-customer-mfa").catch(() => undefined);
      throw new Error(`${(error as Error).message}\n${await context(page)}`);
    } finally {
      await page.close();
    }
  });

  it("admin opens the customer: history, usage, branding with a live preview, suspend and reactivate", async () => {
    const page = await browser!.newPage({ viewport: { width: 1280, height: 900 } });
    try {
      await signInAdmin(page);
      await page.getByRole("table", { name: "Customers" }).getByRole("link", { name: "Journey Shop" }).click();
      await page.getByRole("heading", { name: "Journey Shop", exact: true }).waitFor();
      await page.getByRole("progressbar", { name: "Sites" }).or(page.getByText(/Sites: /)).first().waitFor();

      // An invalid colour: the server's violation beside the field; then a valid one, previewed live.
      const primary = page.getByLabel("Primary colour");
      await primary.fill("#12345g");
      await page.getByRole("button", { name: "Save branding" }).click();
      await page.waitForFunction(() => document.querySelector("input[aria-invalid='true']") !== null);
      assert.equal(await primary.getAttribute("aria-invalid"), "true", "the colour violation is beside the colour");
      await shot(page, "admin-branding-violation");
      await page.getByLabel("Product name").fill("Journey Cloud");
      await primary.fill("#0b5d1e");
      await page.getByLabel("Font").selectOption("serif");
      await page.getByLabel("Shadow").selectOption("strong");
      const preview = page.getByTestId("branding-preview");
      await preview.getByText("Journey Cloud").waitFor();
      const previewPrimary = await preview.evaluate((el) => getComputedStyle(el).getPropertyValue("--canopy-primary").trim());
      assert.equal(previewPrimary, "#0b5d1e", "the preview is themed before saving");
      const buttonBg = await preview.getByRole("button", { name: "Create site" }).evaluate((el) => getComputedStyle(el).backgroundColor);
      assert.equal(buttonBg, "rgb(11, 93, 30)", "the preview's buttons take the new primary colour");
      await page.getByRole("button", { name: "Save branding" }).click();
      await page.getByText("Branding saved.").waitFor();
      await shot(page, "admin-customer-detail");

      // Suspend with a reason (confirmed), see it in the history, reactivate.
      await page.getByRole("button", { name: "Suspend", exact: true }).click();
      await page.getByLabel("Reason").fill("journey check");
      await shot(page, "admin-suspend-confirm");
      await page.getByRole("button", { name: "Yes, suspend Journey Shop" }).click();
      await page.getByText("Reason: journey check").waitFor();
      await page.getByRole("table", { name: "Status history" }).getByText("journey check").waitFor();
      await page.getByRole("button", { name: "Reactivate" }).click();
      await page.getByRole("button", { name: "Yes, reactivate Journey Shop" }).click();
      await page.getByRole("button", { name: "Suspend", exact: true }).waitFor();
      await page.getByRole("table", { name: "Status history" }).getByText("Suspended → Active").waitFor();
      await shot(page, "admin-customer-reactivated");
    } catch (error) {
      await shot(page, "failure-admin-detail").catch(() => undefined);
      throw new Error(`${(error as Error).message}\n${await context(page)}`);
    } finally {
      await page.close();
    }
  });
});
