//! A portal's wiring, the same for both: its session (kept apart from the other
//! portal's by `sessionKey`), a Canopy client that sends an expired session to
//! sign-in and back (`?next=`), one TanStack Query client, and the router.
import type { ComponentType, ReactNode } from "react";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
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
    // Retrying cannot turn a refusal into a yes.
    defaultOptions: { queries: { retry: (count, error) => count < 2 && !/unauthenticated|permission/i.test(String(error)) } },
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
