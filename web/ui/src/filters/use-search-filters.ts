//! A list's filters kept in the URL's search parameters, so a reload, a shared
//! link or the back button shows the same list.
import { useSearchParams } from "react-router";

export type Filters<K extends string> = Record<K, string>;

/** The current values of `keys` ("" when absent) and a function that changes some of them. */
export function useSearchFilters<K extends string>(keys: readonly K[]): [Filters<K>, (changes: Partial<Record<string, string>>) => void] {
  const [params, setParams] = useSearchParams();
  const values = Object.fromEntries(keys.map((k) => [k, params.get(k) ?? ""])) as Filters<K>;
  const update = (changes: Partial<Record<string, string>>) =>
    setParams(
      (previous) => {
        const next = new URLSearchParams(previous);
        for (const [key, value] of Object.entries(changes)) {
          if (value) next.set(key, value);
          else next.delete(key);
        }
        return next;
      },
      { replace: true },
    );
  return [values, update];
}
