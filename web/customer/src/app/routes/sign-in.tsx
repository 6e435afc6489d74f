import { Navigate, useLocation, useNavigate } from "react-router";
import { useQueryClient } from "@tanstack/react-query";
import { Card, CenteredPage, SignInForm } from "@canopy/ui";
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
    <CenteredPage>
      <div className="mb-6 text-center">
        {branding.logoUrl && <img src={branding.logoUrl} alt={`${branding.productName} logo`} className="mx-auto mb-2 max-h-16" />}
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
        <p className="mt-4 text-center">
          Need help? <a href={`mailto:${branding.supportEmail}`}>{branding.supportEmail}</a>
        </p>
      )}
    </CenteredPage>
  );
}
