//! One page of a list API, with the page tokens behind Previous/Next: started
//! again when the request's filters change, the previous page kept on screen
//! while the next one loads.
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { type PageTokens, usePageTokens } from "@canopy/ui";

export const PAGE_SIZE = 20;

/**
 * `name` keys the cache (e.g. "sites": invalidating `["sites"]` refreshes it);
 * `filters` is the request without its page; `list` calls the API with both.
 */
export function usePagedList<F extends object, R>(name: string, filters: F, list: (request: F & { page: { pageSize: number; pageToken: string } }) => Promise<R>) {
  const pages: PageTokens = usePageTokens(JSON.stringify(filters));
  const query = useQuery({
    queryKey: [name, filters, pages.pageToken],
    queryFn: () => list({ ...filters, page: { pageSize: PAGE_SIZE, pageToken: pages.pageToken } }),
    placeholderData: keepPreviousData,
  });
  return { pages, query, queryKey: [name, filters, pages.pageToken] as const };
}
