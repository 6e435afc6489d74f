import type { HTMLAttributes, ReactNode } from "react";

export interface CardProps extends Omit<HTMLAttributes<HTMLElement>, "title"> {
  title?: ReactNode;
  actions?: ReactNode;
}

export function Card({ title, actions, children, className, ...rest }: CardProps) {
  return (
    <section {...rest} className={`cn-card ${className ?? ""}`.trim()}>
      {(title || actions) && (
        <header className="cn-card__header">
          {title && <h2 className="cn-card__title">{title}</h2>}
          {actions && <div className="cn-card__actions">{actions}</div>}
        </header>
      )}
      {children}
    </section>
  );
}
