//! The nav between a site's pages (Overview, Costs, E-commerce), the current one
//! marked; under the site's title on each of them.
import { Link } from "react-router";

const PAGES = [
  { key: "overview", label: "Overview", path: "" },
  { key: "costs", label: "Costs", path: "/costs" },
  { key: "commerce", label: "E-commerce", path: "/commerce" },
] as const;

export type SitePage = (typeof PAGES)[number]["key"];

export function SitePagesNav({ siteId, current }: { siteId: string; current: SitePage }) {
  return (
    <nav aria-label="Site pages" className="flex flex-wrap gap-x-4 border-b border-line pb-2">
      {PAGES.map((p) => (
        <Link
          key={p.key}
          to={`/sites/${siteId}${p.path}`}
          aria-current={p.key === current ? "page" : undefined}
          className={p.key === current ? "font-semibold underline underline-offset-4" : "font-semibold"}
        >
          {p.label}
        </Link>
      ))}
    </nav>
  );
}
