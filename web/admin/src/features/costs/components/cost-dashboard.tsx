//! The platform's cost dashboard: a period (presets or custom days), a customer and
//! a provider, all in the URL; the range's total and its change against the
//! previous period of the same length; spend over time stacked by provider (by day,
//! or by month for ranges over 92 days); the top customers and sites; the forecast
//! for this month and the next three with its interval (or why there is none);
//! budgets across customers; and the CSV export of the same costs.
import type { ReactNode } from "react";
import { Link } from "react-router";
import { type UseQueryResult, useQuery } from "@tanstack/react-query";
import { type CanopyClient, cost } from "@canopy/sdk";
import {
  Alert,
  BudgetTable,
  Card,
  CostExport,
  EmptyState,
  PROVIDERS,
  Pager,
  SelectField,
  Spinner,
  TextField,
  budgetQueries,
  changeInWords,
  costQueries,
  dayLabel,
  errorMessage,
  forecastMethodLabel,
  formatMicros,
  noForecastReason,
} from "@canopy/ui";
import { ForecastChart, RankedCostChart, StackedCostChart } from "@canopy/ui/charts";
import { CustomerSelect } from "../../../components/customer-select";
import { useCustomerNames } from "../../../hooks/use-customer-names";
import { usePagedList } from "../../../hooks/use-paged-list";
import { PERIODS, useCostFilters } from "../cost-filters";

export interface CostDashboardProps {
  client: Pick<CanopyClient, "costs" | "budgets" | "customers">;
  /** "Today", for tests; the clock otherwise. */
  today?: Date;
}

/** A card's body for one query: a spinner, the error in words, or `children`. */
function Loaded<T>({ query, label, children }: { query: UseQueryResult<T>; label: string; children: (data: T) => ReactNode }) {
  if (query.isPending) return <Spinner label={label} />;
  if (query.isError) return <Alert tone="danger">{errorMessage(query.error)}</Alert>;
  return <>{children(query.data)}</>;
}

const TOP = 10;

export function CostDashboard({ client, today }: CostDashboardProps) {
  const { values, setValues, range, filter, granularity } = useCostFilters(today);
  const monthly = granularity === cost.Granularity.MONTH;
  const byProvider = useQuery(costQueries.report(client, { filter, granularity, groupBy: cost.Dimension.PROVIDER, limit: TOP }));
  const byCustomer = useQuery(costQueries.report(client, { filter, granularity: cost.Granularity.MONTH, groupBy: cost.Dimension.CUSTOMER, limit: TOP }));
  const bySite = useQuery(costQueries.report(client, { filter, granularity: cost.Granularity.MONTH, groupBy: cost.Dimension.SITE, limit: TOP }));
  const forecast = useQuery(costQueries.forecast(client, { customerId: filter.customerId, provider: filter.provider }));
  const rangeText = `${dayLabel(range.startDate)} to ${dayLabel(range.endDate)}`;

  return (
    <div className="flex flex-col gap-4">
      <form role="search" aria-label="Cost filters" className="flex flex-wrap items-end gap-3 max-sm:flex-col max-sm:items-stretch" onSubmit={(e) => e.preventDefault()}>
        <div className="min-w-44">
          <SelectField label="Period" value={values.period} options={PERIODS} onChange={(e) => setValues({ period: e.target.value, ...(e.target.value === "custom" ? customRangeFrom(range) : { from: "", to: "" }) })} />
        </div>
        {values.period === "custom" && (
          <>
            <div className="min-w-40">
              <TextField label="From" type="date" value={values.from || range.startDate} max={values.to || undefined} onChange={(e) => setValues({ from: e.target.value })} />
            </div>
            <div className="min-w-40">
              <TextField label="To" type="date" value={values.to || range.endDate} min={values.from || undefined} onChange={(e) => setValues({ to: e.target.value })} />
            </div>
          </>
        )}
        <div className="min-w-48">
          <CustomerSelect client={client} value={values.customer} onChange={(customer) => setValues({ customer })} />
        </div>
        <div className="min-w-40">
          <SelectField label="Provider" value={values.provider} options={PROVIDERS} placeholder="All providers" onChange={(e) => setValues({ provider: e.target.value })} />
        </div>
      </form>

      <Card title="Total" aria-label="Total">
        <Loaded query={byProvider} label="Loading the total">
          {(report) => <Total report={report} rangeText={rangeText} />}
        </Loaded>
        <div className="mt-3">
          <CostExport client={client} filter={filter} />
        </div>
      </Card>

      <Card>
        <Loaded query={byProvider} label="Loading spend over time">
          {(report) =>
            report.periods.length === 0 ? (
              <EmptyState title="No costs in this period" description="Costs appear a day or so after the clouds report them; sandbox sites' costs are simulated daily." />
            ) : (
              <StackedCostChart
                title={`Spend over time by provider, ${monthly ? "month by month" : "day by day"}`}
                summary={
                  report.totalMicros === 0n && report.series.length === 0
                    ? `No costs from ${rangeText} yet: they appear a day or so after the clouds report them.`
                    : `${formatMicros(report.totalMicros, report.currencyCode)} from ${rangeText}.`
                }
                currency={report.currencyCode}
                periods={report.periods}
                series={report.series}
                monthly={monthly}
              />
            )
          }
        </Loaded>
      </Card>

      <div className="grid grid-cols-[repeat(auto-fit,minmax(280px,1fr))] gap-4">
        <Card>
          <Loaded query={byCustomer} label="Loading the top customers">
            {(report) => <TopCustomers client={client} report={report} />}
          </Loaded>
        </Card>
        <Card>
          <Loaded query={bySite} label="Loading the top sites">
            {(report) => <Ranked report={report} title="Top sites" itemName="Site" />}
          </Loaded>
        </Card>
      </div>

      <Card title="Forecast">
        <Loaded query={forecast} label="Loading the forecast">
          {(f) => <Forecast forecast={f} />}
        </Loaded>
      </Card>

      <Budgets client={client} customerId={values.customer} />
    </div>
  );
}

