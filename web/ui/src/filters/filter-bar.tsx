//! The filters above a list: a search box applied on submit (Enter or "Search"),
//! the list's own filter controls, and "Clear filters" while any is set.
import { Children, type ReactNode, useState } from "react";
import { Button } from "../components/button";
import { TextField } from "../components/text-field";

export interface FilterBarProps {
  /** The search landmark's name, e.g. "Filter users". */
  label: string;
  /** The search box's label, e.g. "Search users". */
  searchLabel: string;
  searchPlaceholder?: string;
  /** A violation of the applied search, beside the box. */
  searchError?: string;
  /** The applied search (from the URL). */
  search: string;
  onSearch: (search: string) => void;
  /** Whether any filter is set: offers "Clear filters". */
  filtered: boolean;
  onClear: () => void;
  /** The other filter controls, each laid out as one item of the bar. */
  children?: ReactNode;
  /** While the filtered list loads: "Search" shows progress. */
  busy?: boolean;
}

export function FilterBar({ label, searchLabel, searchPlaceholder, searchError, search, onSearch, filtered, onClear, children, busy = false }: FilterBarProps) {
  const [text, setText] = useState(search);
  // The applied search changed elsewhere (a link, the back button): show it.
  const [shown, setShown] = useState(search);
  if (shown !== search) {
    setShown(search);
    setText(search);
  }
  return (
    <form
      role="search"
      aria-label={label}
      className="flex flex-wrap items-end gap-3 max-sm:flex-col max-sm:items-stretch"
      onSubmit={(e) => {
        e.preventDefault();
        onSearch(text.trim());
      }}
    >
      <div className="min-w-50 flex-1">
        <TextField label={searchLabel} type="search" placeholder={searchPlaceholder} value={text} error={searchError} onChange={(e) => setText(e.target.value)} />
      </div>
      <Button type="submit" variant="secondary" busy={busy}>
        Search
      </Button>
      {Children.map(children, (child) => child && <div className="min-w-40">{child}</div>)}
      {filtered && (
        <Button
          variant="secondary"
          onClick={() => {
            setText("");
            onClear();
          }}
        >
          Clear filters
        </Button>
      )}
    </form>
  );
}
