//! Incidents' cache: ListIncidents pages per state filter; acknowledging or
//! resolving one writes it into the page at once, then refreshes every page.
import { type QueryClient, keepPreviousData, queryOptions, useMutation, useQueryClient } from "@tanstack/react-query";
import { type CanopyClient, alerts } from "@canopy/sdk";

type IncidentClient = Pick<CanopyClient, "incidents">;

export const INCIDENT_PAGE_SIZE = 20;

/** `?state=` values. */
export const INCIDENT_STATE_FILTERS = [
  { value: "", label: "Every state" },
  { value: "triggered", label: "Triggered" },
  { value: "acknowledged", label: "Acknowledged" },
  { value: "resolved", label: "Resolved" },
];

/** The IncidentState a `?state=` value asks for; "" asks for every state. */
export function incidentStateFromName(name: string): alerts.IncidentState {
  if (name === "triggered") return alerts.IncidentState.TRIGGERED;
  if (name === "acknowledged") return alerts.IncidentState.ACKNOWLEDGED;
  if (name === "resolved") return alerts.IncidentState.RESOLVED;
  return alerts.IncidentState.UNSPECIFIED;
}

export const incidentKeys = {
  all: ["incidents"] as const,
  lists: () => [...incidentKeys.all, "list"] as const,
  list: (state: string, pageToken: string) => [...incidentKeys.lists(), state, INCIDENT_PAGE_SIZE, pageToken] as const,
};

export const incidentQueries = {
  /** One page of incidents, newest first, each with its pages. */
  list: (client: IncidentClient, state: string, pageToken: string) =>
    queryOptions({
      queryKey: incidentKeys.list(state, pageToken),
      queryFn: () => client.incidents.listIncidents({ state: incidentStateFromName(state), page: { pageSize: INCIDENT_PAGE_SIZE, pageToken } }),
      placeholderData: keepPreviousData,
    }),
};

/** The answered incident replaces the listed one in every cached page. */
function replaceListed(queryClient: QueryClient, incident: alerts.Incident | undefined) {
  if (!incident) return;
  queryClient.setQueriesData<alerts.ListIncidentsResponse>({ queryKey: incidentKeys.lists() }, (page) =>
    page ? { ...page, incidents: page.incidents.map((i) => (i.id === incident.id ? incident : i)) } : page,
  );
}

/** AcknowledgeIncident or ResolveIncident. */
export function useChangeIncident(client: IncidentClient) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async ({ incidentId, to }: { incidentId: string; to: "acknowledge" | "resolve" }) =>
      to === "acknowledge" ? (await client.incidents.acknowledgeIncident({ incidentId })).incident : (await client.incidents.resolveIncident({ incidentId })).incident,
    onSuccess: (incident) => {
      replaceListed(queryClient, incident);
      return queryClient.invalidateQueries({ queryKey: incidentKeys.all });
    },
  });
}
