import { type ReactNode, type TableHTMLAttributes, useLayoutEffect, useRef } from "react";

export interface TableProps extends TableHTMLAttributes<HTMLTableElement> {
  /** The table's accessible name, e.g. "Sites". */
  "aria-label": string;
  children: ReactNode;
}

/** Gives each body cell its column's header text as `data-label`, shown before the
 *  value once the header row hides at phone width. Read from the rendered header, so
 *  no page has to repeat its column names, and kept up as rows come and go. */
function labelCells(table: HTMLTableElement) {
  const headers = [...table.querySelectorAll<HTMLTableCellElement>(":scope > thead > tr > th")].map((th) => th.textContent?.trim() ?? "");
  for (const row of table.querySelectorAll<HTMLTableRowElement>(":scope > tbody > tr")) {
    [...row.cells].forEach((cell, column) => {
      const label = headers[column] ?? "";
      // A cell spanning the row (a message, not a value) gets no label.
      const wanted = row.cells.length === 1 && cell.colSpan > 1 ? "" : label;
      if (wanted && cell.dataset.label !== wanted) cell.dataset.label = wanted;
      else if (!wanted && cell.dataset.label !== undefined) delete cell.dataset.label;
    });
  }
}

/** A data table; at phone width each row becomes a card of its cells, each cell
 *  labelled with its column's name (the header row hides). */
export function Table({ className, children, ...rest }: TableProps) {
  const ref = useRef<HTMLTableElement>(null);
  useLayoutEffect(() => {
    const table = ref.current;
    if (!table) return;
    labelCells(table);
    // Rows re-render on their own (paging, live updates): label the new cells too.
    const observer = new MutationObserver(() => labelCells(table));
    observer.observe(table, { childList: true, subtree: true, characterData: true });
    return () => observer.disconnect();
  }, []);
  return (
    <table
      {...rest}
      ref={ref}
      className={`w-full border-collapse [&_td]:border-b [&_td]:border-line [&_td]:p-2 [&_td]:text-left [&_th]:border-b [&_th]:border-line [&_th]:p-2 [&_th]:text-left max-sm:[&_td]:block max-sm:[&_td]:border-0 max-sm:[&_td]:px-2 max-sm:[&_td]:py-0.5 max-sm:[&_td[data-label]]:before:mr-2 max-sm:[&_td[data-label]]:before:font-semibold max-sm:[&_td[data-label]]:before:text-muted max-sm:[&_td[data-label]]:before:content-[attr(data-label)] max-sm:[&_thead]:hidden max-sm:[&_tr]:block max-sm:[&_tr]:border-b max-sm:[&_tr]:border-line max-sm:[&_tr]:py-2 ${className ?? ""}`.trim()}
    >
      {children}
    </table>
  );
}
