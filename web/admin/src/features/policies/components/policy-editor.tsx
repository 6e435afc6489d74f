//! A new platform policy, and one policy's page: platform admins edit it from its
//! revision (a newer one saved meanwhile is said so, with the latest a click away),
//! operators read it.
import { useNavigate } from "react-router";
import { useQuery } from "@tanstack/react-query";
import type { CanopyClient } from "@canopy/sdk";
import { Alert, Card, PolicyForm, PolicySummary, Spinner, errorMessage, policyQueries, useCreatePolicy, useUpdatePolicy } from "@canopy/ui";

type Client = Pick<CanopyClient, "policies">;

export function NewPolicy({ client }: { client: Client }) {
  const create = useCreatePolicy(client);
  const navigate = useNavigate();
  return (
    <Card>
      <PolicyForm
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

export interface EditPolicyProps {
  client: Client;
  policyId: string;
  canChange: boolean;
  /** Shown above the form (e.g. "… was created."). */
  notice?: string;
}

export function EditPolicy({ client, policyId, canChange, notice }: EditPolicyProps) {
  const query = useQuery(policyQueries.detail(client, "", policyId));
  const update = useUpdatePolicy(client);
  if (query.isPending) return <Spinner label="Loading the policy" />;
  if (query.isError) return <Alert tone="danger">{errorMessage(query.error)}</Alert>;
  const p = query.data;
  return (
    <div className="flex flex-col gap-4">
      <h2 className="m-0 text-xl">{p.spec?.name}</h2>
      <p className="m-0 text-sm text-muted">Revision {p.revision.toString()}</p>
      {notice && <Alert tone="success">{notice}</Alert>}
      {update.isSuccess && update.data.revision === p.revision && <Alert tone="success">Saved as revision {p.revision.toString()}.</Alert>}
      {canChange ? (
        <Card>
          <PolicyForm
            key={p.revision.toString()}
            initial={p}
            save={(spec) => update.mutateAsync({ policyId: p.id, spec, revision: p.revision })}
            validate={(request) => client.policies.validatePolicy(request)}
            onReload={() => void query.refetch()}
            submitLabel="Save policy"
            busyLabel="Saving policy…"
          />
        </Card>
      ) : (
        <Card title="Policy">
          <PolicySummary policy={p} />
        </Card>
      )}
    </div>
  );
}
