import { Navigate, useLocation, useNavigate } from "react-router";
import { useQueryClient } from "@tanstack/react-query";
import { Card, SignInForm } from "@canopy/ui";
import { useBranding } from "../../features/branding/branding-provider";
import { nextPath, useCanopy, useSignedIn } from "@canopy/ui";

export function SignInRoute() {
  const { client, session } = useCanopy();
  const branding = useBranding();
  const location = useLocation();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const signedIn = useSignedIn();
  const next = nextPath(location.search);
  if (signedIn) return <Navigate to={next} replace />;
  return (
    <main className="cn-centered">
      <div style={{ textAlign: "center", marginBottom: "1.5rem" }}>
        {branding.logoUrl && <img src={branding.logoUrl} alt={`${branding.productName} logo`} style={{ maxHeight: 64 }} />}
        <h1>Sign in to {branding.productName}</h1>
      </div>
      <Card>
        <SignInForm
          client={client}
          onSignedIn={(tokens) => {
            queryClient.removeQueries({ queryKey: ["current-user"] });
            session.set(tokens);
            navigate(next, { replace: true });
          }}
        />
      </Card>
      {branding.supportEmail && (
        <p style={{ textAlign: "center" }}>
          Need help? <a href={`mailto:${branding.supportEmail}`}>{branding.supportEmail}</a>
        </p>
      )}
    </main>
  );
}
