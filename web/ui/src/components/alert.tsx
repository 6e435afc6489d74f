import type { ReactNode } from "react";

export interface AlertProps {
  tone?: "info" | "success" | "danger";
  title?: string;
  children: ReactNode;
}

const TONE: Record<NonNullable<AlertProps["tone"]>, string> = {
  info: "border-primary bg-[color-mix(in_srgb,var(--canopy-primary)_8%,white)]",
  success: "border-success bg-[#ecfdf3]",
  danger: "border-danger bg-[#fef3f2] text-danger",
};

/** A message for the whole page or form; errors are announced (`role="alert"`). */
export function Alert({ tone = "info", title, children }: AlertProps) {
  return (
    <div className={`rounded-brand border px-4 py-3 ${TONE[tone]}`} role={tone === "danger" ? "alert" : "status"} data-tone={tone}>
      {title && <strong className="block">{title}</strong>}
      <div>{children}</div>
    </div>
  );
}
