import { Link, useParams } from "react-router";
import { useQuery } from "@tanstack/react-query";
import { Alert, Card, Spinner, errorMessage, useCanopy } from "@canopy/ui";
import { CustomerBranding } from "../../features/customers/components/customer-branding";
import { CustomerDetails } from "../../features/customers/components/customer-details";
import { CustomerLifecycle, StatusHistory } from "../../features/customers/components/customer-lifecycle";
import { Usage } from "../../features/customers/components/usage-card";
import { CustomerSites } from "../../features/sites/components/customer-sites";
import { CustomerUsers } from "../../features/users/components/customer-users";
import { useIsPlatformAdmin } from "../../hooks/use-current-user";
import { customerQueries } from "../../lib/customer-queries";

export function CustomerDetailRoute() {
  const { customerId = "" } = useParams();
  const { client } = useCanopy();
  const admin = useIsPlatformAdmin();
  const customer = useQuery(customerQueries.detail(client, customerId));

  if (customer.isPending) return <Spinner label="Loading customer" />;
  if (customer.isError) return <Alert tone="danger">{errorMessage(customer.error)}</Alert>;
  const c = customer.data;
  return (
    <div className="flex flex-col gap-4">
      <Link to="/customers">← All customers</Link>
      <h1 className="m-0">{c.name}</h1>
      <Card title="Status">
        <div className="flex flex-col gap-4">
          <CustomerLifecycle client={client} customer={c} canChange={admin} />
          <h3 className="m-0 font-semibold">History</h3>
          <StatusHistory client={client} customerId={customerId} />
        </div>
      </Card>
      <Card title="Details">
        <CustomerDetails client={client} customer={c} canChange={admin} />
      </Card>
      <Card title="Usage">
        <Usage client={client} customerId={customerId} />
      </Card>
      <Card title="Sites">
        <CustomerSites client={client} customerId={customerId} />
      </Card>
      <Card title="Users">
        <CustomerUsers client={client} customerId={customerId} />
      </Card>
      <Card title="Branding">
        <CustomerBranding client={client} customerId={customerId} canChange={admin} />
      </Card>
    </div>
  );
}
