import { createBrowserRouter } from "react-router";
import { SignedInLayout } from "./layout";
import { AccountRoute } from "./routes/account";
import { ActivityRoute } from "./routes/activity";
import { BudgetsRoute } from "./routes/budgets";
import { DashboardRoute } from "./routes/dashboard";
import { InvitationRoute } from "./routes/invitation";
import { NewSiteRoute } from "./routes/new-site";
import { NotificationsRoute } from "./routes/notifications";
import { ComplianceRoute, NewPolicyRoute, PoliciesLayout, PoliciesRoute, PolicyRoute } from "./routes/policies";
import { SignInRoute } from "./routes/sign-in";
import { SiteCommerceRoute } from "./routes/site-commerce";
import { SiteDetailRoute } from "./routes/site-detail";

export function createPortalRouter() {
  return createBrowserRouter([
    { path: "/sign-in", element: <SignInRoute /> },
    { path: "/invitation", element: <InvitationRoute /> },
    {
      element: <SignedInLayout />,
      children: [
        { index: true, element: <DashboardRoute /> },
        { path: "sites/new", element: <NewSiteRoute /> },
        { path: "sites/:siteId", element: <SiteDetailRoute /> },
        // The site's cost page carries the charting library: loaded when first opened.
        { path: "sites/:siteId/costs", lazy: async () => ({ Component: (await import("./routes/site-costs")).SiteCostsRoute }) },
        { path: "sites/:siteId/commerce", element: <SiteCommerceRoute /> },
        { path: "budgets", element: <BudgetsRoute /> },
        { path: "account", element: <AccountRoute /> },
        { path: "activity", element: <ActivityRoute /> },
        { path: "notifications", element: <NotificationsRoute /> },
        {
          path: "policies",
          element: <PoliciesLayout />,
          children: [
            { index: true, element: <PoliciesRoute /> },
            { path: "new", element: <NewPolicyRoute /> },
            { path: "compliance", element: <ComplianceRoute /> },
            { path: ":policyId", element: <PolicyRoute /> },
          ],
        },
      ],
    },
  ]);
}