/** The custom range starts from the preset's days, so choosing "Custom dates" changes nothing until a date does. */
const customRangeFrom = (range: { startDate: string; endDate: string }) => ({ from: range.startDate, to: range.endDate });

function Total({ report, rangeText }: { report: cost.GetCostReportResponse; rangeText: string }) {
  const change = changeInWords(report.changePercent);
  return (
    <div className="flex flex-col gap-1">
      <p className="m-0">
        <strong className="text-3xl">{formatMicros(report.totalMicros, report.currencyCode)}</strong> <span className="text-muted">from {rangeText}</span>
      </p>
      <p className="m-0" aria-label="Change against the previous period">
        {change ? (
          <>
            <strong className={(report.changePercent ?? 0) > 0 ? "text-warning" : "text-success"}>{change[0]!.toUpperCase() + change.slice(1)}</strong> on the previous period of the same length (
            {formatMicros(report.previousTotalMicros, report.currencyCode)}).
          </>
        ) : (
          <span className="text-muted">No change to show: the previous period of the same length cost nothing.</span>
        )}
      </p>
    </div>
  );
}

/** The top customers, named: the cost service knows customers by id only. */
function TopCustomers({ client, report }: { client: Pick<CanopyClient, "customers">; report: cost.GetCostReportResponse }) {
  // "other" and "unattributed" are groups, not customers.
  const names = useCustomerNames(client, report.series.map((s) => s.group).filter((group) => /^[0-9a-f-]{36}$/.test(group)));
  return <Ranked report={report} title="Top customers" itemName="Customer" label={(s) => names.get(s.group)} />;
}

function Ranked({
  report,
  title,
  itemName,
  label,
}: {
  report: cost.GetCostReportResponse;
  title: string;
  itemName: string;
  label?: (series: cost.CostSeries) => string | undefined;
}) {
  if (report.series.length === 0)
    return (
      <>
        <h2 className="m-0 mb-2 text-lg font-semibold">{title}</h2>
        <EmptyState title="No costs in this period" />
      </>
    );
  return (
    <RankedCostChart
      title={title}
      summary={`The ${Math.min(report.series.length, TOP)} largest of ${formatMicros(report.totalMicros, report.currencyCode)}${report.series.some((s) => s.group === "other") ? "; the rest as “other”" : ""}.`}
      currency={report.currencyCode}
      itemName={itemName}
      items={report.series.map((s) => ({ key: s.group, label: label?.(s) ?? (s.label || s.group), micros: s.totalMicros }))}
    />
  );
}

function Forecast({ forecast }: { forecast: cost.GetCostForecastResponse }) {
  if (forecast.method === cost.ForecastMethod.UNSPECIFIED || !forecast.endOfMonth) {
    return (
      <div className="flex flex-col gap-2" role="status">
        <p className="m-0 font-semibold">No forecast yet</p>
        <p className="m-0 text-muted">{noForecastReason(forecast)}</p>
        <p className="m-0 text-sm text-muted">So far this month: {formatMicros(forecast.monthToDateMicros, forecast.currencyCode)}.</p>
      </div>
    );
  }
  const month = forecast.endOfMonth;
  return (
    <ForecastChart
      title="This month and the next three"
      summary={
        <>
          This month: {formatMicros(month.expectedMicros, forecast.currencyCode)} expected ({formatMicros(forecast.monthToDateMicros, forecast.currencyCode)} so far), likely between{" "}
          {formatMicros(month.lowMicros, forecast.currencyCode)} and {formatMicros(month.highMicros, forecast.currencyCode)}. {forecastMethodLabel(forecast.method)}, from {forecast.daysOfData} days of data up to{" "}
          {dayLabel(forecast.lastDataDate)}.
        </>
      }
      forecast={forecast}
    />
  );
}

function Budgets({ client, customerId }: { client: Pick<CanopyClient, "budgets" | "customers">; customerId: string }) {
  const { pages, query } = usePagedList({ customerId, siteId: "" }, (r) => budgetQueries.list(client, r));
  const budgets = query.data?.budgets ?? [];
  const names = useCustomerNames(client, budgets.map((b) => b.customerId));
  return (
    <Card title="Budgets">
      {query.isPending ? (
        <Spinner label="Loading budgets" />
      ) : query.isError ? (
        <Alert tone="danger">{errorMessage(query.error)}</Alert>
      ) : budgets.length === 0 ? (
        <EmptyState title="No budgets" description="Customers' owners set monthly budgets in their portal; each threshold alerts once a month." />
      ) : (
        <div className="flex flex-col gap-3">
          <BudgetTable budgets={budgets} customer={(b) => <Link to={`/customers/${b.customerId}`}>{names.get(b.customerId) ?? b.customerId}</Link>} />
          <Pager pages={pages} page={query.data?.page} noun={["budget", "budgets"]} loading={query.isPlaceholderData} label="Budget pages" />
        </div>
      )}
    </Card>
  );
}
