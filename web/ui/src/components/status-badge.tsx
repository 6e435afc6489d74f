export type StatusTone = "neutral" | "progress" | "success" | "warning" | "danger";

export interface StatusBadgeProps {
  /** The words shown, e.g. "Active". */
  label: string;
  tone: StatusTone;
}

/** A status in words and colour (never colour alone). */
export function StatusBadge({ label, tone }: StatusBadgeProps) {
  return (
    <span className={`cn-badge cn-badge--${tone}`} data-tone={tone}>
      {label}
    </span>
  );
}
