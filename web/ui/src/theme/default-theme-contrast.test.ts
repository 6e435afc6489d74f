// The portal's own default colours (styles.css :root, what the admin portal and any
// unset branding colour show) pass the checks tenancy applies to a customer's
// colours (services/tenancy/src/domain/branding.rs): white text on the primary and
// header colours at 4.5:1, the focus ring at 3:1 on the surface and the canvas.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const css = readFileSync(join(dirname(fileURLToPath(import.meta.url)), "../styles.css"), "utf8");
const root = /:root\s*\{([^}]*)\}/.exec(css)?.[1] ?? "";
const variable = (name: string) => {
  const value = new RegExp(`--canopy-${name}:\\s*(#[0-9a-f]{6})`, "i").exec(root)?.[1];
  if (!value) throw new Error(`--canopy-${name} is not a #rrggbb colour in styles.css :root`);
  return value;
};

/** WCAG 2.x contrast ratio of two #rrggbb colours. */
function contrast(a: string, b: string): number {
  const luminance = (hex: string) => {
    const [r, g, b] = [1, 3, 5].map((i) => {
      const c = Number.parseInt(hex.slice(i, i + 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
  };
  const [dark, light] = [luminance(a), luminance(b)].sort((x, y) => x - y);
  return (light! + 0.05) / (dark! + 0.05);
}

describe("the default theme", () => {
  it("computes contrast as WCAG does", () => {
    expect(contrast("#000000", "#ffffff")).toBeCloseTo(21, 2);
    expect(contrast("#777777", "#ffffff")).toBeCloseTo(4.48, 2);
  });

  it("carries white text on the primary and header colours at 4.5:1", () => {
    expect(contrast(variable("primary"), variable("on-primary"))).toBeGreaterThanOrEqual(4.5);
    expect(contrast(variable("secondary"), "#ffffff")).toBeGreaterThanOrEqual(4.5);
  });

  it("draws focus rings at 3:1 against the surface and the canvas", () => {
    for (const background of [variable("surface"), variable("bg")]) {
      expect(contrast(variable("accent"), background), `accent on ${background}`).toBeGreaterThanOrEqual(3);
    }
  });

  it("sets text, muted text and status colours at 4.5:1 on the surface and the canvas", () => {
    for (const background of [variable("surface"), variable("bg")]) {
      for (const text of ["text", "muted", "danger", "success", "warning", "primary"]) {
        expect(contrast(variable(text), background), `${text} on ${background}`).toBeGreaterThanOrEqual(4.5);
      }
    }
  });
});
