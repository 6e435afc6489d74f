// @vitest-environment node
// The lint rules of eslint.config.js refuse what the architecture forbids: each
// case lints one line of source as if it were a file at that path (the imported
// files are real), through ESLint's Node API with the workspace's own config.
import { fileURLToPath } from "node:url";
import { ESLint } from "eslint";
import { describe, expect, it } from "vitest";

const web = fileURLToPath(new URL("..", import.meta.url));
const eslint = new ESLint({ cwd: web });

async function problems(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: `${web}${filePath}` });
  return result!.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

describe("one-way imports: shared → features → app", () => {
  it("refuses a feature importing another feature", async () => {
    expect(await problems("admin/src/features/sites/components/example.tsx", `import { userQueries } from "../../users/api/users";\n`)).toEqual([
      expect.stringMatching(/^import\/no-restricted-paths: .*imports no other feature/),
    ]);
  });

  it("refuses a feature importing a route", async () => {
    expect(await problems("customer/src/features/sites/components/example.tsx", `import { useCurrentUser } from "../../../app/layout";\n`)).toEqual([
      expect.stringMatching(/^import\/no-restricted-paths: .*imports no route/),
    ]);
  });

  it("refuses the portal's shared layer importing a feature", async () => {
    expect(await problems("admin/src/components/example.tsx", `import { usePlans } from "../features/customers/api/plans";\n`)).toEqual([
      expect.stringMatching(/^import\/no-restricted-paths: .*shared components\/ imports no feature/),
    ]);
  });

  it("refuses @canopy/ui importing a portal, by path or by name", async () => {
    expect(await problems("ui/src/sites/example.ts", `import { customerKeys } from "../../../admin/src/lib/customer-queries";\n`)).toEqual([
      expect.stringMatching(/^import\/no-restricted-paths: .*@canopy\/ui is shared by both portals/),
    ]);
    expect(await problems("ui/src/sites/example.ts", `import "@canopy/admin";\n`)).toEqual([expect.stringMatching(/^no-restricted-imports: /)]);
  });

  it("refuses one portal importing the other", async () => {
    expect(await problems("customer/src/app/routes/example.tsx", `import { customerKeys } from "../../../../admin/src/lib/customer-queries";\n`)).toEqual([
      expect.stringMatching(/^import\/no-restricted-paths: .*A portal imports nothing of the other portal/),
    ]);
  });

  it("allows what goes one way: a route using features and shared code, a feature its own api and the shared layer", async () => {
    expect(
      await problems(
        "admin/src/app/routes/example.tsx",
        `import { SitesList } from "../../features/sites/components/sites-list";\nimport { useCurrentUser } from "../../hooks/use-current-user";\nimport { siteKeys } from "@canopy/ui";\n`,
      ),
    ).toEqual([]);
    expect(
      await problems(
        "admin/src/features/users/components/example.tsx",
        `import { userQueries } from "../api/users";\nimport { customerKeys } from "../../../lib/customer-queries";\nimport { ConfirmPanel } from "../../../components/confirm-panel";\n`,
      ),
    ).toEqual([]);
  });
});

describe("query keys come from key factories", () => {
  it("refuses a literal query key", async () => {
    expect(await problems("customer/src/app/routes/example.tsx", `useQuery({ queryKey: ["sites", id], queryFn });\n`)).toEqual([
      expect.stringMatching(/^no-restricted-syntax: Write query keys with the feature's key factory/),
    ]);
  });

  it("allows a key from a factory", async () => {
    expect(await problems("customer/src/app/routes/example.tsx", `invalidateQueries({ queryKey: siteKeys.all });\n`)).toEqual([]);
  });
});
