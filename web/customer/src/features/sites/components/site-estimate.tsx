//! What a site being created will cost (EstimateSite), asked again a moment after
//! the provider, region, size, database or storage change: the monthly and hourly
//! totals, the lines (usage-based ones marked as assumptions), the price snapshot's
//! date and whether it is stale. The previous estimate stays shown while the next
//! one loads.
import { useQuery } from "@tanstack/react-query";
import { type CanopyClient, sites } from "@canopy/sdk";
import { EstimateSummary, type EstimateSiteRequest, Spinner, costQueries, errorMessage } from "@canopy/ui";
import { useDebouncedValue } from "../hooks/use-debounced-value";

/** How long the choices must stay put before they are priced. */
export const ESTIMATE_DEBOUNCE_MS = 400;

const SIZE_NAMES: Partial<Record<sites.SiteSize, string>> = {
  [sites.SiteSize.SMALL]: "small",
  [sites.SiteSize.MEDIUM]: "medium",
  [sites.SiteSize.LARGE]: "large",
};

export interface SiteEstimateProps {
  client: Pick<CanopyClient, "costs">;
  customerId: string;
  /** The form's choices; "" where none is made yet. */
  provider: string;
  region: string;
  size: sites.SiteSize;
  databaseEnabled: boolean;
  storageEnabled: boolean;
}

const sameRequest = (a: EstimateSiteRequest, b: EstimateSiteRequest) => JSON.stringify(a) === JSON.stringify(b);

export function SiteEstimate({ client, customerId, provider, region, size, databaseEnabled, storageEnabled }: SiteEstimateProps) {
  const request: EstimateSiteRequest = { customerId, provider: Number(provider || 0), region, size: SIZE_NAMES[size] ?? "small", databaseEnabled, storageEnabled };
  const settled = useDebouncedValue(request, ESTIMATE_DEBOUNCE_MS, sameRequest);
  const ready = settled.provider !== 0 && settled.region !== "";
  const estimate = useQuery(costQueries.estimate(client, settled, ready));
  const updating = ready && (estimate.isFetching || !sameRequest(settled, request));

  return (
    <section className="flex flex-col gap-2 rounded-brand border border-line p-3" aria-label="Estimated cost" aria-busy={updating}>
      <h2 className="m-0 flex items-center gap-2 text-base font-semibold">
        Estimated cost {updating && <Spinner size="small" label="Updating the estimate" />}
      </h2>
      {!(request.provider !== 0 && request.region !== "") ? (
        <p className="m-0 text-muted">Choose a provider and a region to see what the site will cost.</p>
      ) : estimate.isError ? (
        <p className="m-0 text-muted">No estimate: {errorMessage(estimate.error)} You can still create the site.</p>
      ) : estimate.data ? (
        <EstimateSummary estimate={estimate.data} linesLabel="What the estimate counts" />
      ) : estimate.data === null ? (
        <p className="m-0 text-muted">No estimate for these choices.</p>
      ) : (
        <p className="m-0 text-muted">Estimating…</p>
      )}
      <p className="m-0 text-sm text-muted">At list prices, before any discount; what the cloud charges shows on the site&apos;s Costs page.</p>
    </section>
  );
}
