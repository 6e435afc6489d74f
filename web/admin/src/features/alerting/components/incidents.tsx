//! Incidents: each with its escalation policy, state, who acknowledged it and the
//! pages it sent; acknowledge (stops paging), resolve after a confirmation. The
//! state filter is in the URL.
import { useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { type CanopyClient, alerts } from "@canopy/sdk";
import {
  Alert,
  Button,
  ConfirmDialog,
  EmptyState,
  Pager,
  SelectField,
  Spinner,
  StatusBadge,
  Table,
  errorMessage,
  formatDateTime,
  incidentState,
  usePageTokens,
  useSearchFilters,
} from "@canopy/ui";
import { INCIDENT_STATE_FILTERS, incidentQueries, useChangeIncident } from "../api/incidents";

type Client = Pick<CanopyClient, "incidents">;

function pageText(page: alerts.Page): string {
  const whom = page.receiver ? `receiver ${page.receiver}` : page.userId ? `user ${page.userId}` : page.nobodyOnCallSchedule ? `nobody (no one on call on ${page.nobodyOnCallSchedule})` : "nobody";
  return `Step ${page.step + 1}${page.pass > 0 ? `, pass ${page.pass + 1}` : ""}: ${whom}, ${formatDateTime(page.pageTime)}`;
}

export function Incidents({ client }: { client: Client }) {
  const [filters, setFilters] = useSearchFilters(["state"] as const);
  const pages = usePageTokens(filters.state);
  const list = useQuery(incidentQueries.list(client, filters.state, pages.pageToken));
  const change = useChangeIncident(client);
  const [resolving, setResolving] = useState<alerts.Incident>();
  const [failure, setFailure] = useState<string>();

  const act = async (incident: alerts.Incident, to: "acknowledge" | "resolve") => {
    setFailure(undefined);
    try {
      await change.mutateAsync({ incidentId: incident.id, to });
      setResolving(undefined);
    } catch (e) {
      setFailure(errorMessage(e));
    }
  };

  return (
    <div className="flex flex-col gap-3">
      <div className="max-w-80">
        <SelectField label="State" value={filters.state} options={INCIDENT_STATE_FILTERS} onChange={(e) => setFilters({ state: e.target.value })} />
      </div>
      {failure && !resolving && <Alert tone="danger">{failure}</Alert>}
      {resolving && (
        <ConfirmDialog
          title="Resolve this incident?"
          body={`${resolving.summary}: paging stops and the incident is closed.`}
          confirmLabel="Yes, resolve the incident"
          busy={change.isPending}
          error={failure}
          onConfirm={() => void act(resolving, "resolve")}
          onCancel={() => {
            setResolving(undefined);
            setFailure(undefined);
          }}
        />
      )}
      {list.isPending ? (
        <Spinner label="Loading incidents" />
      ) : list.isError ? (
        <Alert tone="danger">{errorMessage(list.error)}</Alert>
      ) : list.data.incidents.length === 0 ? (
        <EmptyState title={filters.state ? "No incidents match" : "No incidents"} description="A receiver of the Escalation kind opens an incident for a firing alert group." />
      ) : (
        <>
          <Table aria-label="Incidents">
            <thead>
              <tr>
                <th>Incident</th>
                <th>State</th>
                <th>Policy</th>
                <th>Triggered</th>
                <th>Acknowledged</th>
                <th>Pages</th>
                <th>
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.data.incidents.map((incident) => {
                const state = incidentState(incident.state);
                return (
                  <tr key={incident.id}>
                    <td className="font-mono text-sm break-all">{incident.summary}</td>
                    <td>
                      <StatusBadge label={state.label} tone={state.tone} />
                      {incident.resolveTime && <span className="block text-sm text-muted">{formatDateTime(incident.resolveTime)}</span>}
                    </td>
                    <td>{incident.escalationPolicy}</td>
                    <td>{formatDateTime(incident.triggerTime)}</td>
                    <td>{incident.acknowledgedBy ? `${incident.acknowledgedBy}, ${formatDateTime(incident.acknowledgeTime)}` : "—"}</td>
                    <td>
                      {incident.pages.length === 0 ? (
                        "None yet"
                      ) : (
                        <ul className="m-0 pl-5 text-sm" aria-label={`Pages of incident ${incident.id}`}>
                          {incident.pages.map((page) => (
                            <li key={page.id}>{pageText(page)}</li>
                          ))}
                        </ul>
                      )}
                    </td>
                    <td>
                      <div className="flex flex-wrap gap-2">
                        {incident.state === alerts.IncidentState.TRIGGERED && (
                          <Button variant="secondary" busy={change.isPending && change.variables?.incidentId === incident.id && change.variables.to === "acknowledge"} onClick={() => void act(incident, "acknowledge")}>
                            Acknowledge
                          </Button>
                        )}
                        {incident.state !== alerts.IncidentState.RESOLVED && (
                          <Button
                            variant="secondary"
                            onClick={() => {
                              setFailure(undefined);
                              setResolving(incident);
                            }}
                          >
                            Resolve
                          </Button>
                        )}
                      </div>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </Table>
          <Pager pages={pages} page={list.data.page} noun={["incident", "incidents"]} loading={list.isPlaceholderData} />
        </>
      )}
    </div>
  );
}
