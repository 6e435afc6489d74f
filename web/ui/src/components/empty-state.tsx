import type { ReactNode } from "react";

export interface EmptyStateProps {
  title: string;
  description?: ReactNode;
  action?: ReactNode;
}

/** That a list or section has nothing yet. Its title is emphasised text, not a
 *  heading: it names no section, and as a heading it skipped a level wherever it
 *  sat (an `<h3>` right under a page's `<h1>`). */
export function EmptyState({ title, description, action }: EmptyStateProps) {
  return (
    <div className="px-4 py-8 text-center text-muted">
      <p className="m-0 mb-2 font-semibold text-ink">{title}</p>
      {description && <p className="mb-4">{description}</p>}
      {action}
    </div>
  );
}
