import type { commerce } from "@canopy/sdk";
import { StatusBadge } from "../components/status-badge";
import { integrationHealth } from "./commerce-words";

/** An integration's health in words and colour: "Healthy", "Unhealthy", "Not checked yet". */
export function HealthBadge({ health }: { health: commerce.IntegrationHealth }) {
  return <StatusBadge {...integrationHealth(health)} />;
}
