import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { RouterProvider } from "react-router";
import { CanopyContext, SessionStore, createPortalClient } from "@canopy/ui";
import type { PortalConfig } from "@canopy/ui";
import { createPortalRouter } from "./router";

/** Everything the admin portal needs, wired once at start-up. */
export function createApp(config: PortalConfig) {
  document.title = "Canopy admin";
  const router = createPortalRouter();
  const session = new SessionStore("canopy.admin.session");
  const client = createPortalClient({
    baseUrl: config.apiBaseUrl,
    store: session,
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
          <RouterProvider router={router} />
        </CanopyContext.Provider>
      </QueryClientProvider>
    );
  };
}
