import { Link, useParams } from "react-router";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { Alert, Card, Spinner, errorMessage, useCanopy, DescriptionList } from "@canopy/ui";
import { BrandingEditor } from "../../features/customers/components/branding-editor";
import { CustomerLifecycle, StatusHistory } from "../../features/customers/components/customer-lifecycle";
import { Usage } from "../../features/customers/components/usage-card";

export function CustomerDetailRoute() {
  const { customerId = "" } = useParams();
  const { client } = useCanopy();
  const queryClient = useQueryClient();
  const customer = useQuery({ queryKey: ["customer", customerId], queryFn: async () => (await client.customers.getCustomer({ customerId })).customer! });
  const branding = useQuery({
    queryKey: ["customer-branding", customerId],
    queryFn: async () => (await client.branding.getCustomerBranding({ customerId })).branding!,
  });

  if (customer.isPending) return <Spinner label="Loading customer" />;
  if (customer.isError) return <Alert tone="danger">{errorMessage(customer.error)}</Alert>;
  const c = customer.data;
  return (
    <div className="flex flex-col gap-4">
      <Link to="/">← All customers</Link>
      <h1 className="m-0">{c.name}</h1>
      <Card title="Status">
        <div className="flex flex-col gap-4">
          <CustomerLifecycle
            client={client}
            customer={c}
            onChanged={(updated) => {
              if (updated) queryClient.setQueryData(["customer", customerId], updated);
              void queryClient.invalidateQueries({ queryKey: ["customer", customerId] });
              void queryClient.invalidateQueries({ queryKey: ["customer-status-changes", customerId] });
              void queryClient.invalidateQueries({ queryKey: ["customers"] });
            }}
          />
          <h3 className="m-0 font-semibold">History</h3>
          <StatusHistory client={client} customerId={customerId} />
        </div>
      </Card>
      <Card title="Details">
        <DescriptionList>
          <dt>Id</dt>
          <dd>{c.id}</dd>
          <dt>Plan</dt>
          <dd>{c.planId || "—"}</dd>
          <dt>Created</dt>
          <dd>{c.createTime ? new Date(Number(c.createTime.seconds) * 1000).toLocaleString() : "—"}</dd>
        </DescriptionList>
      </Card>
      <Card title="Usage">
        <Usage client={client} customerId={customerId} />
      </Card>
      <Card title="Branding">
        {branding.isPending ? (
          <Spinner label="Loading branding" />
        ) : branding.isError ? (
          <Alert tone="danger">{errorMessage(branding.error)}</Alert>
        ) : (
          <BrandingEditor
            key={customerId}
            client={client}
            branding={branding.data}
            onSaved={(b) => queryClient.setQueryData(["customer-branding", customerId], b)}
          />
        )}
      </Card>
    </div>
  );
}
