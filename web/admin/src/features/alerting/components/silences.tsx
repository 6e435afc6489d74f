//! Silences: a new one (prefilled from `?matcher=` when "Silence" on an alert led
//! here), the list with each one's state (pending, active, expired), and
//! expiring one after a confirmation.
import { useState } from "react";
import { useSearchParams } from "react-router";
import { useQuery } from "@tanstack/react-query";
import type { CanopyClient, alerts } from "@canopy/sdk";
import { Alert, Button, Card, ConfirmDialog, EmptyState, Pager, Spinner, StatusBadge, Table, errorMessage, formatDateTime, silenceState, usePageTokens } from "@canopy/ui";
import { silenceQueries, useExpireSilence } from "../api/silences";
import { SilenceForm } from "./silence-form";

export interface SilencesProps {
  client: Pick<CanopyClient, "silences">;
}

export function Silences({ client }: SilencesProps) {
  const [params, setParams] = useSearchParams();
  const initialMatchers = params.getAll("matcher");
  const pages = usePageTokens("");
  const list = useQuery(silenceQueries.list(client, pages.pageToken));
  const expire = useExpireSilence(client);
  const [confirming, setConfirming] = useState<alerts.Silence>();
  const [notice, setNotice] = useState<string>();

  const confirmExpire = async (silence: alerts.Silence) => {
    try {
      await expire.mutateAsync(silence.id);
      setConfirming(undefined);
      setNotice("The silence was expired: the alerts it muted notify again.");
    } catch {
      // Shown in the confirmation from the mutation's error.
    }
  };

  return (
    <div className="flex flex-col gap-4">
      <Card title="New silence" id="new-silence">
        <SilenceForm
          // A new "Silence" link starts a new form.
          key={initialMatchers.join("\n")}
          client={client}
          initialMatchers={initialMatchers}
          onCreated={() => {
            setNotice("The silence was created.");
            if (initialMatchers.length > 0) setParams({}, { replace: true });
          }}
        />
      </Card>
      <Card title="Silences">
        <div className="flex flex-col gap-3">
          {notice && <Alert tone="success">{notice}</Alert>}
          {confirming && (
            <ConfirmDialog
              title="Expire this silence?"
              body={`It stops muting now: ${confirming.matchers.join(", ")}.`}
              confirmLabel="Yes, expire the silence"
              cancelLabel="Keep it"
              busy={expire.isPending}
              error={expire.error ? errorMessage(expire.error) : undefined}
              onConfirm={() => void confirmExpire(confirming)}
              onCancel={() => {
                setConfirming(undefined);
                expire.reset();
              }}
            />
          )}
          {list.isPending ? (
            <Spinner label="Loading silences" />
          ) : list.isError ? (
            <Alert tone="danger">{errorMessage(list.error)}</Alert>
          ) : list.data.silences.length === 0 ? (
            <EmptyState title="No silences" description="A silence mutes the alerts matching it for a while, for every receiver." />
          ) : (
            <>
              <Table aria-label="Silences">
                <thead>
                  <tr>
                    <th>State</th>
                    <th>Matchers</th>
                    <th>Starts</th>
                    <th>Ends</th>
                    <th>Comment</th>
                    <th>Created by</th>
                    <th>
                      <span className="sr-only">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {list.data.silences.map((silence) => {
                    const state = silenceState(silence.state);
                    return (
                      <tr key={silence.id}>
                        <td>
                          <StatusBadge label={state.label} tone={state.tone} />
                        </td>
                        <td>
                          <ul aria-label="Matchers" className="m-0 flex list-none flex-wrap gap-1 p-0">
                            {silence.matchers.map((matcher) => (
                              <li key={matcher} className="rounded-brand border border-line bg-canvas px-1.5 py-0.5 font-mono text-xs break-all">
                                {matcher}
                              </li>
                            ))}
                          </ul>
                        </td>
                        <td>{formatDateTime(silence.startTime)}</td>
                        <td>{formatDateTime(silence.endTime)}</td>
                        <td>{silence.comment}</td>
                        <td className="break-all">{silence.createdBy}</td>
                        <td>
                          {state.label !== "Expired" && (
                            <Button
                              variant="secondary"
                              aria-label={`Expire silence: ${silence.comment}`}
                              disabled={confirming?.id === silence.id}
                              onClick={() => {
                                expire.reset();
                                setNotice(undefined);
                                setConfirming(silence);
                              }}
                            >
                              Expire
                            </Button>
                          )}
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </Table>
              <Pager pages={pages} page={list.data.page} noun={["silence", "silences"]} loading={list.isPlaceholderData} />
            </>
          )}
        </div>
      </Card>
    </div>
  );
}
