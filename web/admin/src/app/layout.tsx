//! The signed-in frame of the admin portal; without a session, sign-in (and back).
import { Link, NavLink, Navigate, Outlet, useLocation, useNavigate } from "react-router";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { Alert, AppShell, Button, NavSpacer, Spinner, errorMessage, useCanopy, useSignedIn } from "@canopy/ui";

export function SignedInLayout() {
  const signedIn = useSignedIn();
  const location = useLocation();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const { client, session } = useCanopy();
  const user = useQuery({ queryKey: ["current-user"], queryFn: async () => (await client.auth.getCurrentUser({})).user!, enabled: signedIn });
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
          <NavLink to="/">Customers</NavLink>
          <NavSpacer />
          {user.data && <span>{user.data.email}</span>}
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
