//! A site page's live deployment, the same in both portals: the newest deployment
//! (or one the page just started), watched over WatchDeployment; when it finishes,
//! everything that shows the site, its deployments or the fleet is fetched again.
import { useQuery } from "@tanstack/react-query";
import { type CanopyClient, sites } from "@canopy/sdk";
import { deploymentQueries, useRefreshSite } from "./site-queries";
import { type DeploymentWatch, useDeploymentWatch } from "./use-deployment-watch";

export interface LiveDeployment {
  /** The watched deployment's id; undefined while loading or when the site has none. */
  deploymentId?: string;
  /** Its listed record (kind, cancel requested), once the list has it. */
  listed?: sites.Deployment;
  watch: DeploymentWatch;
  /** The stream's status, the freshest; before its first event, the listed one. */
  status: sites.DeploymentStatus;
  /** Whether the newest deployment is still being looked up, or failed to be. */
  loading: boolean;
  error: unknown;
  /** Fetches the site, its deployments and the fleet summaries again. */
  refresh: () => void;
}

/** `started`: a deployment the page just started, watched before the list shows it. */
export function useLiveDeployment(client: Pick<CanopyClient, "sites">, siteId: string, started?: string): LiveDeployment {
  const newest = useQuery(deploymentQueries.newest(client, siteId));
  const first = newest.data?.deployments[0];
  const deploymentId = started ?? first?.id;
  const refresh = useRefreshSite(siteId);
  const watch = useDeploymentWatch(client, deploymentId, refresh);
  const listed = first?.id === deploymentId ? first : undefined;
  const status = watch.status !== sites.DeploymentStatus.UNSPECIFIED ? watch.status : (listed?.status ?? sites.DeploymentStatus.UNSPECIFIED);
  return { deploymentId, listed, watch, status, loading: newest.isPending, error: newest.error, refresh };
}
