//! The routing configuration: the route tree in force, read as a tree, and an
//! editor of the whole configuration in the proto's JSON form (field names as the
//! proto spells them, like the server's violation paths). The text is checked as
//! JSON and as a RoutingConfig before it is sent; the server's violations
//! (`config.route.routes[0].receiver: unknown receiver`) are listed beside it.
import { type FormEvent, useId, useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { type CanopyClient, alerts, fromJson, isCanopyError, toJson } from "@canopy/sdk";
import { Alert, Button, Card, Spinner, TextAreaField, errorMessage, formatDateTime } from "@canopy/ui";
import { routingQueries, useReplaceRoutingConfig } from "../api/routing";

/** What the editor starts from before the first configuration: everything to one receiver. */
const TEMPLATE = {
  route: { receiver: "ops-slack", group_by: ["alertname", "customer_id"], routes: [{ receiver: "pager", matchers: ['severity="critical"'] }] },
  inhibit_rules: [{ source_matchers: ['severity="critical"'], target_matchers: ['severity="warning"'], equal: ["alertname", "customer_id"] }],
  time_intervals: [],
};

const asText = (config: alerts.RoutingConfig | undefined) =>
  JSON.stringify(config ? toJson(alerts.RoutingConfigSchema, config, { useProtoFieldName: true }) : TEMPLATE, null, 2);

export interface RoutingEditorProps {
  client: Pick<CanopyClient, "routing">;
}

export function RoutingEditor({ client }: RoutingEditorProps) {
  const current = useQuery(routingQueries.current(client));
  const replace = useReplaceRoutingConfig(client);
  /** The text being edited; undefined shows the configuration in force. */
  const [edited, setEdited] = useState<string>();
  const [problem, setProblem] = useState<string>();
  const [violations, setViolations] = useState<{ field: string; description: string }[]>([]);
  const [saved, setSaved] = useState(false);
  const problemsId = useId();

  if (current.isPending) return <Spinner label="Loading the routing configuration" />;
  if (current.isError) return <Alert tone="danger">{errorMessage(current.error)}</Alert>;
  const text = edited ?? asText(current.data.config);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setProblem(undefined);
    setViolations([]);
    setSaved(false);
    let config: alerts.RoutingConfig;
    try {
      config = fromJson(alerts.RoutingConfigSchema, JSON.parse(text) as Parameters<typeof fromJson>[1]);
    } catch (e) {
      setProblem(`This is not a routing configuration: ${(e as Error).message}`);
      return;
    }
    try {
      await replace.mutateAsync(config);
      setEdited(undefined);
      setSaved(true);
    } catch (e) {
      if (isCanopyError(e) && e.fieldViolations.length > 0) {
        setViolations(e.fieldViolations.map((v) => ({ field: v.field, description: v.description })));
        setProblem(`The server refused the configuration: ${e.fieldViolations.length === 1 ? "one problem" : `${e.fieldViolations.length} problems`}, listed below.`);
      } else {
        setProblem(errorMessage(e));
      }
    }
  };

  return (
    <div className="flex flex-col gap-4">
      <Card title="In force">
        {current.data.config?.route ? (
          <div className="flex flex-col gap-2">
            <p className="m-0 text-muted">Since {formatDateTime(current.data.updateTime)}.</p>
            <RouteTree route={current.data.config.route} root />
            <p className="m-0">
              {current.data.config.inhibitRules.length} inhibit rule(s), {current.data.config.timeIntervals.length} time interval(s):{" "}
              {current.data.config.timeIntervals.map((t) => t.name).join(", ") || "none"}.
            </p>
          </div>
        ) : (
          <p className="m-0">No routing configuration yet: platform alerts are recorded and listed, but sent nowhere. Customers&apos; own receivers get their alerts regardless.</p>
        )}
      </Card>
      <Card title="Edit">
        <form className="flex flex-col gap-3" aria-label="Routing configuration" onSubmit={(e) => void submit(e)} noValidate>
          {saved && <Alert tone="success">The configuration was saved and is in force.</Alert>}
          <TextAreaField
            label="Configuration (JSON)"
            code
            rows={Math.min(30, Math.max(12, text.split("\n").length))}
            spellCheck={false}
            hint="The proto's JSON form: route (receiver, matchers, group_by, group_wait as “30s”, routes, …), inhibit_rules and time_intervals. Receivers are named as on the Receivers page."
            value={text}
            onChange={(e) => {
              setEdited(e.target.value);
              setSaved(false);
            }}
            error={problem}
          />
          {violations.length > 0 && (
            <div id={problemsId} role="region" aria-label="Problems">
              <ul className="m-0 flex flex-col gap-1 pl-5 text-danger">
                {violations.map((v) => (
                  <li key={`${v.field}:${v.description}`}>
                    <code className="font-mono">{v.field}</code>: {v.description}
                  </li>
                ))}
              </ul>
            </div>
          )}
          <div className="flex flex-wrap gap-3">
            <Button type="submit" busy={replace.isPending}>
              {replace.isPending ? "Saving…" : "Save configuration"}
            </Button>
            {edited !== undefined && (
              <Button
                variant="secondary"
                onClick={() => {
                  setEdited(undefined);
                  setProblem(undefined);
                  setViolations([]);
                }}
              >
                Discard changes
              </Button>
            )}
          </div>
        </form>
      </Card>
    </div>
  );
}

/** A route and its children as nested lists: receiver, matchers, grouping. */
function RouteTree({ route, root = false }: { route: alerts.Route; root?: boolean }) {
  return (
    <div className="flex flex-col gap-1">
      <p className="m-0">
        <span className="font-semibold">{root ? "Every alert" : route.matchers.map((m) => m).join(", ") || "Every alert"}</span>
        {" → "}
        {route.receiver ? <code className="font-mono">{route.receiver}</code> : <span className="text-muted">parent&apos;s receiver</span>}
        {route.groupBy.length > 0 && <span className="text-muted"> · grouped by {route.groupBy.join(", ")}</span>}
        {route.continue && <span className="text-muted"> · continues</span>}
        {route.muteTimeIntervals.length > 0 && <span className="text-muted"> · muted during {route.muteTimeIntervals.join(", ")}</span>}
        {route.activeTimeIntervals.length > 0 && <span className="text-muted"> · active during {route.activeTimeIntervals.join(", ")}</span>}
      </p>
      {route.routes.length > 0 && (
        <ul className="m-0 flex flex-col gap-1 border-l border-line pl-4" aria-label={root ? "Routes" : undefined}>
          {route.routes.map((child, i) => (
            <li key={i} className="list-none">
              <RouteTree route={child} />
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
