// The accessibility gate itself, in the same Chromium as the journey: it must fail
// a page with a known serious violation, pass a clean one, and only report a
// moderate one. Without this a gate that silently checks nothing would look green.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { type Browser, type Page, chromium } from "playwright-core";
import { AccessibilityViolations, assertAccessible } from "./a11y.ts";

const chromiumPath = process.env.CHROMIUM || "/usr/bin/chromium";

const page = (body: string) => `<!doctype html><html lang="en"><head><title>Gate test</title></head><body><main><h1>Gate test</h1>${body}</main></body></html>`;

describe("the axe accessibility gate", () => {
  let browser: Browser | undefined;
  let tab: Page;

  before(async () => {
    assert.ok(existsSync(chromiumPath), `no Chromium at ${chromiumPath} (apt-get install chromium, or set CHROMIUM)`);
    browser = await chromium.launch({ executablePath: chromiumPath, args: ["--headless", "--no-sandbox", "--disable-gpu"] });
    tab = await browser.newPage();
  });
  after(async () => {
    await browser?.close();
  });

  it("passes a clean page", async () => {
    await tab.setContent(page(`<p>Plain text.</p><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" alt="A dot"><label>Name <input></label>`));
    const results = await assertAccessible(tab, "clean page", () => undefined);
    assert.ok(results.passes.some((rule) => rule.id === "image-alt"), "the rules ran (a gate running none would pass anything)");
    assert.deepEqual(results.violations, []);
  });

  it("fails on an image without alternative text (critical)", async () => {
    await tab.setContent(page(`<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">`));
    await assert.rejects(assertAccessible(tab, "image without alt", () => undefined), (error: unknown) => {
      assert.ok(error instanceof AccessibilityViolations);
      assert.deepEqual(
        error.violations.map((v) => v.id),
        ["image-alt"],
      );
      assert.match(error.message, /image without alt/);
      return true;
    });
  });

  it("fails on white text on the former default header green, 3.39:1 (serious)", async () => {
    await tab.setContent(page(`<p style="background:#0e9f6e;color:#fff">Journey Cloud</p>`));
    await assert.rejects(assertAccessible(tab, "low contrast", () => undefined), (error: unknown) => {
      assert.ok(error instanceof AccessibilityViolations);
      assert.deepEqual(
        error.violations.map((v) => v.id),
        ["color-contrast"],
      );
      return true;
    });
    // The same text on the new default passes.
    await tab.setContent(page(`<p style="background:#057a55;color:#fff">Journey Cloud</p>`));
    await assertAccessible(tab, "new default green", () => undefined);
  });

  it("reports a moderate violation (a skipped heading level) without failing", async () => {
    await tab.setContent(page(`<h3>No sites yet</h3>`));
    const lines: string[] = [];
    const results = await assertAccessible(tab, "skipped heading", (line) => lines.push(line));
    assert.deepEqual(
      results.violations.map((v) => [v.id, v.impact]),
      [["heading-order", "moderate"]],
    );
    assert.match(lines.join("\n"), /heading-order/);
  });
});
