//! An alert's labels as chips of matcher text, `alertname="site_failed"`, so what
//! a reader sees is what a silence or a route would match.
import { matcherText, sortedLabels } from "./alert-words";

export interface LabelChipsProps {
  labels: Record<string, string>;
  /** Label names left out (shown elsewhere in the row, e.g. `severity`). */
  omit?: string[];
  /** The list's accessible name; "Labels" by default. */
  label?: string;
}

export function LabelChips({ labels, omit = [], label = "Labels" }: LabelChipsProps) {
  const shown = sortedLabels(labels).filter(([name]) => !omit.includes(name));
  if (shown.length === 0) return <span className="text-muted">None</span>;
  return (
    <ul aria-label={label} className="m-0 flex list-none flex-wrap gap-1 p-0">
      {shown.map(([name, value]) => (
        <li key={name} className="rounded-brand border border-line bg-canvas px-1.5 py-0.5 font-mono text-xs break-all">
          {matcherText(name, value)}
        </li>
      ))}
    </ul>
  );
}
