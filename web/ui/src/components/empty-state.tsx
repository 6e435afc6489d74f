import type { ReactNode } from "react";

export interface EmptyStateProps {
  title: string;
  description?: ReactNode;
  action?: ReactNode;
}

export function EmptyState({ title, description, action }: EmptyStateProps) {
  return (
    <div className="cn-empty">
      <h3 className="cn-empty__title">{title}</h3>
      {description && <p className="cn-empty__description">{description}</p>}
      {action}
    </div>
  );
}
