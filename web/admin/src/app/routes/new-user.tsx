import { Link } from "react-router";
import { Card, useCanopy } from "@canopy/ui";
import { CreateUserForm } from "../../features/users/components/create-user-form";

export function NewUserRoute() {
  const { client } = useCanopy();
  return (
    <div className="flex flex-col gap-4">
      <Link to="/users">← All users</Link>
      <h1 className="m-0">New platform user</h1>
      <p className="m-0 text-muted">Customers&apos; users are invited by their owners in the customer portal; each customer&apos;s first owner comes with the customer.</p>
      <Card>
        <CreateUserForm client={client} />
      </Card>
    </div>
  );
}
