//! Alerts' cache, shared by both portals: pages of ListAlerts keyed by the filters
//! as the URL holds them (platform roles read every customer's, owners their own).
import { keepPreviousData, queryOptions } from "@tanstack/react-query";
import type { CanopyClient } from "@canopy/sdk";
import { alertStateFromName } from "./alert-words";

type AlertClient = Pick<CanopyClient, "alerts">;

export const ALERT_PAGE_SIZE = 20;

/** The list's filters as the URL holds them: `?state=`, `?alertname=`, `?customer=`. */
export interface AlertFilterValues {
  /** "" is firing only, or both states where `allByDefault`. */
  state: string;
  allByDefault?: boolean;
  alertname: string;
  customer: string;
}

export const alertKeys = {
  all: ["alerts"] as const,
  lists: () => [...alertKeys.all, "list"] as const,
  list: (filters: AlertFilterValues, pageToken: string, pageSize = ALERT_PAGE_SIZE) => [...alertKeys.lists(), filters, pageSize, pageToken] as const,
};

export const alertQueries = {
  /** One page of alerts, most recently started first; the previous page kept while the next loads. */
  list: (client: AlertClient, filters: AlertFilterValues, pageToken: string, pageSize = ALERT_PAGE_SIZE) =>
    queryOptions({
      queryKey: alertKeys.list(filters, pageToken, pageSize),
      queryFn: () =>
        client.alerts.listAlerts({
          customerId: filters.customer,
          state: alertStateFromName(filters.state, filters.allByDefault),
          alertname: filters.alertname,
          page: { pageSize, pageToken },
        }),
      placeholderData: keepPreviousData,
    }),
};
