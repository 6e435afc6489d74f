//! Getting in and out, the same in both portals: without a session, go to sign-in
//! and come back here afterwards; signing in goes on to where the user was going;
//! signing out ends the session on the server, forgets the tokens and every cached
//! answer.
import type { ReactNode } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { Navigate, useLocation, useNavigate } from "react-router";
import { Card } from "../components/card";
import { currentUserKeys } from "./current-user";
import { nextPath, useCanopy, useSignedIn } from "./portal-context";
import { SignInForm } from "./sign-in-form";

/** Renders `children` only with a session; otherwise sends the user to `/sign-in?next=<here>`. */
export function SignedInOnly({ children }: { children: ReactNode }) {
  const signedIn = useSignedIn();
  const location = useLocation();
  if (!signedIn) return <Navigate to={`/sign-in?next=${encodeURIComponent(location.pathname + location.search)}`} replace />;
  return <>{children}</>;
}

/** Signs out: Logout (a failure still signs out here), then to `/sign-in`. */
export function useSignOut(): () => Promise<void> {
  const { client, session } = useCanopy();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  return async () => {
    await client.auth.logout({}).catch(() => undefined);
    session.clear();
    queryClient.clear();
    await navigate("/sign-in");
  };
}

/** The sign-in page's form: once signed in (or already), on to `?next=` or `/`. */
export function SignInCard() {
  const { client, session } = useCanopy();
  const location = useLocation();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const signedIn = useSignedIn();
  const next = nextPath(location.search);
  if (signedIn) return <Navigate to={next} replace />;
  return (
    <Card>
      <SignInForm
        client={client}
        onSignedIn={(tokens) => {
          // Whoever was signed in before in this tab is not this user.
          queryClient.removeQueries({ queryKey: currentUserKeys.all });
          session.set(tokens);
          void navigate(next, { replace: true });
        }}
      />
    </Card>
  );
}
