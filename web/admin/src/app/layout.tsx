//! The signed-in frame of the admin portal; without a session, sign-in (and back).
import { Link, NavLink, Navigate, Outlet, useLocation, useNavigate } from "react-router";
import { useQueryClient } from "@tanstack/react-query";
import { Alert, AppShell, Button, NavSpacer, ROLE, Spinner, errorMessage, roleLabel, useCanopy, useSignedIn } from "@canopy/ui";
import { useCurrentUser } from "../hooks/use-current-user";

export function SignedInLayout() {
  const signedIn = useSignedIn();
  const location = useLocation();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const { client, session } = useCanopy();
  const user = useCurrentUser();
  if (!signedIn) return <Navigate to={`/sign-in?next=${encodeURIComponent(location.pathname + location.search)}`} replace />;
  const signOut = async () => {
    await client.auth.logout({}).catch(() => undefined);
    session.clear();
    queryClient.clear();
    navigate("/sign-in");
  };
  return (
    <AppShell
      nav={
        <>
          <Link to="/" className="text-lg font-semibold">
            Canopy admin
          </Link>
          <NavLink to="/" end>
            Dashboard
          </NavLink>
          <NavLink to="/customers">Customers</NavLink>
          <NavLink to="/sites">Sites</NavLink>
          <NavLink to="/users">Users</NavLink>
          {user.data?.role === ROLE.platformAdmin && <NavLink to="/api-keys">API keys</NavLink>}
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
