//! The signed-in frame of the admin portal; without a session, sign-in (and back).
import { Link, NavLink, Outlet } from "react-router";
import { Alert, AppShell, Button, NavSpacer, ROLE, SignedInOnly, Spinner, errorMessage, roleLabel, useSignOut } from "@canopy/ui";
import { useCurrentUser } from "../hooks/use-current-user";

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
        <Link to="/" className="text-lg font-semibold">
          Canopy admin
        </Link>
      }
      nav={
        <>
          <NavLink to="/" end>
            Dashboard
          </NavLink>
          <NavLink to="/customers">Customers</NavLink>
          <NavLink to="/sites">Sites</NavLink>
          <NavLink to="/integrations">Integrations</NavLink>
          <NavLink to="/users">Users</NavLink>
          <NavLink to="/alerts">Alerts</NavLink>
          <NavLink to="/policies">Policies</NavLink>
          <NavLink to="/costs">Costs</NavLink>
          {user.data?.role === ROLE.platformAdmin && <NavLink to="/api-keys">API keys</NavLink>}
          {user.data?.role === ROLE.platformAdmin && <NavLink to="/audit">Audit log</NavLink>}
          <NavSpacer />
          {user.data && (
            <span>
              {user.data.email} <span className="text-sm">({roleLabel(user.data.role)})</span>
            </span>
          )}
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
