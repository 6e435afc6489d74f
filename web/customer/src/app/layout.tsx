//! The signed-in frame: the branded top bar, and the guard that sends anyone
//! without a session to sign-in (and back here afterwards).
import { Link, NavLink, Outlet } from "react-router";
import { useQuery } from "@tanstack/react-query";
import { Alert, AppShell, Button, NavSpacer, ROLE, SignedInOnly, Spinner, currentUserQueries, errorMessage, useCanopy, useSignOut } from "@canopy/ui";
import { useBranding } from "../features/branding/branding-provider";

export function BrandMark() {
  const branding = useBranding();
  return (
    <span className="flex items-center gap-2 text-lg font-semibold">
      {branding.logoUrl && <img src={branding.logoUrl} alt="" className="h-7 w-auto" />}
      <span>{branding.productName}</span>
    </span>
  );
}

/** The signed-in user; `tenantId` is the customer whose portal this is. */
export function useCurrentUser() {
  const { client } = useCanopy();
  return useQuery(currentUserQueries.me(client));
}

export function SignedInLayout() {
  return (
    <SignedInOnly>
      <SignedInFrame />
    </SignedInOnly>
  );
}

function SignedInFrame() {
  const user = useCurrentUser();
  const signOut = useSignOut();
  return (
    <AppShell
      brand={
        <Link to="/">
          <BrandMark />
        </Link>
      }
      nav={
        <>
          <NavLink to="/" end>
            Sites
          </NavLink>
          <NavLink to="/budgets">Budgets</NavLink>
          <NavLink to="/policies">Policies</NavLink>
          {user.data?.role === ROLE.owner && <NavLink to="/activity">Activity</NavLink>}
          {user.data?.role === ROLE.owner && <NavLink to="/notifications">Notifications</NavLink>}
          <NavSpacer />
          <NavLink to="/account">{user.data ? user.data.displayName || user.data.email : "Account"}</NavLink>
          <Button variant="secondary" onClick={signOut}>
            Sign out
          </Button>
        </>
      }
    >
      {user.isPending ? <Spinner label="Loading your account" /> : user.isError ? <Alert tone="danger">{errorMessage(user.error)}</Alert> : <Outlet />}
    </AppShell>
  );
}
