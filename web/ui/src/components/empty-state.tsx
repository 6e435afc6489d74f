import type { ReactNode } from "react";

export interface EmptyStateProps {
  title: string;
  description?: ReactNode;
  action?: ReactNode;
}

export function EmptyState({ title, description, action }: EmptyStateProps) {
  return (
    <div className="px-4 py-8 text-center text-muted">
      <h3 className="m-0 mb-2 font-semibold text-ink">{title}</h3>
      {description && <p className="mb-4">{description}</p>}
      {action}
    </div>
  );
}
