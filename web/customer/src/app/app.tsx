import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { RouterProvider } from "react-router";
import { SessionStore, createPortalClient } from "@canopy/ui";
import type { PortalConfig } from "@canopy/ui";
import { BrandingProvider } from "../features/branding/branding-provider";
import { CanopyContext } from "@canopy/ui";
import { createPortalRouter } from "./router";

/** Everything the portal needs, wired once at start-up. */
export function createApp(config: PortalConfig) {
  const router = createPortalRouter();
  const session = new SessionStore("canopy.customer.session");
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
    defaultOptions: { queries: { retry: (count, error) => count < 2 && !/unauthenticated|permission/i.test(String(error)) } },
  });
  return function App() {
    return (
      <QueryClientProvider client={queryClient}>
        <CanopyContext.Provider value={{ client, session }}>
          <BrandingProvider>
            <RouterProvider router={router} />
          </BrandingProvider>
        </CanopyContext.Provider>
      </QueryClientProvider>
    );
  };
}
