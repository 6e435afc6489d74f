//! One page of a list API, with the page tokens behind Previous/Next: started
//! again when the request's filters change, the previous page kept on screen
//! while the next one loads (the feature's query options say so).
import { type QueryKey, type UseQueryOptions, useQuery } from "@tanstack/react-query";
import { type PageTokens, usePageTokens } from "@canopy/ui";

export const PAGE_SIZE = 20;

export type PageRequest<F> = F & { page: { pageSize: number; pageToken: string } };

/**
 * `filters` is the request without its page; `options` makes a feature's query
 * options (e.g. `siteQueries.list`) for the request with its page.
 */
export function usePagedList<F extends object, R, K extends QueryKey>(filters: F, options: (request: PageRequest<F>) => UseQueryOptions<R, Error, R, K> & { queryKey: K }) {
  const pages: PageTokens = usePageTokens(JSON.stringify(filters));
  const query = useQuery(options({ ...filters, page: { pageSize: PAGE_SIZE, pageToken: pages.pageToken } }));
  return { pages, query };
}
