// The accessibility gate of the browser journeys: axe-core (npm) injected into the
// page as it stands, checked against WCAG 2.0/2.1 A and AA and axe's best
// practices. A serious or critical violation fails the step; moderate and minor
// ones are reported in the log, so they are seen without blocking.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { Page } from "playwright-core";
import type { AxeResults, ImpactValue, Result } from "axe-core";

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/** What blocks: WCAG's own wording puts failures of these impacts out of reach of some users. */
const BLOCKING: ImpactValue[] = ["serious", "critical"];
const TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"];

export class AccessibilityViolations extends Error {
  constructor(
    readonly where: string,
    readonly violations: Result[],
  ) {
    super(`accessibility: ${violations.length} serious or critical axe violation(s) on ${where}:\n${describe(violations)}`);
    this.name = "AccessibilityViolations";
  }
}

function describe(violations: Result[]): string {
  return violations
    .map((v) => {
      const nodes = v.nodes.slice(0, 5).map((n) => `      ${n.target.join(" ")}: ${n.failureSummary?.split("\n").slice(1).join("; ").trim() ?? ""}`);
      return `  [${v.impact}] ${v.id}: ${v.help} (${v.helpUrl})\n${nodes.join("\n")}`;
    })
    .join("\n");
}

/** Pages checked, and the time axe took, for the journey's summary line. */
export const a11yStats = { pages: 0, ms: 0, reported: 0 };

/**
 * Runs axe on `page` as it is now (dialogs open, menus expanded, whatever width)
 * and throws `AccessibilityViolations` on any serious or critical violation.
 * `where` names the page in messages, e.g. "customer-site-active @390".
 */
export async function assertAccessible(page: Page, where: string, log: (line: string) => void = console.log): Promise<AxeResults> {
  const started = performance.now();
  // Once per document: a navigation brings a fresh window without axe.
  if (!(await page.evaluate(() => "axe" in window))) await page.addScriptTag({ content: axeSource });
  const results = await page.evaluate(
    (tags) =>
      (window as unknown as { axe: typeof import("axe-core") }).axe.run(document, {
        runOnly: { type: "tag", values: tags },
        resultTypes: ["violations"],
      }),
    TAGS,
  );
  a11yStats.pages += 1;
  a11yStats.ms += performance.now() - started;
  const blocking = results.violations.filter((v) => v.impact && BLOCKING.includes(v.impact));
  const reported = results.violations.filter((v) => !blocking.includes(v));
  if (reported.length > 0) {
    a11yStats.reported += reported.length;
    log(`a11y (reported, not blocking) on ${where}:\n${describe(reported)}`);
  }
  if (blocking.length > 0) throw new AccessibilityViolations(where, blocking);
  return results;
}
