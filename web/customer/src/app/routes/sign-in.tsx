import { CenteredPage, SignInCard } from "@canopy/ui";
import { useBranding } from "../../features/branding/branding-provider";

export function SignInRoute() {
  const branding = useBranding();
  return (
    <CenteredPage>
      <div className="mb-6 text-center">
        {branding.logoUrl && <img src={branding.logoUrl} alt={`${branding.productName} logo`} className="mx-auto mb-2 max-h-16" />}
        <h1>Sign in to {branding.productName}</h1>
      </div>
      <SignInCard />
      {branding.supportEmail && (
        <p className="mt-4 text-center">
          Need help? <a href={`mailto:${branding.supportEmail}`}>{branding.supportEmail}</a>
        </p>
      )}
    </CenteredPage>
  );
}
