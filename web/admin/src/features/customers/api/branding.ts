//! A customer's branding (GetCustomerBranding) and its stored logo and favicon
//! (GetBrandingAsset, as data URLs), and `useStoreBranding`, which puts what a
//! change answered into the cache instead of fetching it again.
import { queryOptions, useQueryClient } from "@tanstack/react-query";
import { type CanopyClient, tenancy } from "@canopy/sdk";

type BrandingClient = Pick<CanopyClient, "branding">;

/** Image bytes as a `data:` URL (no object URL to revoke; at most 512 KiB). */
export function dataUrl(contentType: string, data: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < data.length; i += 0x8000) binary += String.fromCharCode(...data.subarray(i, i + 0x8000));
  return `data:${contentType};base64,${btoa(binary)}`;
}

export const brandingKeys = {
  ofCustomer: (customerId: string) => ["customer-branding", customerId] as const,
  /** The branding's update time is part of the key: a changed branding fetches its images again. */
  asset: (branding: tenancy.Branding, kind: tenancy.AssetKind) => ["branding-asset", branding.customerId, kind, String(branding.updateTime?.seconds ?? 0n)] as const,
};

export const brandingQueries = {
  ofCustomer: (client: BrandingClient, customerId: string) =>
    queryOptions({
      queryKey: brandingKeys.ofCustomer(customerId),
      queryFn: async () => (await client.branding.getCustomerBranding({ customerId })).branding!,
    }),
  /** The image's data URL; not fetched when none is stored. */
  asset: (client: BrandingClient, branding: tenancy.Branding, kind: tenancy.AssetKind) =>
    queryOptions({
      queryKey: brandingKeys.asset(branding, kind),
      queryFn: async () => {
        const res = await client.branding.getBrandingAsset({ customerId: branding.customerId, kind });
        return dataUrl(res.contentType, res.data);
      },
      enabled: kind === tenancy.AssetKind.LOGO ? branding.hasLogo : branding.hasFavicon,
      staleTime: Infinity,
    }),
};

/** What UpdateBranding, SetCustomDomain, VerifyCustomDomain and UploadBrandingAsset answered, into the cache. */
export function useStoreBranding(customerId: string) {
  const queryClient = useQueryClient();
  const changed = (branding: tenancy.Branding) => queryClient.setQueryData(brandingKeys.ofCustomer(customerId), branding);
  const uploaded = (kind: tenancy.AssetKind) => (branding: tenancy.Branding, image: string) => {
    // The uploaded bytes are the stored image: no need to fetch them back.
    queryClient.setQueryData(brandingKeys.asset(branding, kind), image);
    changed(branding);
  };
  return { changed, uploaded };
}
