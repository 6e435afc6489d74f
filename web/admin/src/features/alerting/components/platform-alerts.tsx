//! Every alert across customers and the platform: the shared list with the
//! customer filter and names, and a "Silence" link per alert that opens the
//! silence form with a matcher per label of that alert.
import { Link } from "react-router";
import type { CanopyClient, alerts } from "@canopy/sdk";
import { AlertList, matchersForAlert } from "@canopy/ui";
import { CustomerSelect } from "../../../components/customer-select";
import { useCustomerNames } from "../../../hooks/use-customer-names";

export interface PlatformAlertsProps {
  client: Pick<CanopyClient, "alerts" | "customers">;
}

/** Where "Silence" leads: the silences page with the alert's matchers as `?matcher=`. */
export function silenceLink(alert: Pick<alerts.Alert, "labels">): string {
  const params = new URLSearchParams(matchersForAlert(alert).map((matcher) => ["matcher", matcher]));
  return `/alerts/silences?${params.toString()}#new-silence`;
}

function CustomerName({ client, customerId }: { client: Pick<CanopyClient, "customers">; customerId: string }) {
  const names = useCustomerNames(client, [customerId]);
  return <Link to={`/customers/${customerId}`}>{names.get(customerId) ?? customerId}</Link>;
}

export function PlatformAlerts({ client }: PlatformAlertsProps) {
  return (
    <AlertList
      client={client}
      emptyDescription="Nothing is firing. Alerts come from Canopy's events (failed deployments and sites, suspensions, security events) and the event rules."
      customer={(alert) => <CustomerName client={client} customerId={alert.customerId} />}
      customerFilter={(value, onChange) => <CustomerSelect client={client} value={value} onChange={onChange} />}
      actions={(alert) => (
        <Link to={silenceLink(alert)} aria-label={`Silence ${alert.labels.alertname ?? alert.id}`} className="font-semibold whitespace-nowrap">
          Silence
        </Link>
      )}
    />
  );
}
