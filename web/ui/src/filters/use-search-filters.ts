//! A list's filters kept in the URL's search parameters, so a reload, a shared
//! link or the back button shows the same list.
//!
//! The router renders a navigation in a transition, after the event that asked for
//! it (later still on a busy machine). A control bound to the URL alone would spring
//! back when the event ends (React restores a controlled input to its props) and
//! flip over only when the transition commits: a checkbox that flickers, a check a
//! browser test sees fail. So a change is shown at once, from the hook's own state,
//! until the URL has moved on; and a change made before the router caught up builds
//! on the one before it, not on the URL it has not reached yet.
import { useState } from "react";
import { useSearchParams } from "react-router";

export type Filters<K extends string> = Record<K, string>;

/** The URL's search the router shows (`from`) and the one asked for since (`to`). */
interface Pending {
  from: string;
  to: string;
}

/** The current values of `keys` ("" when absent) and a function that changes some of them. */
export function useSearchFilters<K extends string>(keys: readonly K[]): [Filters<K>, (changes: Partial<Record<string, string>>) => void] {
  const [params, setParams] = useSearchParams();
  const search = params.toString();
  const [pending, setPending] = useState<Pending | null>(null);
  // The URL moved on (the change arrived, or a link or the back button went
  // elsewhere): it is the truth again.
  if (pending && pending.from !== search) setPending(null);
  const shown = pending && pending.from === search ? new URLSearchParams(pending.to) : params;
  const values = Object.fromEntries(keys.map((k) => [k, shown.get(k) ?? ""])) as Filters<K>;
  const update = (changes: Partial<Record<string, string>>) => {
    const next = new URLSearchParams(shown);
    for (const [key, value] of Object.entries(changes)) {
      if (value) next.set(key, value);
      else next.delete(key);
    }
    setPending({ from: search, to: next.toString() });
    setParams(next, { replace: true });
  };
  return [values, update];
}
