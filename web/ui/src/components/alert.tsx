import type { ReactNode } from "react";

export interface AlertProps {
  tone?: "info" | "success" | "danger";
  title?: string;
  children: ReactNode;
}

/** A message for the whole page or form; errors are announced (`role="alert"`). */
export function Alert({ tone = "info", title, children }: AlertProps) {
  return (
    <div className={`cn-alert cn-alert--${tone}`} role={tone === "danger" ? "alert" : "status"}>
      {title && <strong className="cn-alert__title">{title}</strong>}
      <div>{children}</div>
    </div>
  );
}
