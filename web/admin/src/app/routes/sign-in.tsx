import { CenteredPage, SignInCard } from "@canopy/ui";

export function SignInRoute() {
  return (
    <CenteredPage>
      <h1 className="text-center">Canopy admin</h1>
      <SignInCard />
    </CenteredPage>
  );
}
