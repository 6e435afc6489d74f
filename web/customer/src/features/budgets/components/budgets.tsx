//! The customer's budgets (ListBudgets, paged) and where each stands this month:
//! used, forecast, thresholds fired. Owners create, edit (from the revision read)
//! and delete them after a confirmation; members and viewers read them
//! (BudgetService lets owners alone change budgets).
import { useState } from "react";
import { useQuery } from "@tanstack/react-query";
import type { CanopyClient, cost } from "@canopy/sdk";
import {
  Alert,
  BUDGET_PAGE_SIZE,
  BudgetTable,
  Button,
  Card,
  DeleteButton,
  ManagedList,
  budgetQueries,
  siteQueries,
  useConfirmedDelete,
  useCreateBudget,
  useDeleteBudget,
  usePageTokens,
  useUpdateBudget,
} from "@canopy/ui";
import { BudgetForm } from "./budget-form";

export interface BudgetsProps {
  client: Pick<CanopyClient, "budgets" | "sites">;
  isOwner: boolean;
}

export function Budgets({ client, isOwner }: BudgetsProps) {
  const pages = usePageTokens("");
  const list = useQuery(budgetQueries.list(client, { customerId: "", siteId: "", page: { pageSize: BUDGET_PAGE_SIZE, pageToken: pages.pageToken } }));
  // The largest page of sites the API gives: the choices of the form and the names in the table.
  const sites = useQuery(siteQueries.list(client, { customerId: "", page: { pageSize: 100, pageToken: "" } }));
  const siteChoices = (sites.data?.sites ?? []).map((s) => ({ value: s.id, label: s.name })).sort((a, b) => a.label.localeCompare(b.label));
  const siteName = (id: string) => siteChoices.find((s) => s.value === id)?.label ?? id;

  const [editing, setEditing] = useState<cost.Budget | "new">();
  const create = useCreateBudget(client);
  const update = useUpdateBudget(client);
  const remove = useDeleteBudget(client);
  const deletion = useConfirmedDelete<cost.Budget>({ remove: (b) => remove.mutateAsync(b.id), deleted: (b) => `${b.spec?.name ?? "The budget"} was deleted.` });

  const form = editing && (
    <Card title={editing === "new" ? "New budget" : `Edit ${editing.spec?.name ?? "budget"}`}>
      <BudgetForm
        key={editing === "new" ? "new" : `${editing.id}-${editing.revision}`}
        initial={editing === "new" ? undefined : editing}
        sites={siteChoices}
        save={(spec) => (editing === "new" ? create.mutateAsync(spec) : update.mutateAsync({ budgetId: editing.id, spec, revision: editing.revision }))}
        onSaved={() => {
          deletion.setNotice(`${editing === "new" ? "The budget was created" : `${editing.spec?.name ?? "The budget"} was saved`}.`);
          setEditing(undefined);
        }}
        onCancel={() => setEditing(undefined)}
        onReload={async () => {
          const fresh = await list.refetch();
          const latest = editing === "new" ? undefined : fresh.data?.budgets.find((b) => b.id === editing.id);
          setEditing(latest);
        }}
      />
    </Card>
  );

  return (
    <div className="flex flex-col gap-4">
      {!isOwner && <Alert>Only the account&apos;s owners create and change budgets.</Alert>}
      {form}
      <ManagedList
        list={list}
        items={list.data?.budgets}
        deletion={deletion}
        pages={pages}
        noun={["budget", "budgets"]}
        confirmation={(b) => ({ title: `Delete ${b.spec?.name ?? "this budget"}?`, body: "Its thresholds no longer alert; the costs themselves are kept.", confirmLabel: "Yes, delete the budget" })}
        loadingLabel="Loading budgets"
        empty={{ title: "No budgets", description: "A budget alerts when a month's cost — or its forecast — reaches a share of the amount you set." }}
        controls={
          isOwner &&
          !editing && (
            <div>
              <Button onClick={() => setEditing("new")}>New budget</Button>
            </div>
          )
        }
      >
        {(budgets) => (
          <BudgetTable
            budgets={budgets}
            site={(b) => `Site ${siteName(b.spec?.siteId ?? "")}`}
            actions={
              isOwner
                ? (b) => (
                    <div className="flex flex-wrap gap-2">
                      <Button variant="secondary" aria-label={`Edit ${b.spec?.name ?? b.id}`} onClick={() => setEditing(b)}>
                        Edit
                      </Button>
                      <DeleteButton deletion={deletion} item={b} name={b.spec?.name ?? b.id} />
                    </div>
                  )
                : undefined
            }
          />
        )}
      </ManagedList>
    </div>
  );
}
