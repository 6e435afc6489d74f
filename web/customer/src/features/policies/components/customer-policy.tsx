//! One policy: an owner's own is edited (advisory or soft-mandatory only) from its
//! revision; the platform's, and anything a member or viewer opens, is read only —
//! the platform's without its rules.
import { useNavigate } from "react-router";
import { useQuery } from "@tanstack/react-query";
import { type CanopyClient, policy } from "@canopy/sdk";
import { Alert, Card, PolicyForm, PolicySummary, Spinner, errorMessage, policyQueries, useCreatePolicy, useUpdatePolicy } from "@canopy/ui";

type Client = Pick<CanopyClient, "policies">;

export function NewCustomerPolicy({ client }: { client: Client }) {
  const create = useCreatePolicy(client);
  const navigate = useNavigate();
  return (
    <Card>
      <PolicyForm
        customer
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

export interface CustomerPolicyProps {
  client: Client;
  policyId: string;
  isOwner: boolean;
  notice?: string;
}

export function CustomerPolicy({ client, policyId, isOwner, notice }: CustomerPolicyProps) {
  const query = useQuery(policyQueries.detail(client, "", policyId));
  const update = useUpdatePolicy(client);
  if (query.isPending) return <Spinner label="Loading the policy" />;
  if (query.isError) return <Alert tone="danger">{errorMessage(query.error)}</Alert>;
  const p = query.data;
  const editable = isOwner && p.tier === policy.PolicyTier.CUSTOMER;
  return (
    <div className="flex flex-col gap-4">
      <h2 className="m-0 text-xl">{p.spec?.name}</h2>
      {p.tier === policy.PolicyTier.PLATFORM && <p className="m-0">Set by the platform for your sites; it cannot be changed here.</p>}
      {notice && <Alert tone="success">{notice}</Alert>}
      {editable ? (
        <Card>
          <PolicyForm
            key={p.revision.toString()}
            customer
            initial={p}
            save={(spec) => update.mutateAsync({ policyId: p.id, spec, revision: p.revision })}
            validate={(request) => client.policies.validatePolicy(request)}
            onReload={() => void query.refetch()}
            submitLabel="Save policy"
            busyLabel="Saving policy…"
          />
          {update.isSuccess && update.data.revision === p.revision && (
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
