//! The policy pages both portals share. A new policy: `PolicyForm`, then its page
//! with "… was created.". One policy's page: edited from its revision where the
//! reader may change it (a newer one saved meanwhile is said so, with the latest a
//! click away), read only otherwise. `customer` is the customer portal's shape: the
//! customer form (advisory or soft-mandatory only), the platform's policies read only
//! (and said so); the admin portal shows the revision instead.
import { useNavigate } from "react-router";
import { useQuery } from "@tanstack/react-query";
import { type CanopyClient, policy } from "@canopy/sdk";
import { Alert } from "../components/alert";
import { Card } from "../components/card";
import { Spinner } from "../components/spinner";
import { errorMessage } from "../session/error-message";
import { PolicyForm } from "./policy-form";
import { policyQueries, useCreatePolicy, useUpdatePolicy } from "./policy-queries";
import { PolicySummary } from "./policy-summary";

type Client = Pick<CanopyClient, "policies">;

export interface NewPolicyProps {
  client: Client;
  /** A customer's own policy (the customer portal). */
  customer?: boolean;
}

/** CreatePolicy, then `/policies/<id>` with the notice "<name> was created." in its state. */
export function NewPolicy({ client, customer = false }: NewPolicyProps) {
  const create = useCreatePolicy(client);
  const navigate = useNavigate();
  return (
    <Card>
      <PolicyForm
        customer={customer}
        save={async (spec) => {
          const created = await create.mutateAsync(spec);
          await navigate(`/policies/${created.id}`, { state: { notice: `${created.spec?.name ?? "The policy"} was created.` } });
        }}
        validate={(request) => client.policies.validatePolicy(request)}
        submitLabel="Create policy"
        busyLabel="Creating policy…"
      />
    </Card>
  );
}

export interface PolicyEditorProps {
  client: Client;
  policyId: string;
  /** The reader may change policies (a platform admin; a customer's owner, their own only). */
  canChange: boolean;
  /** The customer portal: its own policies only are editable, with the customer form. */
  customer?: boolean;
  /** Shown above the form (e.g. "… was created."). */
  notice?: string;
}

/** GetPolicy, then the form from its revision or, read only, its summary. */
export function PolicyEditor({ client, policyId, canChange, customer = false, notice }: PolicyEditorProps) {
  const query = useQuery(policyQueries.detail(client, "", policyId));
  const update = useUpdatePolicy(client);
  if (query.isPending) return <Spinner label="Loading the policy" />;
  if (query.isError) return <Alert tone="danger">{errorMessage(query.error)}</Alert>;
  const p = query.data;
  const editable = canChange && (!customer || p.tier === policy.PolicyTier.CUSTOMER);
  const saved = update.isSuccess && update.data.revision === p.revision;
  return (
    <div className="flex flex-col gap-4">
      <h2 className="m-0 text-xl">{p.spec?.name}</h2>
      {customer ? (
        p.tier === policy.PolicyTier.PLATFORM && <p className="m-0">Set by the platform for your sites; it cannot be changed here.</p>
      ) : (
        <p className="m-0 text-sm text-muted">Revision {p.revision.toString()}</p>
      )}
      {notice && <Alert tone="success">{notice}</Alert>}
      {saved && !customer && <Alert tone="success">Saved as revision {p.revision.toString()}.</Alert>}
      {editable ? (
        <Card>
          <PolicyForm
            key={p.revision.toString()}
            customer={customer}
            initial={p}
            save={(spec) => update.mutateAsync({ policyId: p.id, spec, revision: p.revision })}
            validate={(request) => client.policies.validatePolicy(request)}
            onReload={() => void query.refetch()}
            submitLabel="Save policy"
            busyLabel="Saving policy…"
          />
          {saved && customer && (
            <div className="mt-3">
              <Alert tone="success">Saved.</Alert>
            </div>
          )}
        </Card>
      ) : (
        <Card title="Policy">
          <PolicySummary policy={p} />
        </Card>
      )}
    </div>
  );
}
