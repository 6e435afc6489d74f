//! This month's cost so far and the forecast for the whole month (GetCostForecast),
//! as two figures for a dashboard; without a forecast, the reason in words.
import { useQuery } from "@tanstack/react-query";
import { type CanopyClient, cost } from "@canopy/sdk";
import { Alert } from "../components/alert";
import { Spinner } from "../components/spinner";
import { errorMessage } from "../session/error-message";
import { costQueries } from "./cost-queries";
import { dayLabel, formatMicros, noForecastReason } from "./cost-words";

export interface MonthCostProps {
  client: Pick<CanopyClient, "costs">;
  /** The customer; "" for the caller's own (a customer) or every customer (the platform). */
  customerId?: string;
}

export function MonthCost({ client, customerId = "" }: MonthCostProps) {
  const forecast = useQuery(costQueries.forecast(client, { customerId }));
  if (forecast.isPending) return <Spinner label="Loading this month's cost" />;
  if (forecast.isError) return <Alert tone="danger">{errorMessage(forecast.error)}</Alert>;
  const f = forecast.data;
  const currency = f.currencyCode || "USD";
  const month = f.endOfMonth;
  const has = f.method !== cost.ForecastMethod.UNSPECIFIED && month !== undefined;
  return (
    <dl className="m-0 grid grid-cols-2 gap-4 max-sm:grid-cols-1 [&_dd]:m-0 [&_dt]:text-sm [&_dt]:text-muted" aria-label="This month's cost">
      <div>
        <dt>This month so far</dt>
        <dd className="text-2xl font-semibold">{formatMicros(f.monthToDateMicros, currency)}</dd>
        {f.lastDataDate && <dd className="text-sm text-muted">Costs up to {dayLabel(f.lastDataDate)}</dd>}
      </div>
      <div>
        <dt>Forecast for the month</dt>
        {has ? (
          <>
            <dd className="text-2xl font-semibold">{formatMicros(month.expectedMicros, currency)}</dd>
            <dd className="text-sm text-muted">
              Likely between {formatMicros(month.lowMicros, currency)} and {formatMicros(month.highMicros, currency)}
            </dd>
          </>
        ) : (
          <dd className="text-muted">{noForecastReason(f)}</dd>
        )}
      </div>
    </dl>
  );
}
