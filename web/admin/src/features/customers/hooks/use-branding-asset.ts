//! A customer's stored logo or favicon (GetBrandingAsset) as a data URL, refetched
//! when the branding changes (its update time is part of the key).
import { useQuery } from "@tanstack/react-query";
import { type CanopyClient, tenancy } from "@canopy/sdk";

/** Image bytes as a `data:` URL (no object URL to revoke; at most 512 KiB). */
export function dataUrl(contentType: string, data: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < data.length; i += 0x8000) binary += String.fromCharCode(...data.subarray(i, i + 0x8000));
  return `data:${contentType};base64,${btoa(binary)}`;
}

export function brandingAssetKey(branding: tenancy.Branding, kind: tenancy.AssetKind) {
  return ["branding-asset", branding.customerId, kind, String(branding.updateTime?.seconds ?? 0n)] as const;
}

/** The image's data URL; undefined while loading or when none is stored. */
export function useBrandingAsset(client: Pick<CanopyClient, "branding">, branding: tenancy.Branding, kind: tenancy.AssetKind) {
  const stored = kind === tenancy.AssetKind.LOGO ? branding.hasLogo : branding.hasFavicon;
  return useQuery({
    queryKey: brandingAssetKey(branding, kind),
    queryFn: async () => {
      const res = await client.branding.getBrandingAsset({ customerId: branding.customerId, kind });
      return dataUrl(res.contentType, res.data);
    },
    enabled: stored,
    staleTime: Infinity,
  });
}
