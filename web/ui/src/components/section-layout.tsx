//! A section of a portal with its own nav (Policies: Policies, Compliance, …) above
//! the section's pages, and the page each of them renders under it.
import type { ReactNode } from "react";
import { NavLink, Outlet } from "react-router";

export interface Section {
  to: string;
  label: string;
  /** Current only on this exact path (the section's index). */
  end?: boolean;
}

export interface SectionLayoutProps {
  /** The nav landmark's name: "Policies", "Alerting". */
  label: string;
  sections: readonly Section[];
}

/** The section nav (the current page's link underlined) and the matched route. */
export function SectionLayout({ label, sections }: SectionLayoutProps) {
  return (
    <div className="flex flex-col gap-4">
      <nav aria-label={label} className="flex flex-wrap gap-x-4 gap-y-2 border-b border-line pb-2">
        {sections.map((s) => (
          <NavLink key={s.to} to={s.to} end={s.end} className="font-semibold aria-[current=page]:underline aria-[current=page]:underline-offset-4">
            {s.label}
          </NavLink>
        ))}
      </nav>
      <Outlet />
    </div>
  );
}

export interface SectionPageProps {
  /** The page's `<h1>`. */
  title: string;
  /** A line under the heading. */
  intro?: string;
  children: ReactNode;
}

/** One page of a section: its heading, an optional introduction, the content. */
export function SectionPage({ title, intro, children }: SectionPageProps) {
  return (
    <div className="flex flex-col gap-4">
      <h1 className="m-0">{title}</h1>
      {intro && <p className="m-0 text-muted">{intro}</p>}
      {children}
    </div>
  );
}
