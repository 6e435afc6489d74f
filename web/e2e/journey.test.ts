// The portals end to end, in the system Chromium: canopyd dev (every service,
// private PostgreSQL and Redis) ← Envoy (mesh/envoy: grpc_web, cors) ← the BUILT
// admin and customer portals, served by a static server, calling Envoy directly
// (the customer portal through a relay the test can cut, to drop a live stream).
//
// 1. An admin signs in to the dashboard, creates a customer with its owner, brands
//    it (a server violation beside an invalid colour, the live preview, a logo) and
//    gives it a custom domain, verified through a DNS TXT record this test serves.
// 2. The owner opens the customer portal on that domain (Chromium resolves it to
//    this machine) and sees the branding before signing in; accepts the invitation,
//    signs in, creates a sandbox site and watches the deployment reach ACTIVE live —
//    through a network drop mid-stream that loses and repeats no log line — sees the
//    outputs and the history, redeploys and cancels, loses the session and comes
//    back to the same page, creates an API key, and deletes the site.
//    Then keyboard only, in the default theme (the portal on a domain no customer
//    claimed): sign in, a refused create with focus on the refused field, create a
//    site, follow it, sign out.
// 3. The owner turns on two-factor authentication (the test computes the codes from
//    the secret shown, RFC 6238), signs in with a code, then with a recovery code,
//    which works once.
// 4. The admin checks the dashboard's figures, the customer (history, usage,
//    suspend and reactivate), the sites across customers and the site's history and
//    log, the users, and creates a platform API key; at phone width, the collapsed
//    header menu, a stacked table's labels and the log scrolling inside itself.
// 5. The admin reads the audit log (the customer created in 1, the platform key of 4,
//    the customer's sites), verifies the customer's chain and exports it as CSV, and
//    opens the SIEM endpoints; the owner reads their own activity and not the platform's.
// 6. The admin opens Alerts and finds the customer_suspended alert the suspension in 4
//    caused, silences it from the alert (its labels become the matchers), sees the
//    silence listed and expires it; adds a Slack receiver (a foreign host refused
//    beside the field) and a signed webhook (its secret shown once) and deletes them;
//    is told what is wrong with a routing configuration path by path; creates an
//    on-call schedule and sees who is on call.
//    The owner opens Notifications: the same alert, read only; a receiver added and deleted.
// 7. The admin writes a soft-mandatory policy; the owner's next site waits for an
//    override, which the admin gives.
// 8. The owner connects that site to a Shopify store (the local stand-in, spawned
//    here): a wrong token refused in words, the right one validated, the store
//    healthy and its token never shown again; the stand-in starts refusing the
//    credentials, the integration turns unhealthy with the cause, the alert reaches
//    the owner's notifications, and the admin finds it among unhealthy integrations.
// Every screenshot is also an accessibility check (./a11y.ts: axe-core, serious
// and critical violations fail) at both widths, 1280×900 and 390×844, whatever is
// open at the time (confirmation dialogs, the phone menu).
// Screenshots of each main page land in web/e2e/screenshots/.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type Browser, type Locator, type Page, chromium } from "playwright-core";

import { a11yStats, assertAccessible } from "./a11y.ts";
import { type DnsResponder, startDnsResponder } from "./dns-responder.ts";
import { Child, canopydPath, envoyPath, freePort, renderEnvoyConfig, repoRoot, start, waitFor } from "./processes.ts";
import { type SeverableProxy, startSeverableProxy } from "./severable-proxy.ts";
import { serveStatic } from "./static-server.ts";

const webRoot = join(repoRoot, "web");
const screenshots = join(webRoot, "e2e/screenshots");
const chromiumPath = process.env.CHROMIUM || "/usr/bin/chromium";
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };
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
/** The `after_seq` of a grpc-web WatchDeploymentRequest body (a 5-byte frame header, then
 *  field 1 the deployment id, field 2 the varint after_seq), 0 when absent. */
function watchAfterSeq(body: Buffer): number {
  let at = 5;
  while (at < body.length) {
    const tag = body[at++]!;
    if (tag === 0x0a) {
      at += 1 + body[at]!; // deployment_id: one length byte for a UUID
    } else if (tag === 0x10) {
      let value = 0;
      for (let shift = 0; ; shift += 7) {
        const byte = body[at++]!;
        value += (byte & 0x7f) * 2 ** shift;
        if (byte < 0x80) return value;
      }
    } else {
      throw new Error(`unexpected field tag ${tag} in a WatchDeploymentRequest`);
    }
  }
  return 0;
}

/** The customer's own domain; Chromium maps it to 127.0.0.1 (--host-resolver-rules). */
const PORTAL_DOMAIN = "portal.journey.test";

/** What `canopy-store-stand-in` prints: each stand-in's address and the credentials it accepts. */
interface StandInStores {
  shopify: { base_url: string; shop_domain: string; access_token: string };
  woocommerce: { base_url: string; store_url: string; consumer_key: string; consumer_secret: string };
  bigcommerce: { base_url: string; store_hash: string; access_token: string };
}

/** `$STORE_STAND_IN`, else the binary beside canopyd (cargo build -p canopy-commerce-platforms --features stand-in). */
function storeStandInPath(): string {
  return process.env.STORE_STAND_IN || join(dirname(canopydPath()), "canopy-store-stand-in");
}
const BRAND = { product: "Journey Cloud", primary: "#0b5d1e" };
const LOGO = Buffer.from(
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" rx="14" fill="#0b5d1e"/><path d="M14 46 32 14 50 46Z" fill="#fff"/></svg>',
);

