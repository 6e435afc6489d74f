//! The signed-in frame: the branded top bar, and the guard that sends anyone
//! without a session to sign-in (and back here afterwards).
import { Link, Navigate, Outlet, useLocation, useNavigate } from "react-router";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { Alert, Button, Spinner, errorMessage } from "@canopy/ui";
import { useBranding } from "../features/branding/branding-provider";
import { useCanopy, useSignedIn } from "@canopy/ui";

export function BrandMark() {
  const branding = useBranding();
  return (
    <span className="cn-topbar__brand">
      {branding.logoUrl && <img src={branding.logoUrl} alt="" />}
      <span>{branding.productName}</span>
    </span>
  );
}

/** The signed-in user; `tenantId` is the customer whose portal this is. */
export function useCurrentUser(enabled = true) {
  const { client } = useCanopy();
  return useQuery({ queryKey: ["current-user"], queryFn: async () => (await client.auth.getCurrentUser({})).user!, enabled });
}

export function SignedInLayout() {
  const signedIn = useSignedIn();
  const location = useLocation();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const { client, session } = useCanopy();
  const user = useCurrentUser(signedIn);

  if (!signedIn) {
    const next = `${location.pathname}${location.search}`;
    return <Navigate to={`/sign-in?next=${encodeURIComponent(next)}`} replace />;
  }
  const signOut = async () => {
    await client.auth.logout({}).catch(() => undefined);
    session.clear();
    queryClient.clear();
    navigate("/sign-in");
  };
  return (
    <div className="cn-shell">
      <nav className="cn-topbar" aria-label="Main">
        <Link to="/">
          <BrandMark />
        </Link>
        <Link to="/">Sites</Link>
        <span className="cn-topbar__spacer" />
        <Link to="/account">{user.data ? user.data.displayName || user.data.email : "Account"}</Link>
        <Button variant="secondary" onClick={signOut}>
          Sign out
        </Button>
      </nav>
      <main className="cn-main">
        {user.isPending ? (
          <Spinner label="Loading your account" />
        ) : user.isError ? (
          <Alert tone="danger">{errorMessage(user.error)}</Alert>
        ) : (
          <Outlet />
        )}
      </main>
    </div>
  );
}
