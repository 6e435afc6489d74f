// The portals' architecture as lint rules (docs/ARCHITECTURE.md, "Portals"):
// imports go one way, shared → features → app.
//
// * `ui/` (@canopy/ui) is shared by both portals and imports neither.
// * In a portal, the shared layer (`components/`, `hooks/`, `lib/`, `config/`)
//   imports no feature and no route; a feature (`features/<f>/`) imports no route
//   (`app/`) and no other feature — what two features need is shared (the
//   portal's `lib/`, or `ui/`), and pages are composed from features in `app/`.
//   Features are read from the folders, so a new one is covered at once.
// * A portal imports nothing of the other portal.
// * Query keys are made by the features' key factories (`siteKeys.detail(id)`,
//   …), never written as array literals next to a `useQuery`.
//
// `lint/import-boundaries.test.ts` proves each rule refuses what it should.
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import tsParser from "@typescript-eslint/parser";
import importPlugin from "eslint-plugin-import";

const root = dirname(fileURLToPath(import.meta.url));
const PORTALS = ["customer", "admin"];
const SHARED_LAYERS = ["components", "hooks", "lib", "config"];

function features(portal) {
  return readdirSync(join(root, portal, "src", "features"), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name);
}

function portalZones(portal) {
  const src = `./${portal}/src`;
  const others = PORTALS.filter((p) => p !== portal);
  return [
    ...SHARED_LAYERS.map((layer) => ({
      target: `${src}/${layer}`,
      from: [`${src}/features`, `${src}/app`],
      message: `The portal's shared ${layer}/ imports no feature and no route (shared → features → app).`,
    })),
    {
      target: `${src}/features`,
      from: `${src}/app`,
      message: "A feature imports no route: routes compose features (shared → features → app).",
    },
    ...features(portal).map((feature) => ({
      target: `${src}/features/${feature}`,
      from: `${src}/features`,
      except: [`./${feature}`],
      message: "A feature imports no other feature: move what both need to the portal's lib/ (or @canopy/ui), or compose them in app/.",
    })),
    ...others.map((other) => ({
      target: src,
      from: `./${other}`,
      message: "A portal imports nothing of the other portal: share it through @canopy/ui.",
    })),
  ];
}

export default [
  { ignores: ["**/node_modules/**", "**/dist/**", "e2e/**"] },
  {
    files: ["{ui,customer,admin}/src/**/*.{ts,tsx}"],
    languageOptions: {
      parser: tsParser,
      parserOptions: { ecmaVersion: "latest", sourceType: "module", ecmaFeatures: { jsx: true } },
    },
    plugins: { import: importPlugin },
    settings: {
      "import/parsers": { "@typescript-eslint/parser": [".ts", ".tsx"] },
      "import/resolver": { node: { extensions: [".ts", ".tsx", ".js"] } },
    },
    rules: {
      "import/no-restricted-paths": [
        "error",
        {
          basePath: root,
          zones: [
            {
              target: "./ui/src",
              from: PORTALS.map((p) => `./${p}`),
              message: "@canopy/ui is shared by both portals and imports neither.",
            },
            ...PORTALS.flatMap(portalZones),
          ],
        },
      ],
      "no-restricted-syntax": [
        "error",
        {
          selector: "Property[key.name='queryKey'] > ArrayExpression.value",
          message: "Write query keys with the feature's key factory (e.g. siteKeys.detail(id)) in its api/ query options, not as a literal.",
        },
      ],
    },
  },
  {
    files: ["ui/src/**/*.{ts,tsx}"],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: [{ group: ["@canopy/customer", "@canopy/customer/*", "@canopy/admin", "@canopy/admin/*"], message: "@canopy/ui is shared by both portals and imports neither." }] },
      ],
    },
  },
];
