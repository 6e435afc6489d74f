import type { common } from "@canopy/sdk";
import { Button } from "../components/button";
import { Spinner } from "../components/spinner";
import type { PageTokens } from "./use-page-tokens";

export interface PagerProps {
  /** From `usePageTokens`. */
  pages: PageTokens;
  /** The `page` of the list response shown (undefined while the first page loads). */
  page: common.PageResponse | undefined;
  /** What the list holds, for the count: `["customer", "customers"]`. */
  noun?: [one: string, many: string];
  /** Another page is being fetched: the buttons wait and a spinner says so. */
  loading?: boolean;
  /** The navigation landmark's name; distinct where a page has two lists ("Receiver pages"). */
  label?: string;
}

/** Previous page / Next page under a paged list, and "N items" when the API counts them. */
export function Pager({ pages, page, noun = ["item", "items"], loading = false, label = "Pages" }: PagerProps) {
  const total = page && page.totalSize >= 0n ? page.totalSize : undefined;
  const nextPageToken = page?.nextPageToken ?? "";
  return (
    <nav aria-label={label} className="mt-3 flex flex-wrap items-center justify-between gap-3">
      <span>
        {total !== undefined && `${total.toLocaleString()} ${total === 1n ? noun[0] : noun[1]}`}
        {pages.hasPrevious && <span className="text-muted">{total !== undefined ? " · " : ""}page {pages.pageNumber}</span>}
      </span>
      <div className="flex flex-wrap items-center gap-3">
        {loading && <Spinner size="small" label="Loading page" />}
        <Button variant="secondary" disabled={!pages.hasPrevious || loading} onClick={pages.previous}>
          Previous page
        </Button>
        <Button variant="secondary" disabled={!nextPageToken || loading} onClick={() => pages.next(nextPageToken)}>
          Next page
        </Button>
      </div>
    </nav>
  );
}
