//! The page tokens behind Previous / Next for a list API that pages with opaque
//! tokens (`common.v1.PageRequest`): a stack of the tokens of the pages seen so far,
//! started again whenever the filters change.
import { useState } from "react";

export interface PageTokens {
  /** The token of the page shown: "" for the first page. */
  pageToken: string;
  /** The page shown, counting from 1. */
  pageNumber: number;
  /** Whether there is a page before this one. */
  hasPrevious: boolean;
  /** Back to the page before this one. */
  previous: () => void;
  /** On to the page `nextPageToken` (from the response of this page) names. */
  next: (nextPageToken: string) => void;
}

/**
 * The page tokens of one list. `filterKey` identifies the filters the list is shown
 * with (e.g. `JSON.stringify(filters)`): when it changes the list starts again at
 * its first page, since a token is only valid for the filters it was issued with.
 */
export function usePageTokens(filterKey: string): PageTokens {
  const [state, setState] = useState<{ filterKey: string; tokens: string[] }>({ filterKey, tokens: [""] });
  const tokens = state.filterKey === filterKey ? state.tokens : [""];
  return {
    pageToken: tokens.at(-1) ?? "",
    pageNumber: tokens.length,
    hasPrevious: tokens.length > 1,
    previous: () => setState({ filterKey, tokens: tokens.length > 1 ? tokens.slice(0, -1) : tokens }),
    next: (nextPageToken) => {
      if (nextPageToken) setState({ filterKey, tokens: [...tokens, nextPageToken] });
    },
  };
}
