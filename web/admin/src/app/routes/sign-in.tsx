import { Navigate, useLocation, useNavigate } from "react-router";
import { useQueryClient } from "@tanstack/react-query";
import { Card, CenteredPage, SignInForm, nextPath, useCanopy, useSignedIn } from "@canopy/ui";

export function SignInRoute() {
  const { client, session } = useCanopy();
  const location = useLocation();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const signedIn = useSignedIn();
  const next = nextPath(location.search);
  if (signedIn) return <Navigate to={next} replace />;
  return (
    <CenteredPage>
      <h1 className="text-center">Canopy admin</h1>
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
    </CenteredPage>
  );
}
