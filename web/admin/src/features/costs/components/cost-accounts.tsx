//! The provider accounts costs are collected from (ListCostAccounts): the status of
//! their collection in words, the last success and the records stored; "Collect
//! now" for platform admins (CollectCosts over a range of days, the server's
//! violations beside the fields); and the recent collection runs, paged, asked
//! again every few seconds while one is queued or running.
import { type FormEvent, useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { type CanopyClient, cost } from "@canopy/sdk";
import {
  Alert,
  Button,
  Card,
  EmptyState,
  Pager,
  PROVIDERS,
  SelectField,
  Spinner,
  StatusBadge,
  Table,
  TextField,
  accountStatus,
  addDays,
  dayLabel,
  errorMessage,
  formatDateTime,
  isoDay,
  runState,
  timeInWords,
  useFormAction,
} from "@canopy/ui";
import { usePagedList } from "../../../hooks/use-paged-list";
import { RUNS_SETTLING_EVERY_MS, costAccountQueries, useCollectCosts } from "../api/cost-accounts";

type Client = Pick<CanopyClient, "costAccounts">;

export interface CostAccountsProps {
  client: Client;
  /** Platform admins collect; operators read. */
  canCollect: boolean;
}

const providerName = (a: cost.CostAccount) => (a.kind === "sandbox" ? "Sandbox (simulated)" : (PROVIDERS.find((p) => p.value === String(a.provider))?.label ?? a.kind));

export function CostAccounts({ client, canCollect }: CostAccountsProps) {
  const accounts = useQuery(costAccountQueries.accounts(client));
  const list = accounts.data?.accounts ?? [];
  return (
    <div className="flex flex-col gap-4">
      <Card title="Accounts">
        {accounts.isPending ? (
          <Spinner label="Loading cost accounts" />
        ) : accounts.isError ? (
          <Alert tone="danger">{errorMessage(accounts.error)}</Alert>
        ) : list.length === 0 ? (
          <EmptyState title="No cost accounts" description="Accounts are configured under [services.cost.accounts]; sandbox sites' costs are simulated without one." />
        ) : (
          <Table aria-label="Cost accounts">
            <thead>
              <tr>
                <th>Account</th>
                <th>Provider</th>
                <th>Status</th>
                <th>Last success</th>
                <th>Records</th>
              </tr>
            </thead>
            <tbody>
              {list.map((a) => {
                const status = accountStatus(a.status);
                return (
                  <tr key={a.name}>
                    <td>
                      <span className="block font-semibold">{a.name}</span>
                      {a.account && <span className="text-sm break-all text-muted">{a.account}</span>}
                    </td>
                    <td>{providerName(a)}</td>
                    <td>
                      <StatusBadge {...status} />
                      {a.statusMessage && <span className="mt-1 block text-sm break-words text-danger">{a.statusMessage}</span>}
                    </td>
                    <td title={formatDateTime(a.lastSuccessTime)}>{a.lastSuccessTime ? timeInWords(a.lastSuccessTime) : "Never"}</td>
                    <td>{a.records.toLocaleString()}</td>
                  </tr>
                );
              })}
            </tbody>
          </Table>
        )}
      </Card>
      {canCollect && list.length > 0 && (
        <Card title="Collect now">
          <CollectForm client={client} accounts={list} />
        </Card>
      )}
      <CollectionRuns client={client} />
    </div>
  );
}

type Field = "account" | "startDate" | "endDate";
const FIELD_OF: Record<string, Field> = { account: "account", start_date: "startDate", end_date: "endDate" };

function CollectForm({ client, accounts }: { client: Client; accounts: cost.CostAccount[] }) {
  const today = isoDay(new Date());
  const [account, setAccount] = useState(accounts[0]?.name ?? "");
  const [startDate, setStartDate] = useState(addDays(today, -6));
  const [endDate, setEndDate] = useState(today);
  const [notice, setNotice] = useState<string>();
  const collect = useCollectCosts(client);
  const { busy, errors, formError, run, refuse } = useFormAction(FIELD_OF);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setNotice(undefined);
    const missing: Partial<Record<Field, string>> = {};
    if (!account) missing.account = "Choose an account.";
    if (!startDate) missing.startDate = "Choose the first day.";
    if (!endDate) missing.endDate = "Choose the last day.";
    if (Object.keys(missing).length > 0) {
      refuse(missing);
      return;
    }
    void run(async () => {
      const queued = await collect.mutateAsync({ account, startDate, endDate });
      setNotice(`Queued: ${queued.account}, ${dayLabel(queued.startDate)} to ${dayLabel(queued.endDate)}.`);
    });
  };

  return (
    <form className="flex flex-col gap-3" onSubmit={submit} aria-label="Collect costs now" noValidate>
      <p className="m-0 text-sm text-muted">Collects the account&apos;s costs for up to 92 days again now, for example after the cloud restated them; days already queued are reused.</p>
      {formError && <Alert tone="danger">{formError}</Alert>}
      {notice && <Alert tone="success">{notice}</Alert>}
      <div className="grid grid-cols-3 gap-3 max-sm:grid-cols-1">
        <SelectField label="Account" value={account} options={accounts.map((a) => ({ value: a.name, label: a.name }))} onChange={(e) => setAccount(e.target.value)} error={errors.account} />
        <TextField label="First day" type="date" value={startDate} max={today} onChange={(e) => setStartDate(e.target.value)} error={errors.startDate} />
        <TextField label="Last day" type="date" value={endDate} max={today} onChange={(e) => setEndDate(e.target.value)} error={errors.endDate} />
      </div>
      <div>
        <Button type="submit" busy={busy}>
          {busy ? "Queuing…" : "Collect now"}
        </Button>
      </div>
    </form>
  );
}

