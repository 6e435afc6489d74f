//! `/integrations`: sites' store connections across customers, and how the
//! envelope-encryption keys that protect their credentials (and every other
//! service's secrets) stand. Platform admins and operators read both (the proto
//! admits both); changing an integration is the customer's, from their portal.
import { SectionPage, useCanopy } from "@canopy/ui";
import { IntegrationsList } from "../../features/integrations/components/integrations-list";
import { KeyRotationPanel } from "../../features/integrations/components/key-rotation-panel";

export function IntegrationsRoute() {
  const { client } = useCanopy();
  return (
    <SectionPage title="Integrations" intro="Customers' sites connected to their Shopify, WooCommerce and BigCommerce stores, with each store's health from its last check.">
      <IntegrationsList client={client} />
      <KeyRotationPanel client={client} />
    </SectionPage>
  );
}
