import { useNavigate } from "react-router";
import { Card } from "@canopy/ui";
import { CreateSiteForm } from "../../features/sites/components/create-site-form";
import { useCanopy } from "@canopy/ui";
import { useCurrentUser } from "../layout";

export function NewSiteRoute() {
  const { client } = useCanopy();
  const user = useCurrentUser();
  const navigate = useNavigate();
  return (
    <div className="flex flex-col gap-4">
      <h1>New site</h1>
      <Card>
        <CreateSiteForm
          client={client}
          customerId={user.data?.tenantId ?? ""}
          onCreated={({ site, deployment }) => {
            navigate(`/sites/${site!.id}`, { state: { deploymentId: deployment?.id } });
          }}
        />
      </Card>
    </div>
  );
}
