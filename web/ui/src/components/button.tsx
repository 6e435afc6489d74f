import type { ButtonHTMLAttributes } from "react";
import { Spinner } from "./spinner";

export interface ButtonProps extends ButtonHTMLAttributes<HTMLButtonElement> {
  variant?: "primary" | "secondary" | "danger";
  /** Shows a spinner and disables the button while an action runs. */
  busy?: boolean;
}

const VARIANT: Record<NonNullable<ButtonProps["variant"]>, string> = {
  primary: "border-transparent bg-primary text-on-primary",
  secondary: "border-line bg-surface text-ink",
  danger: "border-transparent bg-danger text-white",
};

export function Button({ variant = "primary", busy = false, disabled, children, className, ...rest }: ButtonProps) {
  return (
    <button
      type="button"
      {...rest}
      className={`inline-flex min-h-control cursor-pointer items-center justify-center gap-2 rounded-brand border px-4 py-control-y font-semibold focus-visible:outline-3 focus-visible:outline-offset-2 focus-visible:outline-focus disabled:cursor-not-allowed disabled:opacity-60 ${VARIANT[variant]} ${className ?? ""}`.trim()}
      disabled={disabled || busy}
      aria-busy={busy || undefined}
    >
      {busy && <Spinner size="small" label="" />}
      {children}
    </button>
  );
}
