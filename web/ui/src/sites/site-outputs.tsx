import type { sites } from "@canopy/sdk";
import { DescriptionList } from "../components/description-list";
import { EmptyState } from "../components/empty-state";
import { UrlText } from "../components/url-text";

/** What provisioning produced (URL, addresses, database, bucket), or that there is nothing yet. */
export function SiteOutputs({ outputs }: { outputs: sites.SiteOutputs | undefined }) {
  if (!outputs || (!outputs.url && outputs.publicAddresses.length === 0)) {
    return <EmptyState title="No outputs yet" description="They appear when the site is running." />;
  }
  return (
    <DescriptionList aria-label="Site outputs">
      {outputs.url && (
        <>
          <dt>URL</dt>
          <dd>
            <a href={outputs.url} target="_blank" rel="noreferrer">
              <UrlText text={outputs.url} />
            </a>
          </dd>
        </>
      )}
      {outputs.publicAddresses.length > 0 && (
        <>
          <dt>Public addresses</dt>
          <dd>{outputs.publicAddresses.join(", ")}</dd>
        </>
      )}
      {outputs.databaseEndpoint && (
        <>
          <dt>Database</dt>
          <dd>{outputs.databaseEndpoint}</dd>
        </>
      )}
      {outputs.storageBucket && (
        <>
          <dt>Storage bucket</dt>
          <dd>{outputs.storageBucket}</dd>
        </>
      )}
    </DescriptionList>
  );
}
