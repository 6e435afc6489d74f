import type { HTMLAttributes, ReactNode } from "react";

export interface DescriptionListProps extends HTMLAttributes<HTMLDListElement> {
  /** `<dt>`/`<dd>` pairs. */
  children: ReactNode;
}

/** Terms beside their values; stacked at phone width. A long value wraps between
 *  words (and mid-word only when a single word is wider than the line). */
export function DescriptionList({ className, children, ...rest }: DescriptionListProps) {
  return (
    <dl {...rest} className={`m-0 grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1 max-sm:grid-cols-1 [&_dd]:m-0 [&_dd]:break-words [&_dt]:font-semibold ${className ?? ""}`.trim()}>
      {children}
    </dl>
  );
}
