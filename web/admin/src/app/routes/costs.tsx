//! `/costs/*`: what the platform's sites cost. The dashboard (reports, forecast,
//! budgets, CSV export) and the cost accounts with their collection runs; platform
//! admins and operators read both (the proto admits both), admins alone collect.
import { type Section, SectionLayout, SectionPage, useCanopy } from "@canopy/ui";
import { useIsPlatformAdmin } from "../../hooks/use-current-user";
import { CostAccounts } from "../../features/costs/components/cost-accounts";
import { CostDashboard } from "../../features/costs/components/cost-dashboard";

const SECTIONS: Section[] = [
  { to: "/costs", label: "Cost dashboard", end: true },
  { to: "/costs/accounts", label: "Accounts" },
];

export function CostsLayout() {
  return <SectionLayout label="Costs" sections={SECTIONS} />;
}

export function CostsRoute() {
  const { client } = useCanopy();
  return (
    <SectionPage title="Costs" intro="What the clouds charge for every customer's sites: accrued day by day, a day or two late; sandbox sites' costs are simulated.">
      <CostDashboard client={client} />
    </SectionPage>
  );
}

export function CostAccountsRoute() {
  const { client } = useCanopy();
  const isAdmin = useIsPlatformAdmin();
  return (
    <SectionPage title="Cost accounts" intro="The provider accounts costs are collected from, and each collection run.">
      <CostAccounts client={client} canCollect={isAdmin} />
    </SectionPage>
  );
}
