import { useNavigate } from "react-router";
import { useQueryClient } from "@tanstack/react-query";
import { Card, useCanopy } from "@canopy/ui";
import { CreateCustomerForm } from "../../features/customers/components/create-customer-form";

export function NewCustomerRoute() {
  const { client } = useCanopy();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  return (
    <div className="flex flex-col gap-4">
      <h1>New customer</h1>
      <Card>
        <CreateCustomerForm
          client={client}
          onCreated={(customer) => {
            void queryClient.invalidateQueries({ queryKey: ["customers"] });
            navigate(`/customers?created=${encodeURIComponent(customer.name)}`);
          }}
        />
      </Card>
    </div>
  );
}
