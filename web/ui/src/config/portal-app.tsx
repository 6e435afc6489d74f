//! A portal's wiring, the same for both: its session (kept apart from the other
//! portal's by `sessionKey`), a Canopy client that sends an expired session to
//! sign-in and back (`?next=`), one TanStack Query client, and the router.
import type { ComponentType, ReactNode } from "react";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { Code, toCanopyError } from "@canopy/sdk";
import { type createBrowserRouter, RouterProvider } from "react-router";
import { CanopyContext } from "../session/portal-context";
import { SessionStore, createPortalClient } from "../session/session-store";
import type { PortalConfig } from "./portal-config";

export interface PortalAppOptions {
  config: PortalConfig;
  /** The `sessionStorage` key of this portal's tokens. */
  sessionKey: string;
  createRouter: () => ReturnType<typeof createBrowserRouter>;
  /** Wraps the routes (the customer portal's branding, applied before any page). */
  Frame?: ComponentType<{ children: ReactNode }>;
}

/** Retrying cannot turn a refusal into a yes; anything else is tried twice more. */
export const retryQuery = (count: number, error: unknown) => count < 2 && !/unauthenticated|permission/i.test(String(error));

/**
 * Before retrying a query: the wait the server asked for when it rate-limited the
 * call (RetryInfo), so a burst of pages (a busy admin) recovers by itself rather
 * than spending its retries inside the window; otherwise TanStack's 1 s, 2 s, ….
 */
export function queryRetryDelay(count: number, error: unknown): number {
  const e = toCanopyError(error);
  if (e.code === Code.ResourceExhausted && e.retryDelayMs) return e.retryDelayMs;
  return Math.min(1000 * 2 ** count, 30_000);
}

export function createPortalApp({ config, sessionKey, createRouter, Frame = ({ children }) => <>{children}</> }: PortalAppOptions): ComponentType {
  const router = createRouter();
  const session = new SessionStore(sessionKey);
  const client = createPortalClient({
    baseUrl: config.apiBaseUrl,
    store: session,
    // An expired session: sign in again, then come back to the page the user was on.
    onSessionExpired: () => {
      const { pathname, search } = router.state.location;
      if (pathname !== "/sign-in") void router.navigate(`/sign-in?next=${encodeURIComponent(pathname + search)}`, { replace: true });
    },
  });
  const queryClient = new QueryClient({
    defaultOptions: { queries: { retry: retryQuery, retryDelay: queryRetryDelay } },
  });
  return function App() {
    return (
      <QueryClientProvider client={queryClient}>
        <CanopyContext.Provider value={{ client, session }}>
          <Frame>
            <RouterProvider router={router} />
          </Frame>
        </CanopyContext.Provider>
      </QueryClientProvider>
    );
  };
}
