import type { ReactNode, TableHTMLAttributes } from "react";

export interface TableProps extends TableHTMLAttributes<HTMLTableElement> {
  /** The table's accessible name, e.g. "Sites". */
  "aria-label": string;
  children: ReactNode;
}

/** A data table; at phone width each row becomes a block of its cells and the header hides. */
export function Table({ className, children, ...rest }: TableProps) {
  return (
    <table
      {...rest}
      className={`w-full border-collapse [&_td]:border-b [&_td]:border-line [&_td]:p-2 [&_td]:text-left [&_th]:border-b [&_th]:border-line [&_th]:p-2 [&_th]:text-left max-sm:[&_td]:block max-sm:[&_td]:border-0 max-sm:[&_td]:px-2 max-sm:[&_td]:py-0.5 max-sm:[&_thead]:hidden max-sm:[&_tr]:block max-sm:[&_tr]:border-b max-sm:[&_tr]:border-line max-sm:[&_tr]:py-2 ${className ?? ""}`.trim()}
    >
      {children}
    </table>
  );
}
