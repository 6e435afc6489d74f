//! `/budgets`: everyone reads them; owners create, edit and delete, as
//! BudgetService lets owners alone change them.
import { ROLE, SectionPage, useCanopy } from "@canopy/ui";
import { Budgets } from "../../features/budgets/components/budgets";
import { useCurrentUser } from "../layout";

export function BudgetsRoute() {
  const { client } = useCanopy();
  const isOwner = useCurrentUser().data?.role === ROLE.owner;
  return (
    <SectionPage title="Budgets" intro="Monthly budgets for all your sites or one of them: each threshold alerts once a month, on the cost so far or on the forecast.">
      <Budgets client={client} isOwner={isOwner} />
    </SectionPage>
  );
}
