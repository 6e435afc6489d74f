//! A site's cost page (GetSiteCosts): the three layers this month — estimated,
//! accrued, invoiced, each with how late its data is —, the daily accrued cost
//! against the estimate's daily share, the cost by resource type, the estimate
//! against what the cloud charged (its error in percent), and the latest estimate
//! with its lines. A sandbox site's costs are simulated, and said so.
import { useQuery } from "@tanstack/react-query";
import { type CanopyClient, cost } from "@canopy/sdk";
import {
  Alert,
  Card,
  EmptyState,
  EstimateSummary,
  SelectField,
  Spinner,
  StatusBadge,
  addDays,
  costQueries,
  dayLabel,
  errorInWords,
  errorMessage,
  formatDateTime,
  formatMicros,
  isoDay,
  layerLabel,
  layerMeaning,
  useSearchFilters,
} from "@canopy/ui";
import { DailyCostChart, RankedCostChart } from "@canopy/ui/charts";

export interface SiteCostsProps {
  client: Pick<CanopyClient, "costs">;
  siteId: string;
  /** "Today", for tests; the clock otherwise. */
  today?: Date;
}

const RANGES = [
  { value: "", label: "Last 30 days" },
  { value: "90", label: "Last 90 days" },
];

export function SiteCosts({ client, siteId, today = new Date() }: SiteCostsProps) {
  const [filters, setFilters] = useSearchFilters(["days"] as const);
  const days = filters.days === "90" ? 90 : 30;
  const endDate = isoDay(today);
  const request = { customerId: "", siteId, startDate: addDays(endDate, -(days - 1)), endDate };
  const query = useQuery(costQueries.site(client, request));

  return (
    <div className="flex flex-col gap-4">
      <div className="max-w-60">
        <SelectField label="Days shown" value={filters.days} options={RANGES} onChange={(e) => setFilters({ days: e.target.value })} />
      </div>
      {query.isPending ? (
        <Spinner label="Loading the site's costs" />
      ) : query.isError ? (
        <Alert tone="danger">{errorMessage(query.error)}</Alert>
      ) : (
        <SiteCostsBody costs={query.data} />
      )}
    </div>
  );
}

function SiteCostsBody({ costs }: { costs: cost.GetSiteCostsResponse }) {
  const currency = costs.currencyCode || "USD";
  const accrued = costs.daily.reduce((sum, d) => sum + d.accruedMicros, 0n);
  return (
    <>
      {costs.sandbox && (
        <Alert title="Simulated costs">This is a sandbox site: no cloud charges for it, and the accrued costs below are simulated from its estimate.</Alert>
      )}
      <Card title="This month">
        <ul className="m-0 grid list-none grid-cols-3 gap-4 p-0 max-sm:grid-cols-1" aria-label="Cost layers this month">
          {costs.layers.map((l) => (
            <li key={l.layer} className="flex flex-col gap-1 rounded-brand border border-line p-3" aria-label={layerLabel(l.layer)}>
              <span className="flex flex-wrap items-center gap-2 font-semibold">
                {layerLabel(l.layer)}
                {costs.sandbox && l.layer !== cost.CostLayer.ESTIMATED && <StatusBadge label="Simulated" tone="neutral" />}
              </span>
              <span className="text-2xl font-semibold">{formatMicros(l.micros, currency)}</span>
              <span className="text-sm text-muted">{layerMeaning(l.layer)}</span>
              <span className="text-sm text-muted">
                {l.lag && <>{l.lag[0]!.toUpperCase() + l.lag.slice(1)}. </>}
                {l.lastDataDate ? `Data up to ${dayLabel(l.lastDataDate)}.` : "No data yet."}
              </span>
            </li>
          ))}
        </ul>
      </Card>
      <Card>
        {costs.daily.length === 0 ? (
          <EmptyState title="No daily costs yet" description="Costs appear a day or so after the cloud reports them." />
        ) : (
          <DailyCostChart
            title={costs.sandbox ? "Daily cost (simulated)" : "Daily cost"}
            summary={`${formatMicros(accrued, currency)} accrued over ${costs.daily.length} days; the line is the estimate's share of each day.`}
            currency={currency}
            daily={costs.daily}
          />
        )}
      </Card>
      <div className="grid grid-cols-[repeat(auto-fit,minmax(280px,1fr))] gap-4">
        <Card>
          {costs.byResourceType.length === 0 ? (
            <>
              <h2 className="m-0 mb-2 text-lg font-semibold">By resource type</h2>
              <EmptyState title="Nothing accrued in these days" />
            </>
          ) : (
            <RankedCostChart
              title="By resource type"
              currency={currency}
              itemName="Resource type"
              items={costs.byResourceType.map((t) => ({ key: t.resourceType, label: t.resourceType.replaceAll("_", " "), micros: t.micros }))}
            />
          )}
        </Card>
        <Card title="Estimate against actual">
          <Accuracy accuracy={costs.accuracy} currency={currency} />
        </Card>
      </div>
      <Card title="Latest estimate">
        {costs.estimate ? (
          <div className="flex flex-col gap-2">
            <p className="m-0 text-sm text-muted">Made {formatDateTime(costs.estimate.createTime)}, from the deployment&apos;s plan.</p>
            <EstimateSummary estimate={costs.estimate} linesLabel="Estimate lines" />
          </div>
        ) : (
          <EmptyState title="No estimate yet" description="Each deployment's plan is priced before it is applied." />
        )}
      </Card>
    </>
  );
}

function Accuracy({ accuracy, currency }: { accuracy: cost.EstimateAccuracy | undefined; currency: string }) {
  if (!accuracy || !accuracy.startDate) return <p className="m-0 text-muted">Nothing to compare yet: no day has both an estimate and an accrued cost.</p>;
  return (
    <div className="flex flex-col gap-2" aria-label="Estimate accuracy" role="group">
      <p className="m-0 text-sm text-muted">
        {dayLabel(accuracy.startDate)} to {dayLabel(accuracy.endDate)}
      </p>
      <dl className="m-0 grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1 [&_dd]:m-0 [&_dt]:font-semibold">
        <dt>Estimated</dt>
        <dd>{formatMicros(accuracy.estimatedMicros, currency)}</dd>
        <dt>Actual</dt>
        <dd>{formatMicros(accuracy.actualMicros, currency)}</dd>
        <dt>Error</dt>
        <dd>{accuracy.errorPercent === undefined ? "Nothing accrued to compare with" : errorInWords(accuracy.errorPercent)}</dd>
      </dl>
    </div>
  );
}
