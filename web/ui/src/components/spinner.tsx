export interface SpinnerProps {
  /** What is loading, read by screen readers; "" inside labelled controls. */
  label?: string;
  size?: "small" | "normal";
}

export function Spinner({ label = "Loading", size = "normal" }: SpinnerProps) {
  return (
    <span className={`cn-spinner cn-spinner--${size}`} role={label ? "status" : undefined} aria-label={label || undefined} aria-hidden={label ? undefined : true} />
  );
}

export interface ProgressProps {
  label: string;
  /** 0–100; absent for an indeterminate bar. */
  value?: number;
}

export function Progress({ label, value }: ProgressProps) {
  return (
    <div className="cn-progress" role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={value}>
      <div className={`cn-progress__bar ${value === undefined ? "cn-progress__bar--indeterminate" : ""}`} style={value === undefined ? undefined : { width: `${value}%` }} />
    </div>
  );
}
