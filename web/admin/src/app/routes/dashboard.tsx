import { useCanopy } from "@canopy/ui";
import { Dashboard } from "../../features/dashboard/components/dashboard";

export function DashboardRoute() {
  const { client } = useCanopy();
  return <Dashboard client={client} />;
}
