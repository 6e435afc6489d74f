import { useNavigate } from "react-router";
import { Card, useCanopy } from "@canopy/ui";
import { CreateCustomerForm } from "../../features/customers/components/create-customer-form";

export function NewCustomerRoute() {
  const { client } = useCanopy();
  const navigate = useNavigate();
  return (
    <div className="flex flex-col gap-4">
      <h1>New customer</h1>
      <Card>
        <CreateCustomerForm
          client={client}
          onCreated={(customer) => {
            navigate(`/customers?created=${encodeURIComponent(customer.name)}`);
          }}
        />
      </Card>
    </div>
  );
}
