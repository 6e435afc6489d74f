// The chain from branding to pixels: applyTheme sets --canopy-* variables, the
// Tailwind theme in styles.css maps its tokens onto them, and the components use
// those tokens. Compiles the real stylesheet with Tailwind and checks the classes
// the components actually render.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { compile } from "@tailwindcss/node";
import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { Alert } from "../components/alert";
import { AppShell } from "../components/app-shell";
import { Button } from "../components/button";
import { Card } from "../components/card";
import { Table } from "../components/table";
import { TextField } from "../components/text-field";

const stylesheet = join(dirname(fileURLToPath(import.meta.url)), "../styles.css");

/** The CSS Tailwind generates for one class, without the always-present theme and
 *  base. A fresh compiler each time: a compiler's builds accumulate candidates. */
async function cssOf(cls: string): Promise<string> {
  const compiler = await compile(readFileSync(stylesheet, "utf8"), { base: dirname(stylesheet), onDependency: () => undefined });
  const baseline = compiler.build([]);
  return compiler.build([cls]).replace(baseline, "");
}

const classesOf = (element: Element) => [...element.classList];

describe("the Tailwind theme", () => {
  it("maps the brand tokens onto the variables branding sets", async () => {
    expect(await cssOf("bg-primary")).toMatch(/background-color:\s*var\(--canopy-primary\)/);
    expect(await cssOf("text-on-primary")).toMatch(/color:\s*var\(--canopy-on-primary\)/);
    expect(await cssOf("rounded-brand")).toMatch(/border-radius:\s*var\(--canopy-radius\)/);
    expect(await cssOf("font-sans")).toMatch(/font-family:\s*var\(--canopy-font\)/);
    expect(await cssOf("bg-header")).toMatch(/background-color:\s*var\(--canopy-header-bg,\s*var\(--canopy-secondary\)\)/);
    expect(await cssOf("min-h-control")).toMatch(/min-height:\s*calc\(2\.5rem \* var\(--canopy-density\)\)/);
    expect(await cssOf("shadow-brand")).toMatch(/var\(--canopy-shadow\)/);
  });

  it("generates CSS for every class the components render (no silently unknown utility)", async () => {
    render(
      <AppShell nav={<a href="/">Home</a>}>
        <Card title="Site" actions={<Button variant="danger">Delete</Button>}>
          <Alert tone="danger">Broken</Alert>
          <TextField label="Name" error="Required" />
          <Button>Save</Button>
          <Button variant="secondary" busy>
            Wait
          </Button>
          <Table aria-label="Rows">
            <tbody>
              <tr>
                <td>cell</td>
              </tr>
            </tbody>
          </Table>
        </Card>
      </AppShell>,
    );
    const classes = new Set([...document.body.querySelectorAll("[class]")].flatMap(classesOf));
    expect(classes.size).toBeGreaterThan(40);
    const unknown: string[] = [];
    for (const cls of classes) if ((await cssOf(cls)).trim() === "") unknown.push(cls);
    expect(unknown).toEqual([]);
  });

  it("styles the primary button with the brand colour and radius", () => {
    render(<Button>Go</Button>);
    const classes = classesOf(screen.getByRole("button", { name: "Go" }));
    expect(classes).toContain("bg-primary");
    expect(classes).toContain("rounded-brand");
    expect(classes).toContain("text-on-primary");
  });
});
