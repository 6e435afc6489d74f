import { useNavigate, useSearchParams } from "react-router";
import { Alert, Button, useCanopy } from "@canopy/ui";
import { CustomersList } from "../../features/customers/components/customers-list";
import { useIsPlatformAdmin } from "../../hooks/use-current-user";

export function CustomersRoute() {
  const { client } = useCanopy();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const admin = useIsPlatformAdmin();
  const created = params.get("created");
  return (
    <div className="flex flex-col gap-4">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <h1 className="m-0">Customers</h1>
        {admin && <Button onClick={() => navigate("/customers/new")}>New customer</Button>}
      </div>
      {created && <Alert tone="success">{created} was created and its owner was invited by email.</Alert>}
      <CustomersList client={client} />
    </div>
  );
}