const settling = (runs: cost.CollectionRun[]) => runs.some((r) => r.state === cost.RunState.QUEUED || r.state === cost.RunState.RUNNING);

function CollectionRuns({ client }: { client: Client }) {
  const { pages, query } = usePagedList({ account: "" }, (r) => ({
    ...costAccountQueries.runs(client, r),
    refetchInterval: (q: { state: { data?: cost.ListCollectionRunsResponse } }) => (q.state.data && settling(q.state.data.runs) ? RUNS_SETTLING_EVERY_MS : false),
  }));
  const runs = query.data?.runs ?? [];
  return (
    <Card title="Recent collection runs">
      {query.isPending ? (
        <Spinner label="Loading collection runs" />
      ) : query.isError ? (
        <Alert tone="danger">{errorMessage(query.error)}</Alert>
      ) : runs.length === 0 ? (
        <EmptyState title="No collection runs yet" description="Each account is collected on a schedule; “Collect now” queues a run at once." />
      ) : (
        <div className="flex flex-col gap-3">
          <Table aria-label="Collection runs">
            <thead>
              <tr>
                <th>Account</th>
                <th>Days</th>
                <th>State</th>
                <th>Attempts</th>
                <th>Records written</th>
                <th>Queued</th>
                <th>Finished</th>
              </tr>
            </thead>
            <tbody>
              {runs.map((r) => (
                <tr key={r.id}>
                  <td>{r.account}</td>
                  <td>
                    {dayLabel(r.startDate)} – {dayLabel(r.endDate)}
                  </td>
                  <td>
                    <StatusBadge {...runState(r.state)} />
                    {r.error && <span className="mt-1 block text-sm break-words text-danger">{r.error}</span>}
                    {r.nextAttemptTime && r.state === cost.RunState.QUEUED && <span className="mt-1 block text-sm text-muted">Next attempt {formatDateTime(r.nextAttemptTime)}</span>}
                  </td>
                  <td>{r.attempts}</td>
                  <td>{r.recordsWritten.toLocaleString()}</td>
                  <td title={formatDateTime(r.createTime)}>{timeInWords(r.createTime)}</td>
                  <td>{r.finishTime ? formatDateTime(r.finishTime) : "—"}</td>
                </tr>
              ))}
            </tbody>
          </Table>
          <Pager pages={pages} page={query.data?.page} noun={["run", "runs"]} loading={query.isPlaceholderData} label="Run pages" />
        </div>
      )}
    </Card>
  );
}