describe("portals through Envoy to canopyd dev, in Chromium", { timeout: 600_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), "canopy-web-e2e-"));
  chmodSync(dir, 0o755); // the private PostgreSQL runs unprivileged when we are root
  let canopyd: Child | undefined;
  let envoy: Child | undefined;
  let dns: DnsResponder | undefined;
  let storeStandIn: Child | undefined;
  let stores: StandInStores;
  let relay: SeverableProxy | undefined;
  const servers: Server[] = [];
  let browser: Browser | undefined;
  let adminUrl = "";
  /** The customer portal on the customer's verified domain, and on a domain nobody claimed. */
  let brandedUrl = "";
  let unbrandedUrl = "";
  let admin = { email: "", password: "" };

  const snap = (page: Page, name: string) => page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: true });
  /** The page's screenshot, and the accessibility gate on it as it stands, at this
   *  width and at the other one (then back). */
  const shot = async (page: Page, name: string) => {
    await snap(page, name);
    const viewport = page.viewportSize() ?? DESKTOP;
    await assertAccessible(page, `${name} @${viewport.width}`);
    const other = viewport.width > PHONE.width ? PHONE : DESKTOP;
    await page.setViewportSize(other);
    await assertAccessible(page, `${name} @${other.width}`);
    await page.setViewportSize(viewport);
  };
  /** Whether `locator` has focus. */
  const hasFocus = (locator: Locator) => locator.evaluate((element) => element === document.activeElement);
  /** Presses Tab until `locator` has focus (at most `max` times): keyboard-only navigation. */
  const tabTo = async (page: Page, locator: Locator, what: string, max = 25) => {
    for (let i = 0; i < max; i++) {
      await page.keyboard.press("Tab");
      if (await hasFocus(locator)) return;
    }
    const at = await page.evaluate(() => document.activeElement?.outerHTML.slice(0, 200));
    throw new Error(`${max} Tabs did not reach ${what}; focus is on ${at}`);
  };

  before(async () => {
    for (const portal of ["admin", "customer"]) {
      assert.ok(existsSync(join(webRoot, portal, "dist/index.html")), `web/${portal} is not built (npm run build in web/)`);
    }
    assert.ok(existsSync(chromiumPath), `no Chromium at ${chromiumPath} (apt-get install chromium, or set CHROMIUM)`);
    const binary = canopydPath();
    assert.ok(existsSync(binary), `canopyd not built at ${binary} (cargo build -p canopyd, or set CANOPYD)`);
    mkdirSync(screenshots, { recursive: true });

    dns = await startDnsResponder();
    // Local servers speaking Shopify's, WooCommerce's and BigCommerce's APIs.
    storeStandIn = start("canopy-store-stand-in", storeStandInPath(), []);
    stores = await waitFor("the store stand-ins", storeStandIn, 30_000, () => {
      const line = storeStandIn!.stdout.split("\n").find((l) => l.startsWith("{"));
      return line ? (JSON.parse(line) as StandInStores) : undefined;
    });
    // tenancy verifies custom domains against the test's DNS server.
    canopyd = start("canopyd", binary, ["dev", "--dir", dir], {
      CANOPY_SERVICES__TENANCY__DNS_SERVER: dns.address,
      // Stores are the local stand-ins (plain http on loopback: allowed for tests only),
      // checked every 3 s so a refusal shows within the step.
      CANOPY_SERVICES__COMMERCE__SHOPIFY_BASE_URL: stores.shopify.base_url,
      CANOPY_SERVICES__COMMERCE__BIGCOMMERCE_API_URL: stores.bigcommerce.base_url,
      CANOPY_SERVICES__COMMERCE__ALLOW_HTTP: "true",
      CANOPY_SERVICES__COMMERCE__ALLOW_PRIVATE_ADDRESSES: "true",
      CANOPY_SERVICES__COMMERCE__CHECK_EVERY_SECS: "3",
      CANOPY_SERVICES__COMMERCE__UNHEALTHY_CHECK_EVERY_SECS: "3",
      CANOPY_SERVICES__COMMERCE__WORKER_POLL_MS: "500",
      // The journey does in a minute what people do in ten, all from one address: the
      // standard tier's 100 calls a minute per principal and the 20 sign-ins a minute
      // per address would throttle it (the alerts step alone reads its list again every
      // 10 s until the alert arrives). Rate limits are the gateway suite's to test.
      // (Each limit is given whole: a map entry or a limit replaces the default's.)
      CANOPY_SERVICES__GATEWAY__RATE_LIMITS__SIGN_IN__CALLS: "100",
      CANOPY_SERVICES__GATEWAY__RATE_LIMITS__SIGN_IN__WINDOW_SECS: "60",
      CANOPY_SERVICES__GATEWAY__RATE_LIMITS__TIERS__STANDARD__STANDARD__CALLS: "400",
      CANOPY_SERVICES__GATEWAY__RATE_LIMITS__TIERS__STANDARD__STANDARD__WINDOW_SECS: "60",
      CANOPY_SERVICES__GATEWAY__RATE_LIMITS__TIERS__STANDARD__DEPLOYMENT__CALLS: "10",
      CANOPY_SERVICES__GATEWAY__RATE_LIMITS__TIERS__STANDARD__DEPLOYMENT__WINDOW_SECS: "3600",
    });
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
    // The customer portal on other origins, as on the customer's own domain.
    brandedUrl = `http://${PORTAL_DOMAIN}:${customerPort}`;
    unbrandedUrl = `http://localhost:${customerPort}`;
    const gateway = new URL(`https://${endpoints.gateway}`);
    const config = join(dir, "envoy.yaml");
    renderEnvoyConfig(
      {
        EDGE_ADDRESS: "127.0.0.1",
        EDGE_PORT: String(edgePort),
        ADMIN_PORT: String(envoyAdminPort),
        CORS_ORIGIN_REGEX: `^http://(127\\.0\\.0\\.1:${adminPort}|localhost:${customerPort}|portal\\.journey\\.test:${customerPort})$`,
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
    relay = await startSeverableProxy(edgePort);
    servers.push(await serveStatic(join(webRoot, "admin/dist"), { apiBaseUrl: `http://127.0.0.1:${edgePort}` }, adminPort));
    servers.push(await serveStatic(join(webRoot, "customer/dist"), { apiBaseUrl: relay.url }, customerPort));

    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", `--host-resolver-rules=MAP ${PORTAL_DOMAIN} 127.0.0.1`],
    });
  });

  after(async () => {
    console.log(`a11y: ${a11yStats.pages} axe checks, ${Math.round(a11yStats.ms)} ms in all, ${a11yStats.reported} moderate or minor violation(s) reported`);
    await browser?.close().catch(() => undefined);
    for (const server of servers) server.close();
    await relay?.close();
    await dns?.close();
    await Promise.allSettled([envoy?.stop(), canopyd?.stop(30_000), storeStandIn?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  /** What a failing step prints: the page's own words, and the servers' last lines. */
  const context = async (page: Page) => `page ${page.url()}:\n${(await page.locator("body").innerText().catch(() => "")).slice(0, 2000)}\n${canopyd?.tail(20)}\n${envoy?.tail(10)}`;

  /** Runs `steps` on a new page; a failure leaves a screenshot and says where the page was. */
  const onPage = async (name: string, steps: (page: Page) => Promise<void>, viewport = DESKTOP) => {
    const page = await browser!.newPage({ viewport });
    try {
      await steps(page);
    } catch (error) {
      await snap(page, `failure-${name}`).catch(() => undefined);
      throw new Error(`${(error as Error).message}\n${await context(page)}`);
    } finally {
      await page.close();
    }
  };

  const signInAdmin = async (page: Page, path = "/") => {
    await page.goto(`${adminUrl}${path}`);
    await page.waitForURL(/\/sign-in\?next=/);
    await page.getByLabel("Email").fill(admin.email);
    await page.getByLabel("Password").fill(admin.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(`${adminUrl}${path}`);
  };

  const signInOwner = async (page: Page) => {
    await page.getByLabel("Email").fill(OWNER.email);
    await page.getByLabel("Password").fill(OWNER.password);
    await page.getByRole("button", { name: "Sign in" }).click();
  };

  let invitationToken = "";
  let recoveryCodes: string[] = [];

  it("admin signs in to the dashboard, creates a customer with its owner, brands it and verifies its custom domain", async () => {
    await onPage("admin", async (page) => {
      await page.goto(`${adminUrl}/`);
      await page.waitForURL(/\/sign-in\?next=/);
      await page.getByLabel("Email").fill(admin.email);
      await page.getByLabel("Password").fill(admin.password);
      await shot(page, "admin-sign-in");
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByRole("heading", { name: "Dashboard", exact: true }).waitFor();
      await page.getByText("No customers yet").waitFor();
      await shot(page, "admin-dashboard-empty");

      await page.getByRole("link", { name: "Customers", exact: true }).click();
      await page.getByRole("heading", { name: "Customers", exact: true }).waitFor();
      await page.getByRole("button", { name: "New customer" }).click();
      await page.getByLabel("Customer name").fill("Journey Shop");
      await page.getByLabel("Owner email").fill(OWNER.email);
      await page.getByLabel("Owner name").fill(OWNER.name);
      await shot(page, "admin-new-customer");
      await page.getByRole("button", { name: "Create customer" }).click();
      await page.getByText("Journey Shop was created").waitFor();
      await page.getByLabel("Search customers").fill("journey");
      await page.getByRole("button", { name: "Search" }).click();
      await page.getByRole("table", { name: "Customers" }).getByRole("link", { name: "Journey Shop" }).click();
      await page.getByRole("heading", { name: "Journey Shop", exact: true }).waitFor();

      // Branding: an invalid colour is refused beside the field; a valid one previews live.
      const primary = page.getByLabel("Primary colour");
      await primary.fill("#12345g");
      await page.getByRole("button", { name: "Save branding" }).click();
      await page.waitForFunction(() => document.querySelector("input[aria-invalid='true']") !== null);
      assert.equal(await primary.getAttribute("aria-invalid"), "true", "the colour violation is beside the colour");
      await shot(page, "admin-branding-violation");
      await page.getByLabel("Product name").fill(BRAND.product);
      await primary.fill(BRAND.primary);
      await page.getByLabel("Font").selectOption("serif");
      await page.getByLabel("Shadow").selectOption("strong");
      const preview = page.getByTestId("branding-preview");
      await preview.getByText(BRAND.product).waitFor();
      const previewPrimary = await preview.evaluate((el) => getComputedStyle(el).getPropertyValue("--canopy-primary").trim());
      assert.equal(previewPrimary, BRAND.primary, "the preview is themed before saving");
      const buttonBg = await preview.getByRole("button", { name: "Create site" }).evaluate((el) => getComputedStyle(el).backgroundColor);
      assert.equal(buttonBg, "rgb(11, 93, 30)", "the preview's buttons take the new primary colour");
      await page.getByRole("button", { name: "Save branding" }).click();
      await page.getByText("Branding saved.").waitFor();

      // A logo: bytes that are not the image they claim are refused beside the field; a real SVG is stored.
      const logo = page.getByLabel("Logo", { exact: true });
      await logo.setInputFiles({ name: "logo.png", mimeType: "image/png", buffer: LOGO });
      await page.getByRole("button", { name: "Upload logo" }).click();
      await page.waitForFunction(() => document.querySelector("input[type='file'][aria-invalid='true']") !== null);
      await logo.setInputFiles({ name: "logo.svg", mimeType: "image/svg+xml", buffer: LOGO });
      await page.getByRole("button", { name: "Upload logo" }).click();
      await page.getByText("Logo uploaded.").waitFor();
      await page.getByRole("img", { name: "Current logo" }).waitFor();
      await page.getByLabel("Favicon", { exact: true }).setInputFiles({ name: "favicon.svg", mimeType: "image/svg+xml", buffer: LOGO });
      await page.getByRole("button", { name: "Upload favicon" }).click();
      await page.getByText("Favicon uploaded.").waitFor();

      // The custom domain: verification fails until the TXT record exists, then succeeds.
      await page.getByLabel("Custom domain").fill(PORTAL_DOMAIN);
      await page.getByRole("button", { name: "Set domain" }).click();
      const record = page.getByRole("region", { name: "DNS record to create" });
      await record.waitFor();
      const [recordName, recordValue] = await record.locator("code").allInnerTexts();
      assert.ok(recordName?.includes(PORTAL_DOMAIN) && recordValue, `a TXT record to create for ${PORTAL_DOMAIN}: ${recordName} = ${recordValue}`);
      await page.getByRole("button", { name: "Verify domain" }).click();
      await page.getByRole("alert").filter({ hasText: /not|no /i }).first().waitFor();
      await shot(page, "admin-custom-domain-unverified");
      dns!.setTxt(recordName!, [recordValue!]);
      await page.getByRole("button", { name: "Verify domain" }).click();
      await page.getByText(`${PORTAL_DOMAIN} is verified`).waitFor();
      assert.ok(dns!.queries.includes(recordName!.toLowerCase()), "tenancy asked our DNS server for the record");
      await shot(page, "admin-customer-branded");
    });
    // canopyd dev "sends" mail by printing it: the invitation link is on stdout.
    invitationToken = await waitFor("invitation mail", canopyd!, 30_000, () => {
      const match = /\/invitation#token=([A-Za-z0-9_\-.~%]+)/.exec(canopyd!.stdout);
      return match?.[1];
    });
  });

  it("the owner sees the branding on the customer's domain, creates a site, follows it through a dropped stream, and deletes it", async () => {
    assert.ok(invitationToken, "the first step printed an invitation");
    await onPage("customer", async (page) => {
      // On a domain nobody verified, the portal is the platform's.
      await page.goto(`${unbrandedUrl}/sign-in`);
      await page.getByRole("heading", { name: "Sign in to Canopy" }).waitFor();

      // On the customer's domain: branded before anyone signs in.
      await page.goto(`${brandedUrl}/invitation#token=${invitationToken}`);
      await page.getByRole("heading", { name: `Welcome to ${BRAND.product}` }).waitFor();
      assert.equal(await page.title(), BRAND.product, "the page title is the product name");
      const rootPrimary = await page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue("--canopy-primary").trim());
      assert.equal(rootPrimary, BRAND.primary, "the customer's colour themes the portal");
      const favicon = await page.locator("link[rel~='icon']").getAttribute("href");
      assert.match(favicon ?? "", /^blob:/, "the customer's favicon replaces the default");
      await page.getByLabel("New password").fill(OWNER.password);
      await page.getByLabel("Repeat the password").fill(OWNER.password);
      await shot(page, "customer-invitation-branded");
      await page.getByRole("button", { name: "Set password" }).click();
      await page.getByText("Your password is set.").waitFor();
      assert.equal(new URL(page.url()).hash, "", "the used token is removed from the address bar");
      await page.getByRole("link", { name: "Continue to sign in" }).click();
      await page.getByRole("heading", { name: `Sign in to ${BRAND.product}` }).waitFor();
      await page.getByRole("img", { name: `${BRAND.product} logo` }).waitFor();
      const signIn = await page.getByRole("button", { name: "Sign in" }).evaluate((el) => getComputedStyle(el).backgroundColor);
      assert.equal(signIn, "rgb(11, 93, 30)", "the sign-in button has the customer's colour");
      await page.getByLabel("Email").fill(OWNER.email);
      await page.getByLabel("Password").fill(OWNER.password);
      await shot(page, "customer-sign-in-branded");
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
      // What the site will cost shows before it is created (EstimateSite), and is
      // priced again when the size changes.
      const estimate = page.getByRole("region", { name: "Estimated cost" });
      await estimate.getByText("a month", { exact: true }).waitFor({ timeout: 30_000 });
      await estimate.getByText(/^List prices of /).waitFor();
      const monthly = () => estimate.locator("strong").first().innerText();
      const small = await monthly();
      assert.match(small, /\d/, `the estimate shows a monthly amount (${small})`);
      await page.getByLabel("Size").selectOption({ label: "Large" });
      await page.waitForFunction(
        ([element, before]) => (element as HTMLElement).querySelector("strong")?.textContent !== before,
        [await estimate.elementHandle(), small] as const,
        { timeout: 30_000 },
      );
      assert.notEqual(await monthly(), small, "a larger size is priced again");
      await page.getByLabel("Size").selectOption({ label: "Small" });
      await shot(page, "customer-new-site-estimate");
      await page.getByRole("button", { name: "Create site" }).click();
      const nameField = page.getByLabel("Site name");
      await page.waitForFunction(() => document.querySelector("input[aria-invalid='true']") !== null);
      assert.equal(await nameField.getAttribute("aria-invalid"), "true", "the name violation is beside the name field");
      await shot(page, "customer-new-site-violation");
      // Site detail: the CREATE deployment streams live. Mid-stream the network
      // drops (every connection through the relay is cut); the log resumes after
      // the last line it had, so nothing is lost or shown twice. (Listening before
      // the click: the first watch may start before the click's reply arrives.)
      const watches: number[] = [];
      page.on("request", (request) => {
        if (request.url().endsWith("/canopy.sites.v1.SiteService/WatchDeployment")) watches.push(watchAfterSeq(request.postDataBuffer() ?? Buffer.alloc(0)));
      });
      await nameField.fill("journey-shop");
      await page.getByRole("button", { name: "Create site" }).click();
      await page.waitForURL(/\/sites\/[0-9a-f-]+$/);
      const deployment = page.getByRole("region", { name: "Creating the site" });
      await deployment.waitFor();
      const log = page.getByLabel("Deployment log");
      await page.waitForFunction(() => (document.querySelector("[aria-label='Deployment log']")?.textContent ?? "").split("\n").filter(Boolean).length >= 3);
      assert.equal(await deployment.getByText("Succeeded", { exact: true }).count(), 0, "the drop comes while the deployment runs");
      const connectionsBefore = relay!.connections();
      const severed = relay!.sever();
      assert.ok(severed >= 1, "the live stream was cut");
      await deployment.getByText("Succeeded", { exact: true }).waitFor({ timeout: 120_000 });
      assert.ok(relay!.connections() > connectionsBefore, "the portal reconnected after the drop");
      assert.equal(watches[0], 0, "the first watch starts at the beginning");
      assert.ok(watches.slice(1).some((after) => after >= 3), `the watch resumed after the lines it had (after_seq of each watch: ${watches.join(", ")})`);
      await page.getByRole("heading", { name: "journey-shop", exact: true }).locator("..").getByText("Active", { exact: true }).waitFor({ timeout: 30_000 });
      const resumed = await log.innerText();
      const lines = resumed.split("\n").filter(Boolean);
      assert.ok(lines.length >= 3 && !resumed.includes("Waiting for the first log line"), `the deployment log streamed:\n${resumed}`);
      assert.equal(new Set(lines).size, lines.length, `no log line twice:\n${resumed}`);
      // The whole log read afresh is exactly what the resumed stream showed.
      await page.reload();
      await page.getByRole("region", { name: "Creating the site" }).getByText("Succeeded", { exact: true }).waitFor();
      assert.equal(await page.getByLabel("Deployment log").innerText(), resumed, "the resumed log lost and repeated nothing");
      const outputs = page.getByLabel("Site outputs");
      await outputs.waitFor();
      assert.match(await outputs.innerText(), /URL/);
      await page.getByRole("table", { name: "Deployment history" }).getByText("Succeeded").first().waitFor();
      await shot(page, "customer-site-active");
      const siteUrl = page.url();

      // The site's Costs page: its sandbox costs, marked simulated, drawn as a chart
      // (an SVG) with the same figures as a table, and the three layers.
      await page.getByRole("navigation", { name: "Site pages" }).getByRole("link", { name: "Costs", exact: true }).click();
      await page.waitForURL(/\/sites\/[0-9a-f-]+\/costs$/);
      const trend = page.getByRole("figure", { name: /^Daily cost/ });
      await trend.locator("svg").first().waitFor({ timeout: 60_000 });
      assert.equal(await trend.getByRole("table").count(), 1, "the chart's figures as a table");
      // The sandbox collector runs every 10 s and backfills a new site's history; the
      // page shows what was collected when it loaded, so look again until it is there.
      const simulated = page.getByText("Simulated costs", { exact: true });
      for (let tries = 0; !(await simulated.isVisible()); tries++) {
        assert.ok(tries < 12, "the sandbox site's simulated costs appear within a minute");
        await page.waitForTimeout(5_000);
        await page.reload();
        await trend.locator("svg").first().waitFor({ timeout: 30_000 });
      }
      const layers = page.getByRole("list", { name: "Cost layers this month" });
      for (const layer of ["Estimated", "Accrued", "Invoiced"]) await layers.getByRole("listitem", { name: layer }).waitFor();
      await shot(page, "customer-site-costs");
      await page.setViewportSize(PHONE);
      await trend.locator("svg").first().waitFor();
      // (Once the chart has measured its new width.)
      await page.waitForFunction(() => document.documentElement.scrollWidth <= window.innerWidth, undefined, { timeout: 10_000 }).catch(async () => {
        throw new Error(`at phone width the cost page scrolls sideways (${await page.evaluate(() => document.documentElement.scrollWidth)} px wide)`);
      });
      await page.setViewportSize(DESKTOP);
      await page.goto(siteUrl);
      await page.getByLabel("Site outputs").waitFor();

      // Redeploy, then cancel it while it runs.
      await page.getByRole("button", { name: "Redeploy" }).click();
      const redeploy = page.getByRole("region", { name: "Redeploying" });
      await redeploy.waitFor();
      await page.getByRole("button", { name: "Cancel deployment" }).click();
      await page.getByRole("button", { name: "Yes, cancel the deployment" }).click();
      await redeploy.getByText("Cancelled", { exact: true }).waitFor({ timeout: 60_000 });
      await page.getByRole("table", { name: "Deployment history" }).getByText("Cancelled").first().waitFor();
      await shot(page, "customer-deployment-cancelled");

      // At phone width the dashboard still reads.
      await page.getByRole("link", { name: "Sites", exact: true }).click();
      await page.getByRole("table", { name: "Sites" }).getByRole("link", { name: "journey-shop" }).waitFor();
      await page.setViewportSize({ width: 390, height: 844 });
      await shot(page, "customer-dashboard-phone");
      await page.setViewportSize({ width: 1280, height: 900 });

      // An expired session: both tokens refused → sign-in → back to the same page.
      await page.goto(siteUrl);
      await page.getByLabel("Site outputs").waitFor();
      await page.evaluate(() => sessionStorage.setItem("canopy.customer.session", JSON.stringify({ accessToken: "expired", refreshToken: "expired" })));
      await page.reload();
      await page.waitForURL(/\/sign-in\?next=/);
      assert.equal(new URL(page.url()).searchParams.get("next"), new URL(siteUrl).pathname);
      await signInOwner(page);
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
      await page.getByRole("link", { name: "Sites", exact: true }).click();
      await page.getByText("No sites yet").waitFor();
    });
  });

  it("keyboard only, in the default theme: sign in, a refused create with focus on the refused field, create a site, follow it, sign out", async () => {
    await onPage("keyboard", async (page) => {
      // The portal on a domain nobody verified: tenancy's default branding.
      await page.goto(`${unbrandedUrl}/sign-in`);
      await page.getByRole("heading", { name: "Sign in to Canopy" }).waitFor();
      const header = await page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue("--canopy-secondary").trim());
      assert.equal(header, "#057a55", "tenancy's default header colour");

      // The first Tab is the skip link, which moves focus to the main content.
      await page.keyboard.press("Tab");
      assert.ok(await hasFocus(page.getByRole("link", { name: "Skip to main content" })), "first Tab: the skip link");
      await page.keyboard.press("Enter");
      assert.ok(await hasFocus(page.getByRole("main")), "the skip link moves focus to main");
      await tabTo(page, page.getByLabel("Email"), "the email field", 3);
      await page.keyboard.type(OWNER.email);
      await page.keyboard.press("Tab");
      assert.ok(await hasFocus(page.getByLabel("Password")), "Tab: the password field");
      await page.keyboard.type(OWNER.password);
      await shot(page, "keyboard-sign-in-default-theme");
      await page.keyboard.press("Enter");
      await page.getByRole("heading", { name: "Your sites", exact: true }).waitFor();
      await shot(page, "keyboard-dashboard-default-theme");

      // New site: a name the server refuses.
      await page.keyboard.press("Tab");
      assert.ok(await hasFocus(page.getByRole("link", { name: "Skip to main content" })), "a new page starts at the skip link");
      await page.keyboard.press("Enter");
      await tabTo(page, page.getByRole("button", { name: "New site" }).first(), "New site");
      await page.keyboard.press("Enter");
      const name = page.getByLabel("Site name");
      await name.waitFor();
      await tabTo(page, name, "the site name");
      await page.keyboard.type("Not A Valid Name!");
      await page.keyboard.press("Tab");
      const provider = page.getByLabel("Cloud provider");
      assert.ok(await hasFocus(provider), "Tab: the provider");
      await page.keyboard.type("DigitalOcean");
      assert.equal(await provider.evaluate((select: HTMLSelectElement) => select.selectedOptions[0]?.textContent), "DigitalOcean", "typing picks the provider");
      const region = page.getByLabel("Region");
      await region.locator("option[value='ams3']").waitFor({ state: "attached" });
      // Tab skips a disabled select: wait until the regions have loaded.
      await page.waitForFunction((select) => !(select as HTMLSelectElement).disabled, await region.elementHandle());
      await page.keyboard.press("Tab");
      assert.ok(await hasFocus(region), "Tab: the region, once the provider's regions are there");
      await page.keyboard.type("Amsterdam");
      assert.equal(await region.inputValue(), "ams3");
      // Size, database, storage, image, port.
      await tabTo(page, page.getByLabel("Port"), "the port", 5);
      await page.keyboard.press("Enter");
      await page.waitForFunction(() => document.querySelector("input[aria-invalid='true']") !== null);
      assert.equal(await name.getAttribute("aria-invalid"), "true", "the name is refused");
      assert.ok(await hasFocus(name), "focus is on the refused field, not lost to <body>");
      await shot(page, "keyboard-new-site-refused");

      // Fix the name where focus already is, and submit with Enter.
      await page.keyboard.press("ControlOrMeta+A");
      await page.keyboard.type("keyboard-shop");
      await page.keyboard.press("Enter");
      await page.waitForURL(/\/sites\/[0-9a-f-]+$/);
      // Follow it: the log is reached by keyboard and the deployment finishes.
      const creating = page.getByRole("region", { name: "Creating the site" });
      await creating.waitFor();
      const log = page.getByLabel("Deployment log");
      await tabTo(page, log, "the deployment log", 40);
      await creating.getByText("Succeeded", { exact: true }).waitFor({ timeout: 120_000 });
      await shot(page, "keyboard-site-default-theme");

      // Sign out from the top bar.
      await tabTo(page, page.getByRole("button", { name: "Sign out" }), "Sign out", 40);
      await page.keyboard.press("Enter");
      await page.waitForURL(/\/sign-in/);
      await page.getByRole("heading", { name: "Sign in to Canopy" }).waitFor();
      await page.keyboard.press("Tab");
      assert.ok(await hasFocus(page.getByRole("link", { name: "Skip to main content" })), "signed out: the sign-in page starts at the skip link");
    });
  });

  it("the owner creates an API key, turns on two-factor authentication, and signs in with a code and with a recovery code", async () => {
    await onPage("customer-account", async (page) => {
      await page.goto(`${brandedUrl}/sign-in`);
      await signInOwner(page);
      await page.getByRole("heading", { name: "Your sites", exact: true }).waitFor();
      await page.getByRole("link", { name: OWNER.name }).click();
      await page.getByRole("heading", { name: "Your account", exact: true }).waitFor();

      // An API key: the secret is shown once.
      await page.getByLabel("Key name").fill("journey deploys");
      await page.getByRole("button", { name: "Create API key" }).click();
      const fresh = page.getByRole("region", { name: "New API key" });
      const secret = await fresh.getByLabel("Secret").inputValue();
      assert.match(secret, /^cnp_/, "an API key secret");
      await shot(page, "customer-api-key-created");
      await fresh.getByRole("button", { name: "I have copied the secret" }).click();
      await page.getByRole("table", { name: "API keys" }).getByText("journey deploys").waitFor();
      assert.equal(await page.getByText(secret).count(), 0, "the secret is gone once dismissed");
      await shot(page, "customer-account");

      await page.getByRole("button", { name: "Set up two-factor authentication" }).click();
      const qr = page.getByRole("img", { name: "QR code for your authenticator app" });
      await qr.waitFor();
      assert.match((await qr.getAttribute("src")) ?? "", /^data:image\/png;base64,/, "the otpauth URI is drawn as a QR code");
      const mfaSecret = (await page.getByTestId("mfa-secret").innerText()).replace(/\s/g, "");
      assert.match(mfaSecret, /^[A-Z2-7]{16,}$/, "the secret is shown in base32 for manual entry");
      await shot(page, "customer-mfa-setup");
      const confirmedAt = Date.now();
      await page.getByLabel("Authentication code").fill(totp(mfaSecret, confirmedAt));
      await page.getByRole("button", { name: "Turn on two-factor authentication" }).click();
      const codes = page.getByRole("list", { name: "Your recovery codes" });
      await codes.waitFor();
      recoveryCodes = (await codes.getByRole("listitem").allInnerTexts()).map((c) => c.trim());
      assert.equal(recoveryCodes.length, 10, "ten recovery codes");
      await shot(page, "customer-mfa-recovery-codes");
      await page.getByRole("button", { name: "I have saved my recovery codes" }).click();
      await page.getByText("On", { exact: true }).waitFor();

      // Signing in now takes a code: first from the authenticator.
      await page.getByRole("button", { name: "Sign out" }).click();
      await page.waitForURL(/\/sign-in/);
      await signInOwner(page);
      const code = page.getByLabel("Authentication code");
      await code.waitFor();
      await shot(page, "customer-sign-in-mfa");
      // A code is good once: use the next step's (accepted for clock drift), never the one just confirmed.
      await code.fill(totp(mfaSecret, Math.max(Date.now(), confirmedAt) + 30_000));
      await page.getByRole("button", { name: "Verify" }).click();
      // Signed out from the account page, signed in back to it: MFA shows as on.
      await page.getByRole("heading", { name: "Your account", exact: true }).waitFor();
      await page.getByText("On", { exact: true }).waitFor();

      // Then with a recovery code, which works once.
      for (const attempt of ["first", "again"]) {
        await page.getByRole("button", { name: "Sign out" }).click();
        await page.waitForURL(/\/sign-in/);
        await signInOwner(page);
        await page.getByRole("button", { name: "Use a recovery code instead" }).click();
        await page.getByLabel("Recovery code").fill(recoveryCodes[0]!);
        await page.getByRole("button", { name: "Verify" }).click();
        if (attempt === "first") {
          await page.getByRole("heading", { name: "Your account", exact: true }).waitFor();
        } else {
          await page.getByRole("alert").first().waitFor();
          await shot(page, "customer-recovery-code-reused");
          assert.equal(await page.getByRole("heading", { name: "Your account", exact: true }).count(), 0, "a used recovery code does not sign in");
        }
      }
    });
  });

  it("admin sees the figures, the customer, the sites across customers with a site's history and log, the users, and API keys", async () => {
    await onPage("admin-review", async (page) => {
      await signInAdmin(page);
      await page.getByRole("heading", { name: "Dashboard", exact: true }).waitFor();
      const customers = page.getByRole("list", { name: "Customers by status" });
      await customers.getByRole("link", { name: "1 Active" }).waitFor();
      const deployments = page.getByRole("list", { name: "Deployments today by status" });
      await deployments.getByText("Cancelled").waitFor();
      await deployments.getByText("Succeeded").waitFor();
      await page.getByRole("heading", { name: "Costs this month" }).waitFor();
      await shot(page, "admin-dashboard");

      // Costs: the accounts (a collection queued now), then the dashboard's charts.
      await page.getByRole("link", { name: "Costs", exact: true }).click();
      await page.getByRole("heading", { name: "Costs", exact: true }).waitFor();
      await page.getByRole("navigation", { name: "Costs" }).getByRole("link", { name: "Accounts" }).click();
      await page.getByRole("heading", { name: "Cost accounts", exact: true }).waitFor();
      const accountsTable = page.getByRole("table", { name: "Cost accounts" });
      await accountsTable.or(page.getByText("No cost accounts")).first().waitFor({ timeout: 30_000 });
      if (await accountsTable.isVisible()) {
        await page.getByRole("button", { name: "Collect now" }).click();
        await page.getByText(/^Queued: /).waitFor({ timeout: 30_000 });
        await page.getByRole("table", { name: "Collection runs" }).waitFor({ timeout: 30_000 });
      }
      await shot(page, "admin-cost-accounts");
      await page.getByRole("navigation", { name: "Costs" }).getByRole("link", { name: "Cost dashboard" }).click();
      await page.waitForURL(`${adminUrl}/costs`);
      const spend = page.getByRole("figure", { name: /^Spend over time by provider/ });
      await spend.locator("svg").first().waitFor({ timeout: 60_000 });
      assert.equal(await spend.getByRole("table").count(), 1, "the spend chart's figures as a table");
      // The forecast: a chart, or why there is none yet.
      await page.getByRole("figure", { name: "This month and the next three" }).or(page.getByText("No forecast yet")).first().waitFor({ timeout: 30_000 });
      await page.getByRole("heading", { name: "Budgets" }).waitFor();
      await page.getByRole("button", { name: "Export CSV" }).waitFor();
      await page.getByLabel("Period", { exact: true }).selectOption({ label: "Last 90 days" });
      await page.waitForURL(/\/costs\?period=90d$/);
      await spend.locator("svg").first().waitFor({ timeout: 30_000 });
      await shot(page, "admin-costs");

      await page.getByRole("link", { name: "Customers", exact: true }).click();
      await page.getByRole("table", { name: "Customers" }).getByRole("link", { name: "Journey Shop" }).click();
      await page.getByRole("heading", { name: "Journey Shop", exact: true }).waitFor();
      await page.getByRole("table", { name: "Status history" }).getByText("Created", { exact: true }).first().waitFor();
      await page.getByRole("table", { name: "Customer users" }).getByText(OWNER.email).waitFor();
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

      // Sites across customers, the deleted one included; its history and log.
      await page.getByRole("link", { name: "Sites", exact: true }).click();
      await page.getByRole("heading", { name: "Sites", exact: true }).waitFor();
      await page.getByLabel("Include deleted sites").check();
      const sites = page.getByRole("table", { name: "Sites" });
      await sites.getByRole("link", { name: "journey-shop" }).waitFor();
      await sites.getByText("Journey Shop").first().waitFor();
      await shot(page, "admin-sites");
      await sites.getByRole("link", { name: "journey-shop" }).click();
      const history = page.getByRole("table", { name: "Deployment history" });
      // Counted once the rows are there, not the moment the table appears.
      await history.locator("tbody tr").nth(2).waitFor();
      assert.equal(await history.locator("tbody tr").count(), 3, "create, the cancelled redeploy, delete");
      await page.getByLabel("Deployment log").first().waitFor();
      await shot(page, "admin-site-detail");

      await page.getByRole("link", { name: "Users", exact: true }).click();
      await page.getByLabel("Search users").fill("journey");
      await page.getByRole("button", { name: "Search" }).click();
      await page.getByRole("table", { name: "Users" }).getByText(OWNER.email).waitFor();
      await shot(page, "admin-users");

      await page.getByRole("link", { name: "API keys", exact: true }).click();
      await page.getByRole("heading", { name: "API keys", exact: true }).waitFor();
      await page.getByLabel("Key name").fill("journey automation");
      await page.getByRole("button", { name: "Create API key" }).click();
      assert.match(await page.getByRole("region", { name: "New API key" }).getByLabel("Secret").inputValue(), /^cnp_/);
      await shot(page, "admin-api-keys");

      // At phone width the header collapses into a Menu button; it opens over the page.
      await page.setViewportSize(PHONE);
      const menu = page.getByRole("button", { name: "Menu" });
      const dashboardLink = page.getByRole("link", { name: "Dashboard", exact: true });
      assert.equal(await menu.getAttribute("aria-expanded"), "false");
      assert.equal(await dashboardLink.isVisible(), false, "the links are behind the menu");
      const headerHeight = await page.getByRole("banner").evaluate((header) => header.getBoundingClientRect().height);
      assert.ok(headerHeight < 80, `the collapsed header is one row (${headerHeight}px)`);
      await page.getByRole("banner").screenshot({ path: join(screenshots, "admin-header-phone.png") });
      await menu.click();
      assert.equal(await menu.getAttribute("aria-expanded"), "true");
      await dashboardLink.waitFor();
      await page.getByRole("banner").screenshot({ path: join(screenshots, "admin-header-phone-menu-open.png") });
      await shot(page, "admin-menu-open-phone");
      await dashboardLink.click();
      assert.equal(await menu.getAttribute("aria-expanded"), "false", "following a link closes the menu");
      await page.getByRole("list", { name: "Sites by status" }).or(page.getByText("No sites yet")).first().waitFor();
      await shot(page, "admin-dashboard-phone");

      // A table stacked into cards keeps its column names beside the values.
      await page.goto(`${adminUrl}/sites?deleted=1`);
      const stacked = page.getByRole("table", { name: "Sites" });
      await stacked.getByRole("link", { name: "journey-shop" }).waitFor();
      const labels = await stacked.locator("tbody tr").first().locator("td").evaluateAll((cells) =>
        cells.map((cell) => [getComputedStyle(cell).display, getComputedStyle(cell, "::before").content]),
      );
      assert.deepEqual(
        labels,
        ["Name", "Customer", "Provider", "Region", "Status", "Created"].map((label) => ["block", `"${label}"`]),
        "each stacked cell shows its column's name",
      );
      await shot(page, "admin-sites-phone");

      // The deployment log scrolls sideways inside itself; the page does not.
      await stacked.getByRole("link", { name: "journey-shop" }).click();
      const siteLog = page.getByLabel("Deployment log").first();
      await siteLog.waitFor();
      await page.waitForFunction(() => (document.querySelector("[aria-label='Deployment log']")?.textContent ?? "").includes("\n"));
      const fit = await siteLog.evaluate((log) => ({
        whiteSpace: getComputedStyle(log).whiteSpace,
        overflowX: getComputedStyle(log).overflowX,
        logFits: log.getBoundingClientRect().right <= window.innerWidth,
        pageWidth: document.documentElement.scrollWidth,
      }));
      assert.deepEqual(fit, { whiteSpace: "pre", overflowX: "auto", logFits: true, pageWidth: PHONE.width }, "long log lines scroll inside the log");
      await siteLog.scrollIntoViewIfNeeded();
      await snap(page, "admin-site-log-phone");
      await shot(page, "admin-site-detail-phone");
    });
  });

  it("admin reads the audit log: the customer it created, the customer's sites, its chain verified and exported as CSV; SIEM endpoints", async () => {
    await onPage("admin-audit", async (page) => {
      await signInAdmin(page);
      await page.getByRole("link", { name: "Audit log", exact: true }).click();
      await page.getByRole("heading", { name: "Audit log", exact: true }).waitFor();
      const events = page.getByRole("table", { name: "Audit events" });

      // The customer the first step created, found by its action across every chain.
      await page.getByLabel("Action starts with").fill("/canopy.tenancy.v1.CustomerService/CreateCustomer");
      await page.getByRole("button", { name: "Apply" }).click();
      await events.getByText("CustomerService.CreateCustomer", { exact: true }).first().waitFor();
      await events.getByRole("button", { name: /^Details of CustomerService\.CreateCustomer/ }).first().click();
      const details = page.getByRole("region", { name: /^Details of event/ });
      await details.getByLabel("Request summary").getByText("Journey Shop").waitFor();
      await shot(page, "admin-audit");

      // The platform key the review step created is in the platform's chain (records
      // arrive within a second or so): the owner must not see it later.
      await page.getByLabel("Platform only").check();
      await page.getByLabel("Action starts with").fill("/canopy.identity.v1.ApiKeyService/CreateApiKey");
      await page.getByRole("button", { name: "Apply" }).click();
      await events.getByText("ApiKeyService.CreateApiKey", { exact: true }).first().waitFor();
      assert.match(page.url(), /platform=1/, "the filters are in the URL");

      // The customer's chain: its two sites' creation; verified; exported as CSV.
      await page.getByLabel("Customer").selectOption({ label: "Journey Shop" });
      assert.equal(await page.getByLabel("Platform only").isChecked(), false, "choosing a customer leaves the platform's chain");
      // The refused attempts (a bad name) are recorded too, with their outcome: only those that went through.
      await page.getByLabel("Outcome").selectOption("OK");
      await page.getByLabel("Action starts with").fill("/canopy.sites.v1.SiteService/CreateSite");
      await page.getByRole("button", { name: "Apply" }).click();
      await events.getByText("SiteService.CreateSite", { exact: true }).nth(1).waitFor();
      assert.equal(await events.getByText("SiteService.CreateSite", { exact: true }).count(), 2, "journey-shop and keyboard-shop");
      await page.getByRole("button", { name: "Verify Journey Shop's chain" }).click();
      await page.getByRole("region", { name: "Verify" }).getByText(/^Verified \d+ entries, \d+ checkpoints?/).waitFor();
      await page.getByLabel("Export format").selectOption({ label: "CSV" });
      const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Export", exact: true }).click()]);
      assert.match(download.suggestedFilename(), /^audit-[0-9a-f-]{36}-\d{8}-\d{4}\.csv$/);
      const csv = readFileSync((await download.path())!, "utf8");
      assert.match(csv, /\/canopy\.sites\.v1\.SiteService\/CreateSite/, "the export holds the filtered action");
      assert.doesNotMatch(csv, /CreateCustomer|CreateApiKey/, "and only what the filters match");
      await page.getByText(/^Saved audit-.*\.csv/).waitFor();
      await shot(page, "admin-audit-verified");

      await page.getByRole("link", { name: "SIEM endpoints" }).click();
      await page.getByRole("heading", { name: "SIEM endpoints", exact: true }).waitFor();
      await page.getByText("No SIEM endpoints").waitFor();
      await page.getByRole("button", { name: "Add endpoint" }).click();
      await page.waitForFunction(() => document.querySelector("input[aria-invalid='true']") !== null);
      await shot(page, "admin-siem");
    });
  });

  it("the owner sees their own activity, and not the platform's", async () => {
    await onPage("customer-activity", async (page) => {
      await page.goto(`${brandedUrl}/sign-in`);
      await signInOwner(page);
      // Two-factor authentication is on since the account step: the next recovery code.
      await page.getByRole("button", { name: "Use a recovery code instead" }).click();
      await page.getByLabel("Recovery code").fill(recoveryCodes[1]!);
      await page.getByRole("button", { name: "Verify" }).click();
      await page.getByRole("heading", { name: "Your sites", exact: true }).waitFor();
      await page.getByRole("link", { name: "Activity", exact: true }).click();
      await page.getByRole("heading", { name: "Activity", exact: true }).waitFor();
      const events = page.getByRole("table", { name: "Audit events" });
      await events.locator("tbody tr").first().waitFor();

      await page.getByLabel("Outcome").selectOption("OK");
      await page.getByLabel("Action starts with").fill("/canopy.sites.v1.SiteService/CreateSite");
      await page.getByRole("button", { name: "Apply" }).click();
      await events.getByText("SiteService.CreateSite", { exact: true }).nth(1).waitFor();
      assert.equal(await events.getByText("SiteService.CreateSite", { exact: true }).count(), 2, "their two sites");
      await events.getByRole("button", { name: /^Details of SiteService\.CreateSite/ }).last().click();
      await page.getByRole("region", { name: /^Details of event/ }).getByLabel("Request summary").getByText("journey-shop").waitFor();
      await shot(page, "customer-activity");

      // Their own API key is there; the platform key the admin made (seen in the
      // platform's chain above) is not.
      await page.getByLabel("Action starts with").fill("/canopy.identity.v1.ApiKeyService/CreateApiKey");
      await page.getByRole("button", { name: "Apply" }).click();
      await events.getByText("ApiKeyService.CreateApiKey", { exact: true }).first().waitFor();
      assert.equal(await events.locator("tbody tr").count(), 1, "one key creation: the owner's");
      await events.getByRole("button", { name: /^Details of ApiKeyService\.CreateApiKey/ }).click();
      const summary = page.getByRole("region", { name: /^Details of event/ }).getByLabel("Request summary");
      await summary.getByText("journey deploys").waitFor();
      assert.equal(await page.getByText("journey automation").count(), 0, "the platform's key is not in the owner's trail");

      await page.getByRole("button", { name: "Verify your activity" }).click();
      await page.getByRole("region", { name: "Verify" }).getByText(/^Verified \d+ entries/).waitFor();
    });
  });

  it("admin finds the suspension's alert, silences it from the alert and expires the silence, adds and deletes a receiver; the owner opens Notifications", async () => {
    await onPage("admin-alerts", async (page) => {
      await signInAdmin(page);
      await page.getByRole("banner").getByRole("link", { name: "Alerts", exact: true }).click();
      await page.getByRole("heading", { name: "Alerts", exact: true }).waitFor();
      // The review step suspended and reactivated Journey Shop: tenancy published
      // customer_suspended, then its resolution, through its event outbox.
      await page.getByLabel("State").selectOption({ label: "Firing and resolved" });
      await page.getByLabel("Alert name").fill("customer_suspended");
      await page.getByRole("button", { name: "Search" }).click();
      await page.waitForURL(/alertname=customer_suspended/);
      assert.match(page.url(), /state=any/, "the filters are in the URL");
      const alertsTable = page.getByRole("table", { name: "Alerts" });
      // The outbox ships within seconds; a page shows what it read, so read it again
      // until the alert is there — every 10 s at most: on a loaded machine the wait can
      // last a minute, and the steps after it must stay inside the gateway's rate limit
      // (100 standard calls a minute).
      let readAt = Date.now();
      await waitFor("the customer_suspended alert", canopyd!, 60_000, async () => {
        await alertsTable.or(page.getByText("No alerts match")).first().waitFor();
        if ((await alertsTable.count()) > 0) return true;
        if (Date.now() - readAt >= 10_000) {
          await page.reload();
          readAt = Date.now();
        }
        return undefined;
      });
      const alertRow = alertsTable.locator("tbody tr").filter({ hasText: "customer_suspended" }).first();
      await alertRow.getByRole("link", { name: "Journey Shop" }).waitFor();
      await alertRow.getByText(/^(Firing|Resolved)$/).waitFor();
      await shot(page, "admin-alerts");

      // "Silence" on the alert: the silence form carries one matcher per label.
      await alertRow.getByRole("link", { name: "Silence customer_suspended" }).click();
      await page.getByRole("heading", { level: 1, name: "Silences", exact: true }).waitFor();
      const matchers = await page.getByLabel("Matchers").inputValue();
      assert.match(matchers, /^alertname="customer_suspended"$/m, `the alert's name is a matcher:\n${matchers}`);
      assert.match(matchers, /^customer_id="[0-9a-f-]{36}"$/m, `the alert's customer is a matcher:\n${matchers}`);
      await page.getByLabel("Comment").fill("journey: suspended on purpose");
      await page.getByRole("button", { name: "Create silence" }).click();
      await page.getByText("The silence was created.").waitFor();
      const silences = page.getByRole("table", { name: "Silences" });
      const silenceRow = silences.locator("tbody tr").filter({ hasText: "journey: suspended on purpose" });
      await silenceRow.getByText("Active", { exact: true }).waitFor();
      await silenceRow.getByText('alertname="customer_suspended"').waitFor();
      await shot(page, "admin-silences");
      await silenceRow.getByRole("button", { name: "Expire silence: journey: suspended on purpose" }).click();
      await page.getByRole("alertdialog", { name: "Expire this silence?" }).waitFor();
      await shot(page, "admin-silence-expire-confirm");
      await page.getByRole("button", { name: "Yes, expire the silence" }).click();
      await page.getByText("The silence was expired").waitFor();
      await silenceRow.getByText("Expired", { exact: true }).waitFor();

      // A platform receiver: a Slack URL on another host is refused beside the field;
      // a hooks.slack.com one is stored (nothing routes to it, so it is never called).
      const sections = page.getByRole("navigation", { name: "Alerting" });
      await sections.getByRole("link", { name: "Receivers" }).click();
      await page.getByRole("heading", { level: 1, name: "Receivers", exact: true }).waitFor();
      await page.getByText("No receivers").waitFor();
      await page.getByLabel("Receiver name").fill("journey-slack");
      const slackUrl = page.getByLabel("Slack webhook URL");
      await slackUrl.fill("https://example.com/not-slack");
      await page.getByRole("button", { name: "Add receiver" }).click();
      await page.waitForFunction(() => document.querySelector("input[aria-invalid='true']") !== null);
      assert.equal(await slackUrl.getAttribute("aria-invalid"), "true", "the URL's violation is beside the URL");
      await shot(page, "admin-receiver-violation");
      await slackUrl.fill("https://hooks.slack.com/services/T0JOURNEY/B0JOURNEY/journeysecret");
      await page.getByRole("button", { name: "Add receiver" }).click();
      await page.getByText("journey-slack was added.").waitFor();
      const receivers = page.getByRole("table", { name: "Receivers" });
      await receivers.getByText("hooks.slack.com (incoming webhook)").waitFor();
      assert.equal(await receivers.getByText(/journeysecret/).count(), 0, "the Slack URL's secret path is not shown");
      await shot(page, "admin-receivers");
      await receivers.getByRole("button", { name: "Delete journey-slack" }).click();
      await page.getByRole("button", { name: "Yes, delete the receiver" }).click();
      await page.getByText("journey-slack was deleted").waitFor();
      await page.getByText("No receivers").waitFor();
      // A signed webhook: its signing secret is shown once, and gone once dismissed.
      await page.getByLabel("Receiver name").fill("journey-hook");
      await page.getByLabel("Kind").selectOption({ label: "Signed webhook" });
      await page.getByLabel("Webhook URL").fill("https://example.com/journey-hook");
      await page.getByRole("button", { name: "Add receiver" }).click();
      const newReceiver = page.getByRole("region", { name: "New receiver" });
      assert.match(await newReceiver.getByLabel("Signing secret").inputValue(), /^whsec_/);
      await shot(page, "admin-receiver-secret");
      await newReceiver.getByRole("button", { name: "I have copied the secret" }).click();
      assert.equal(await page.locator("input[value^='whsec_']").count(), 0, "the secret is gone once dismissed");
      await receivers.getByRole("button", { name: "Delete journey-hook" }).click();
      await page.getByRole("button", { name: "Yes, delete the receiver" }).click();
      await page.getByText("journey-hook was deleted").waitFor();

      // Routing: none yet; the template names receivers that do not exist, and the
      // server says so, path by path, beside the editor.
      await sections.getByRole("link", { name: "Routing" }).click();
      await page.getByText(/No routing configuration yet/).waitFor();
      await page.getByRole("button", { name: "Save configuration" }).click();
      const problems = page.getByRole("region", { name: "Problems" });
      await problems.getByText(/^config\.route/).first().waitFor();
      await shot(page, "admin-routing");

      // On-call: a schedule with one user is answered with that user as on call now.
      await sections.getByRole("link", { name: "On-call" }).click();
      await page.getByRole("heading", { level: 1, name: "On-call schedules", exact: true }).waitFor();
      const onCallUser = "00000000-0000-4000-8000-000000000001";
      await page.getByLabel("Schedule name").fill("journey-primary");
      await page.getByLabel("Layer 1 users").fill(onCallUser);
      await page.getByLabel("Layer 1 first hand-off").fill("2026-01-05T09:00");
      await page.getByLabel("Layer 1 time zone").fill("Europe/Berlin");
      await page.getByRole("button", { name: "Create schedule" }).click();
      await page.getByText("journey-primary was created.").waitFor();
      await page.getByRole("table", { name: "Schedules" }).locator("tbody tr").filter({ hasText: "journey-primary" }).getByText(onCallUser, { exact: true }).waitFor();
      await shot(page, "admin-on-call");

      for (const [link, heading, name] of [
        ["Escalation", "Escalation policies", "admin-escalation"],
        ["Incidents", "Incidents", "admin-incidents"],
      ] as const) {
        await sections.getByRole("link", { name: link, exact: true }).click();
        await page.getByRole("heading", { level: 1, name: heading, exact: true }).waitFor();
        await page.getByText(/^No (escalation policies|incidents)$/).waitFor();
        await shot(page, name);
      }
    });

    await onPage("customer-notifications", async (page) => {
      await page.goto(`${brandedUrl}/sign-in`);
      await signInOwner(page);
      await page.getByRole("button", { name: "Use a recovery code instead" }).click();
      await page.getByLabel("Recovery code").fill(recoveryCodes[2]!);
      await page.getByRole("button", { name: "Verify" }).click();
      await page.getByRole("heading", { name: "Your sites", exact: true }).waitFor();
      await page.getByRole("link", { name: "Notifications", exact: true }).click();
      await page.getByRole("heading", { name: "Notifications", exact: true }).waitFor();
      // Their own customer's alert, read only: the suspension the admin caused.
      const recent = page.getByRole("table", { name: "Alerts" });
      await recent.getByText("customer_suspended", { exact: true }).first().waitFor();
      assert.equal(await recent.getByRole("link", { name: /Silence/ }).count(), 0, "owners read their alerts, they do not silence them");
      await page.getByText("No receivers").waitFor();
      await page.getByLabel("Receiver name").fill("shop-slack");
      await page.getByLabel("Slack webhook URL").fill("https://hooks.slack.com/services/T0SHOP/B0SHOP/shopsecret");
      await page.getByRole("button", { name: "Add receiver" }).click();
      await page.getByText("shop-slack was added.").waitFor();
      await shot(page, "customer-notifications");
      await page.getByRole("button", { name: "Delete shop-slack" }).click();
      await page.getByRole("alertdialog", { name: "Delete shop-slack?" }).waitFor();
      await page.getByRole("button", { name: "Yes, delete the receiver" }).click();
      await page.getByText("No receivers").waitFor();
    });
  });

  it("admin writes a soft-mandatory policy in Rego (a compile error shown at its line first); the owner's next site waits for an override on its page, and the admin overrides it from the waiting runs", async () => {
    await onPage("admin-policy", async (page) => {
      await signInAdmin(page);
      await page.getByRole("banner").getByRole("link", { name: "Policies", exact: true }).click();
      await page.getByRole("link", { name: "New policy" }).click();
      await page.getByLabel("Name").fill("journey-guard");
      await page.getByLabel("Enforcement").selectOption({ label: "Soft-mandatory" });
      await page.getByLabel("Definition").selectOption({ label: "Rego module" });
      const rego = (body: string) => `package canopy.journey\nimport rego.v1\n\ndeny contains msg if {\n  startswith(input.site.name, "guarded-")\n${body}}\n`;
      await page.getByLabel("Rego", { exact: true }).fill(rego('  msg := "guarded sites need the operator\'s approval"\n  1 +\n'));
      await page.getByRole("button", { name: "Validate" }).click();
      await page.getByRole("list", { name: "Compile errors" }).getByText(/line [78], column \d+/i).waitFor();
      await shot(page, "admin-policy-compile-error");
      await page.getByLabel("Rego", { exact: true }).fill(rego('  msg := "guarded sites need the operator\'s approval"\n'));
      await page.getByRole("button", { name: "Create policy" }).click();
      // The new policy's own page, then the list.
      await page.waitForURL(/\/policies\/[0-9a-f-]{36}$/);
      await page.getByRole("link", { name: /All policies/ }).click();
      await page.getByRole("link", { name: "journey-guard" }).waitFor();
      await shot(page, "admin-policies");
    });

    await onPage("customer-awaiting-override", async (page) => {
      await page.goto(`${brandedUrl}/sign-in`);
      await signInOwner(page);
      await page.getByRole("button", { name: "Use a recovery code instead" }).click();
      await page.getByLabel("Recovery code").fill(recoveryCodes[3]!);
      await page.getByRole("button", { name: "Verify" }).click();
      await page.getByRole("heading", { name: "Your sites", exact: true }).waitFor();
      await page.getByRole("button", { name: "New site" }).first().click();
      await page.getByLabel("Site name").fill("guarded-shop");
      await page.getByLabel("Cloud provider").selectOption({ label: "DigitalOcean" });
      const region = page.getByLabel("Region");
      await region.locator("option[value='ams3']").waitFor({ state: "attached" });
      await region.selectOption("ams3");
      await page.getByRole("button", { name: "Create site" }).click();
      await page.waitForURL(/\/sites\/[0-9a-f-]+$/);
      // The plan failed the platform's soft-mandatory policy: the run waits, live, and
      // the owner sees why — but may only discard it, not override the operator.
      const panel = page.getByRole("region", { name: "Policy check" });
      await panel.getByText("guarded sites need the operator's approval").waitFor({ timeout: 60_000 });
      await page.getByText("Awaiting override").first().waitFor();
      assert.equal(await panel.getByRole("button", { name: "Override" }).count(), 0, "an owner does not override the operator's policy");
      await panel.getByRole("button", { name: "Discard" }).waitFor();
      await shot(page, "customer-awaiting-override");

      const admin = await browser!.newPage({ viewport: DESKTOP });
      try {
        await signInAdmin(admin, "/policies/checks");
        const row = admin.getByRole("table", { name: "Policy checks" }).locator("tbody tr").filter({ hasText: "guarded sites need the operator's approval" });
        await row.getByRole("button", { name: /^Override/ }).click();
        await admin.getByRole("button", { name: "Yes, override" }).click();
        await admin.getByText(/Say why/).waitFor();
        await admin.getByLabel("Reason").fill("journey: approved by the operator");
        await shot(admin, "admin-policy-override");
        await admin.getByRole("button", { name: "Yes, override" }).click();
        await admin.getByText("No runs are awaiting an override").waitFor();
      } finally {
        await admin.close();
      }
      // The run continues and the site is deployed; the log says who let it through.
      await page.getByLabel("Deployment log").getByText(/overridden by .*journey: approved by the operator/).waitFor({ timeout: 60_000 });
      await page.getByText("Active", { exact: true }).first().waitFor({ timeout: 60_000 });
    });
  });

  it("the owner connects the site to a store and sees it healthy; the store starts refusing the credentials: the integration turns unhealthy with the cause, the alert is delivered, and the admin sees it", async () => {
    await onPage("customer-commerce", async (page) => {
      await page.goto(`${brandedUrl}/sign-in`);
      await signInOwner(page);
      await page.getByRole("button", { name: "Use a recovery code instead" }).click();
      await page.getByLabel("Recovery code").fill(recoveryCodes[4]!);
      await page.getByRole("button", { name: "Verify" }).click();
      await page.getByRole("heading", { name: "Your sites", exact: true }).waitFor();
      // The guarded shop the previous step deployed.
      await page.getByRole("link", { name: "guarded-shop" }).first().click();
      await page.getByRole("navigation", { name: "Site pages" }).getByRole("link", { name: "E-commerce", exact: true }).click();
      await page.getByRole("button", { name: "Connect a store" }).click();
      const form = page.getByRole("form", { name: "Connect a store" });
      await form.getByLabel("Platform").selectOption({ label: "Shopify" });
      await form.getByLabel("Shop domain").fill(stores.shopify.shop_domain);
      await form.getByRole("radio", { name: "Token" }).check();
      // A wrong token first: the store's refusal, in words, before anything is saved.
      await form.getByLabel("Admin API access token").fill("shpat_journey0wrong0token000000000");
      await form.getByRole("button", { name: "Validate" }).click();
      const result = page.getByRole("region", { name: "Validation result" });
      await result.getByText(/refused the credentials/).waitFor();
      await form.getByLabel("Admin API access token").fill(stores.shopify.access_token);
      await form.getByRole("button", { name: "Validate" }).click();
      await result.getByText("Valid", { exact: true }).waitFor();
      await form.getByRole("button", { name: "Connect store" }).click();
      const connected = page.getByRole("table", { name: "Stores" });
      await connected.getByText("Healthy", { exact: true }).waitFor();
      assert.ok(!(await page.content()).includes(stores.shopify.access_token), "the token is never shown again");
      await shot(page, "customer-commerce");

      // The store starts refusing the credentials (revoked, say); the scheduled check
      // (every 3 s here) finds it. A page shows what it read: read again until it changes.
      const switched = await fetch(`${stores.shopify.base_url}/__stand_in/mode`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ mode: "refuse_credentials" }),
      });
      assert.equal(switched.status, 200, "the stand-in took the mode");
      let readAt = Date.now();
      await waitFor("the integration to turn unhealthy", canopyd!, 60_000, async () => {
        if ((await connected.getByText("Unhealthy", { exact: true }).count()) > 0) return true;
        if (Date.now() - readAt >= 4_000) {
          await page.reload();
          readAt = Date.now();
        }
        return undefined;
      });
      await page.getByText(/refused the credentials/).first().waitFor();
      await shot(page, "customer-commerce-unhealthy");

      // The alert reached the customer's notifications.
      await page.getByRole("link", { name: "Notifications", exact: true }).click();
      await page.getByRole("heading", { name: "Notifications", exact: true }).waitFor();
      const recent = page.getByRole("table", { name: "Alerts" });
      readAt = Date.now();
      await waitFor("the store_integration_unhealthy alert", canopyd!, 60_000, async () => {
        if ((await recent.getByText("store_integration_unhealthy", { exact: true }).count()) > 0) return true;
        if (Date.now() - readAt >= 10_000) {
          await page.reload();
          readAt = Date.now();
        }
        return undefined;
      });
    });

    await onPage("admin-integrations", async (page) => {
      await signInAdmin(page, "/integrations?health=unhealthy");
      const table = page.getByRole("table", { name: "Integrations" });
      await table.getByText("Unhealthy", { exact: true }).first().waitFor();
      await page.getByRole("region", { name: "Key rotation" }).waitFor();
      await shot(page, "admin-integrations");
    });
  });
});
