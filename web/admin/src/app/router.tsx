import { createBrowserRouter } from "react-router";
import { SignedInLayout } from "./layout";
import { AlertsLayout, AlertsRoute, EscalationRoute, IncidentsRoute, OnCallRoute, ReceiversRoute, RoutingRoute, SilencesRoute } from "./routes/alerts";
import { ApiKeysRoute } from "./routes/api-keys";
import { AuditRoute } from "./routes/audit";
import { CustomerDetailRoute } from "./routes/customer-detail";
import { CustomersRoute } from "./routes/customers";
import { DashboardRoute } from "./routes/dashboard";
import { IntegrationsRoute } from "./routes/integrations";
import { NewCustomerRoute } from "./routes/new-customer";
import { NewUserRoute } from "./routes/new-user";
import { ChecksRoute, ComplianceRoute, NewPolicyRoute, PoliciesLayout, PoliciesRoute, PolicyRoute } from "./routes/policies";
import { SetPasswordRoute } from "./routes/set-password";
import { SiemRoute } from "./routes/siem";
import { SignInRoute } from "./routes/sign-in";
import { SiteDetailRoute } from "./routes/site-detail";
import { SitesRoute } from "./routes/sites";
import { UsersRoute } from "./routes/users";

export function createPortalRouter() {
  return createBrowserRouter([
    { path: "/sign-in", element: <SignInRoute /> },
    { path: "/set-password", element: <SetPasswordRoute /> },
    {
      element: <SignedInLayout />,
      children: [
        { index: true, element: <DashboardRoute /> },
        { path: "customers", element: <CustomersRoute /> },
        { path: "customers/new", element: <NewCustomerRoute /> },
        { path: "customers/:customerId", element: <CustomerDetailRoute /> },
        { path: "sites", element: <SitesRoute /> },
        { path: "sites/:siteId", element: <SiteDetailRoute /> },
        { path: "integrations", element: <IntegrationsRoute /> },
        { path: "users", element: <UsersRoute /> },
        { path: "users/new", element: <NewUserRoute /> },
        { path: "api-keys", element: <ApiKeysRoute /> },
        { path: "audit", element: <AuditRoute /> },
        { path: "audit/siem", element: <SiemRoute /> },
        {
          path: "alerts",
          element: <AlertsLayout />,
          children: [
            { index: true, element: <AlertsRoute /> },
            { path: "silences", element: <SilencesRoute /> },
            { path: "incidents", element: <IncidentsRoute /> },
            { path: "routing", element: <RoutingRoute /> },
            { path: "receivers", element: <ReceiversRoute /> },
            { path: "escalation", element: <EscalationRoute /> },
            { path: "on-call", element: <OnCallRoute /> },
          ],
        },
        {
          // The cost pages carry the charting library: loaded when first opened.
          path: "costs",
          lazy: async () => ({ Component: (await import("./routes/costs")).CostsLayout }),
          children: [
            { index: true, lazy: async () => ({ Component: (await import("./routes/costs")).CostsRoute }) },
            { path: "accounts", lazy: async () => ({ Component: (await import("./routes/costs")).CostAccountsRoute }) },
          ],
        },
        {
          path: "policies",
          element: <PoliciesLayout />,
          children: [
            { index: true, element: <PoliciesRoute /> },
            { path: "new", element: <NewPolicyRoute /> },
            { path: "compliance", element: <ComplianceRoute /> },
            { path: "checks", element: <ChecksRoute /> },
            { path: ":policyId", element: <PolicyRoute /> },
          ],
        },
      ],
    },
  ]);
}
