export interface SpinnerProps {
  /** What is loading, read by screen readers; "" inside labelled controls. */
  label?: string;
  size?: "small" | "normal";
}

const SIZE: Record<NonNullable<SpinnerProps["size"]>, string> = {
  small: "size-3.5 border-2 border-t-current",
  normal: "size-6 border-3 border-t-primary",
};

export function Spinner({ label = "Loading", size = "normal" }: SpinnerProps) {
  return (
    <span
      className={`inline-block animate-spin rounded-full border-line ${SIZE[size]}`}
      role={label ? "status" : undefined}
      aria-label={label || undefined}
      aria-hidden={label ? undefined : true}
    />
  );
}

export interface ProgressProps {
  label: string;
  /** 0–100; absent for an indeterminate bar. */
  value?: number;
}

export function Progress({ label, value }: ProgressProps) {
  return (
    <div className="h-2 overflow-hidden rounded-full bg-line" role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={value}>
      <div
        className={`h-full bg-primary transition-[width] duration-300 ${value === undefined ? "w-2/5 animate-slide" : ""}`}
        style={value === undefined ? undefined : { width: `${value}%` }}
      />
    </div>
  );
}
