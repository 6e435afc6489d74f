export type StatusTone = "neutral" | "progress" | "success" | "warning" | "danger";

export interface StatusBadgeProps {
  /** The words shown, e.g. "Active". */
  label: string;
  tone: StatusTone;
}

const TONE: Record<StatusTone, string> = {
  neutral: "text-muted",
  progress: "text-primary",
  success: "text-success",
  warning: "text-warning",
  danger: "text-danger",
};

/** A status in words and colour (never colour alone). */
export function StatusBadge({ label, tone }: StatusBadgeProps) {
  return (
    <span className={`inline-block rounded-full border border-current px-2.5 py-0.5 text-xs font-semibold whitespace-nowrap ${TONE[tone]}`} data-tone={tone}>
      {label}
    </span>
  );
}
