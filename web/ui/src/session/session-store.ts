//! The signed-in session of a portal, kept in `sessionStorage` (per tab, gone when
//! the tab closes), and the Canopy client whose token comes from it.
import { type CanopyClient, createCanopyClient } from "@canopy/sdk";

export interface SessionTokens {
  accessToken: string;
  refreshToken: string;
}

/** The tokens of one portal (`key` keeps the admin and customer sessions apart). */
export class SessionStore {
  private listeners = new Set<() => void>();
  constructor(
    private readonly key: string,
    private readonly storage: Storage = sessionStorage,
  ) {}

  get(): SessionTokens | undefined {
    const raw = this.storage.getItem(this.key);
    if (!raw) return undefined;
    try {
      const parsed = JSON.parse(raw) as Partial<SessionTokens>;
      return parsed.accessToken && parsed.refreshToken ? { accessToken: parsed.accessToken, refreshToken: parsed.refreshToken } : undefined;
    } catch {
      return undefined;
    }
  }

  set(tokens: SessionTokens): void {
    this.storage.setItem(this.key, JSON.stringify(tokens));
    this.notify();
  }

  clear(): void {
    this.storage.removeItem(this.key);
    this.notify();
  }

  /** For `useSyncExternalStore`. */
  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  private notify() {
    for (const listener of this.listeners) listener();
  }
}

export interface PortalClientOptions {
  baseUrl: string;
  store: SessionStore;
  /** Called when the session cannot be refreshed any more: send the user to sign-in. */
  onSessionExpired: () => void;
}

/** A Canopy client that sends the stored access token and refreshes it once on UNAUTHENTICATED. */
export function createPortalClient({ baseUrl, store, onSessionExpired }: PortalClientOptions): CanopyClient {
  // RefreshSession goes through its own anonymous client: through `client` itself, a
  // refresh refused UNAUTHENTICATED would wait on the very refresh it is part of
  // (the SDK shares one refresh between concurrent refusals) and never settle.
  const refresher = createCanopyClient({ baseUrl, defaultTimeoutMs: 30_000, getToken: () => undefined });
  return createCanopyClient({
    baseUrl,
    defaultTimeoutMs: 30_000,
    getToken: async ({ refresh }) => {
      const session = store.get();
      if (!refresh) return session?.accessToken;
      if (!session) return undefined;
      try {
        const res = await refresher.auth.refreshSession({ refreshToken: session.refreshToken });
        if (!res.session) return undefined;
        store.set({ accessToken: res.session.accessToken, refreshToken: res.session.refreshToken });
        return res.session.accessToken;
      } catch {
        return undefined;
      }
    },
    onUnauthenticated: () => {
      if (!store.get()) return; // anonymous calls (a wrong password) are not an expired session
      store.clear();
      onSessionExpired();
    },
  });
}
