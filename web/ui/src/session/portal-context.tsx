//! A portal's Canopy client and session, provided to every route.
import { createContext, useContext, useSyncExternalStore } from "react";
import type { CanopyClient } from "@canopy/sdk";
import type { SessionStore } from "./session-store";

export interface Canopy {
  client: CanopyClient;
  session: SessionStore;
}

export const CanopyContext = createContext<Canopy | undefined>(undefined);

export function useCanopy(): Canopy {
  const canopy = useContext(CanopyContext);
  if (!canopy) throw new Error("useCanopy outside CanopyContext");
  return canopy;
}

/** Whether a session is stored; re-renders on sign-in and sign-out. */
export function useSignedIn(): boolean {
  const { session } = useCanopy();
  return useSyncExternalStore(session.subscribe, () => session.get() !== undefined);
}

/** The path to come back to after signing in (`?next=`), only ever a local path. */
export function nextPath(search: string): string {
  const next = new URLSearchParams(search).get("next");
  return next && next.startsWith("/") && !next.startsWith("//") ? next : "/";
}
