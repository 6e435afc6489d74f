//! A customer's usage against its effective limits (PlanService.GetUsage).
import { useQuery } from "@tanstack/react-query";
import type { CanopyClient } from "@canopy/sdk";
import { Alert, Progress, Spinner, errorMessage } from "@canopy/ui";
import { customerPageQueries } from "../api/customers";

export interface UsageProps {
  client: Pick<CanopyClient, "plans">;
  customerId: string;
}

function Meter({ label, used, limit }: { label: string; used: number; limit: number }) {
  return (
    <div className="flex flex-col gap-1">
      <span>
        {label}: <strong>{used}</strong> {limit > 0 ? `of ${limit}` : "(no limit)"}
      </span>
      {limit > 0 && <Progress label={label} value={Math.min(100, Math.round((used / limit) * 100))} />}
    </div>
  );
}

export function Usage({ client, customerId }: UsageProps) {
  const usage = useQuery(customerPageQueries.usage(client, customerId));
  if (usage.isPending) return <Spinner label="Loading usage" />;
  if (usage.isError) return <Alert tone="danger">{errorMessage(usage.error)}</Alert>;
  const limits = usage.data.effectiveLimits;
  return (
    <div className="flex flex-col gap-4">
      <Meter label="Sites" used={usage.data.sitesUsed} limit={limits?.maxSites ?? 0} />
      <Meter label="Deployments this month" used={usage.data.deploymentsThisMonth} limit={limits?.maxDeploymentsPerMonth ?? 0} />
    </div>
  );
}
