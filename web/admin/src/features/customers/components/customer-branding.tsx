//! A customer's branding page section: the editor with its live preview (showing
//! the stored logo), the logo and favicon uploads, and the custom domain.
import { useQuery } from "@tanstack/react-query";
import { type CanopyClient, tenancy } from "@canopy/sdk";
import { Alert, Spinner, errorMessage } from "@canopy/ui";
import { brandingQueries, useStoreBranding } from "../api/branding";
import { AssetUpload } from "./branding-assets";
import { BrandingEditor } from "./branding-editor";
import { CustomDomain } from "./custom-domain";

export interface CustomerBrandingProps {
  client: Pick<CanopyClient, "branding">;
  customerId: string;
  /** Platform admins change branding; operators only see it. */
  canChange?: boolean;
}

export function CustomerBranding({ client, customerId, canChange = true }: CustomerBrandingProps) {
  const branding = useQuery(brandingQueries.ofCustomer(client, customerId));
  const { changed, uploaded } = useStoreBranding(customerId);
  if (branding.isPending) return <Spinner label="Loading branding" />;
  if (branding.isError) return <Alert tone="danger">{errorMessage(branding.error)}</Alert>;
  return (
    <div className="flex flex-col gap-6">
      <EditorWithLogo key={customerId} client={client} branding={branding.data} onSaved={changed} readOnly={!canChange} />
      <section className="flex flex-col gap-4" aria-labelledby="branding-images">
        <h3 id="branding-images" className="m-0 font-semibold">
          Logo and favicon
        </h3>
        {canChange ? (
          <div className="grid grid-cols-[repeat(auto-fit,minmax(260px,1fr))] gap-5">
            <AssetUpload client={client} branding={branding.data} kind={tenancy.AssetKind.LOGO} onUploaded={uploaded(tenancy.AssetKind.LOGO)} />
            <AssetUpload client={client} branding={branding.data} kind={tenancy.AssetKind.FAVICON} onUploaded={uploaded(tenancy.AssetKind.FAVICON)} />
          </div>
        ) : (
          <p className="m-0">
            Logo: {branding.data.hasLogo ? "stored" : "none"}; favicon: {branding.data.hasFavicon ? "stored" : "none"}.
          </p>
        )}
      </section>
      <section className="flex flex-col gap-4" aria-labelledby="branding-domain">
        <h3 id="branding-domain" className="m-0 font-semibold">
          Portal domain
        </h3>
        <CustomDomain key={customerId} client={client} branding={branding.data} onChanged={changed} canChange={canChange} />
      </section>
    </div>
  );
}

function EditorWithLogo(props: { client: Pick<CanopyClient, "branding">; branding: tenancy.Branding; onSaved: (b: tenancy.Branding) => void; readOnly: boolean }) {
  const logo = useQuery(brandingQueries.asset(props.client, props.branding, tenancy.AssetKind.LOGO));
  return <BrandingEditor {...props} logoUrl={props.branding.hasLogo ? logo.data : undefined} />;
}
