import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { ReactNode } from "react";
import { MemoryRouter, Route, Routes } from "react-router";
import { describe, expect, it, vi } from "vitest";
import { type CanopyClient, Code, create, policy, tenancy } from "@canopy/sdk";
import { NewPolicy, PolicyEditor } from "@canopy/ui";
import { canopyError, invalidArgument } from "@canopy/ui/testing";
import { PolicyChecks } from "./policy-checks";
import { PolicyList } from "./policy-list";
import { Violations } from "./violations";

function wrap(children: ReactNode, url = "/") {
  return (
    <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
      <MemoryRouter initialEntries={[url]}>{children}</MemoryRouter>
    </QueryClientProvider>
  );
}

const euOnly = (revision = 4n, name = "eu-only") =>
  create(policy.PolicySchema, {
    id: "p-1",
    tier: policy.PolicyTier.PLATFORM,
    kind: policy.PolicyKind.RESOURCE_LIMITS,
    revision,
    spec: {
      name,
      enforcement: policy.EnforcementLevel.HARD_MANDATORY,
      enabled: true,
      scope: { labels: { env: "prod" } },
      definition: { case: "resourceLimits", value: { allowedRegions: ["eu-west-1"] } },
    },
  });

const acme = create(tenancy.CustomerSchema, { id: "c-1", name: "Acme" });

function fakeClient() {
  const methods = {
    policies: {
      listPolicies: vi.fn(async () => create(policy.ListPoliciesResponseSchema, { policies: [euOnly()], page: { nextPageToken: "p2", totalSize: -1n } })),
      getPolicy: vi.fn(async () => create(policy.GetPolicyResponseSchema, { policy: euOnly() })),
      createPolicy: vi.fn(async () => create(policy.CreatePolicyResponseSchema, { policy: euOnly(1n) })),
      updatePolicy: vi.fn(async () => create(policy.UpdatePolicyResponseSchema, { policy: euOnly(5n) })),
      deletePolicy: vi.fn(async () => create(policy.DeletePolicyResponseSchema, {})),
      validatePolicy: vi.fn(async () => create(policy.ValidatePolicyResponseSchema, {})),
    },
    compliance: {
      listViolations: vi.fn(async () =>
        create(policy.ListViolationsResponseSchema, {
          violations: [
            {
              customerId: "c-1",
              siteId: "s-9",
              decision: { policyId: "p-1", policyName: "eu-only", tier: policy.PolicyTier.PLATFORM, enforcement: policy.EnforcementLevel.HARD_MANDATORY, deny: ["region us-east-1 is not allowed"] },
            },
          ],
          page: { nextPageToken: "v2", totalSize: -1n },
        }),
      ),
      listPolicyChecks: vi.fn(async () =>
        create(policy.ListPolicyChecksResponseSchema, {
          checks: [
            {
              id: "chk-1",
              customerId: "c-1",
              siteId: "s-9",
              deploymentId: "d-7",
              state: policy.PolicyCheckState.AWAITING_OVERRIDE,
              canOverride: true,
              decisions: [
                { policyId: "p-2", policyName: "tags", tier: policy.PolicyTier.PLATFORM, enforcement: policy.EnforcementLevel.SOFT_MANDATORY, deny: ["bucket logs has no owner tag"] },
                { policyId: "p-3", policyName: "cost", tier: policy.PolicyTier.PLATFORM, enforcement: policy.EnforcementLevel.ADVISORY },
              ],
            },
          ],
        }),
      ),
      overridePolicyCheck: vi.fn(async () => create(policy.OverridePolicyCheckResponseSchema, {})),
      discardPolicyCheck: vi.fn(async () => create(policy.DiscardPolicyCheckResponseSchema, {})),
    },
    customers: {
      listCustomers: vi.fn(async () => create(tenancy.ListCustomersResponseSchema, { customers: [acme] })),
      getCustomer: vi.fn(async () => ({ customer: acme })),
    },
  };
  return { methods, client: methods as unknown as CanopyClient };
}

describe("the platform's policies", () => {
  it("lists them with the kind and level filters in the request, pages, and deletes one only after a confirmation", async () => {
    const user = userEvent.setup();
    const { client, methods } = fakeClient();
    render(wrap(<PolicyList client={client} canChange />));
    const row = within(await screen.findByRole("table", { name: "Policies" })).getAllByRole("row")[1]!;
    expect(methods.policies.listPolicies).toHaveBeenLastCalledWith({ customerId: "", tier: policy.PolicyTier.UNSPECIFIED, kind: policy.PolicyKind.UNSPECIFIED, enforcement: policy.EnforcementLevel.UNSPECIFIED, page: { pageSize: 20, pageToken: "" } });
    expect(within(row).getByRole("link", { name: "eu-only" })).toHaveAttribute("href", "/policies/p-1");
    for (const text of ["Platform", "Resource limits", "Hard-mandatory", "Labels env=prod", "Yes"]) expect(row).toHaveTextContent(text);

    await user.selectOptions(screen.getByLabelText("Kind"), "Security");
    await user.selectOptions(screen.getByLabelText("Level"), "Soft-mandatory");
    await waitFor(() => expect(methods.policies.listPolicies).toHaveBeenLastCalledWith(expect.objectContaining({ kind: policy.PolicyKind.SECURITY, enforcement: policy.EnforcementLevel.SOFT_MANDATORY })));
    await user.click(await screen.findByRole("button", { name: "Next page" }));
    await waitFor(() => expect(methods.policies.listPolicies).toHaveBeenLastCalledWith(expect.objectContaining({ page: { pageSize: 20, pageToken: "p2" } })));

    await user.click(screen.getByRole("button", { name: "Delete eu-only" }));
    await user.click(within(screen.getByRole("alertdialog", { name: "Delete eu-only?" })).getByRole("button", { name: "Keep it" }));
    expect(methods.policies.deletePolicy).not.toHaveBeenCalled();
    await user.click(screen.getByRole("button", { name: "Delete eu-only" }));
    await user.click(screen.getByRole("button", { name: "Yes, delete the policy" }));
    await waitFor(() => expect(methods.policies.deletePolicy).toHaveBeenCalledWith({ customerId: "", policyId: "p-1" }));
    expect(await screen.findByText("eu-only was deleted.")).toBeInTheDocument();
  });

  it("gives operators no actions", async () => {
    const { client } = fakeClient();
    render(wrap(<PolicyList client={client} canChange={false} />));
    await screen.findByRole("table", { name: "Policies" });
    expect(screen.queryByRole("button", { name: "Delete eu-only" })).not.toBeInTheDocument();
    expect(screen.queryByRole("link", { name: "New policy" })).not.toBeInTheDocument();
  });

  it("creates a platform policy, the server's violation beside the name", async () => {
    const user = userEvent.setup();
    const { client, methods } = fakeClient();
    methods.policies.createPolicy.mockRejectedValueOnce(invalidArgument([{ field: "policy.name", description: "a platform policy named eu-only exists" }]));
    render(
      wrap(
        <Routes>
          <Route path="/policies/new" element={<NewPolicy client={client} />} />
          <Route path="/policies/:policyId" element={<p>policy page</p>} />
        </Routes>,
        "/policies/new",
      ),
    );
    await user.type(screen.getByLabelText("Name"), "eu-only");
    await user.type(screen.getByLabelText("Only customer (id)"), "c-1");
    await user.click(screen.getByRole("button", { name: "Create policy" }));
    await waitFor(() => expect(screen.getByLabelText("Name")).toHaveAccessibleDescription("A platform policy named eu-only exists"));
    expect(screen.getByLabelText("Name")).toHaveFocus();
    expect(methods.policies.createPolicy).toHaveBeenCalledWith({
      customerId: "",
      policy: expect.objectContaining({ name: "eu-only", enforcement: policy.EnforcementLevel.ADVISORY, scope: { customerId: "c-1", siteId: "", labels: {} } }),
    });
    await user.click(screen.getByRole("button", { name: "Create policy" }));
    expect(await screen.findByText("policy page")).toBeInTheDocument();
  });

  it("saves an edit from its revision, and explains a conflict with someone else's save", async () => {
    const user = userEvent.setup();
    const { client, methods } = fakeClient();
    methods.policies.updatePolicy.mockRejectedValueOnce(canopyError(Code.Aborted, "revision conflict"));
    render(wrap(<PolicyEditor client={client} policyId="p-1" canChange />));
    expect(await screen.findByText("Revision 4")).toBeInTheDocument();
    expect(methods.policies.getPolicy).toHaveBeenCalledWith({ customerId: "", policyId: "p-1" });
    expect(screen.getByLabelText("Allowed regions")).toHaveValue("eu-west-1");
    await user.clear(screen.getByLabelText("Allowed regions"));
    await user.type(screen.getByLabelText("Allowed regions"), "eu-west-1, eu-central-1");
    await user.click(screen.getByRole("button", { name: "Save policy" }));
    expect(await screen.findByText("Someone else changed this policy")).toBeInTheDocument();
    expect(methods.policies.updatePolicy).toHaveBeenLastCalledWith(
      expect.objectContaining({ customerId: "", policyId: "p-1", revision: 4n, policy: expect.objectContaining({ definition: expect.objectContaining({ value: expect.objectContaining({ allowedRegions: ["eu-west-1", "eu-central-1"] }) }) }) }),
    );

    methods.policies.getPolicy.mockResolvedValue(create(policy.GetPolicyResponseSchema, { policy: euOnly(5n, "eu-only-v2") }));
    await user.click(screen.getByRole("button", { name: "Load the latest version" }));
    expect(await screen.findByText("Revision 5")).toBeInTheDocument();
    expect(screen.getByLabelText("Name")).toHaveValue("eu-only-v2");
    expect(screen.queryByText("Someone else changed this policy")).not.toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Save policy" }));
    await waitFor(() => expect(methods.policies.updatePolicy).toHaveBeenLastCalledWith(expect.objectContaining({ revision: 5n })));
  });

  it("shows an operator the policy read only", async () => {
    const { client } = fakeClient();
    render(wrap(<PolicyEditor client={client} policyId="p-1" canChange={false} />));
    expect(await screen.findByText("Revision 4")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Save policy" })).not.toBeInTheDocument();
    expect(screen.getByText("Hard-mandatory")).toBeInTheDocument();
  });
});

describe("compliance and waiting runs", () => {
  it("lists violations across customers with the filters in the request, and pages", async () => {
    const user = userEvent.setup();
    const { client, methods } = fakeClient();
    render(wrap(<Violations client={client} />));
    const row = within(await screen.findByRole("table", { name: "Violations" })).getAllByRole("row")[1]!;
    expect(methods.compliance.listViolations).toHaveBeenLastCalledWith({ customerId: "", siteId: "", policyId: "", enforcement: policy.EnforcementLevel.UNSPECIFIED, page: { pageSize: 20, pageToken: "" } });
    expect(row).toHaveTextContent("region us-east-1 is not allowed");
    expect(await within(row).findByRole("link", { name: "Acme" })).toHaveAttribute("href", "/customers/c-1");
    expect(within(row).getByRole("link", { name: "s-9" })).toHaveAttribute("href", "/sites/s-9");

    await user.selectOptions(screen.getByLabelText("Customer"), "Acme");
    await user.selectOptions(screen.getByLabelText("Level"), "Hard-mandatory");
    await user.type(screen.getByLabelText("Site id"), "s-9");
    await user.type(screen.getByLabelText("Policy id"), "p-1");
    await user.click(screen.getByRole("button", { name: "Apply" }));
    await waitFor(() =>
      expect(methods.compliance.listViolations).toHaveBeenLastCalledWith({ customerId: "c-1", siteId: "s-9", policyId: "p-1", enforcement: policy.EnforcementLevel.HARD_MANDATORY, page: { pageSize: 20, pageToken: "" } }),
    );
    await user.click(await screen.findByRole("button", { name: "Next page" }));
    await waitFor(() => expect(methods.compliance.listViolations).toHaveBeenLastCalledWith(expect.objectContaining({ customerId: "c-1", page: { pageSize: 20, pageToken: "v2" } })));
  });

  it("lists runs awaiting an override by default, and overrides one with a reason, for its customer", async () => {
    const user = userEvent.setup();
    const { client, methods } = fakeClient();
    render(wrap(<PolicyChecks client={client} canChange />));
    const row = within(await screen.findByRole("table", { name: "Policy checks" })).getAllByRole("row")[1]!;
    expect(methods.compliance.listPolicyChecks).toHaveBeenLastCalledWith({ customerId: "", state: policy.PolicyCheckState.AWAITING_OVERRIDE, siteId: "", page: { pageSize: 20, pageToken: "" } });
    expect(row).toHaveTextContent("bucket logs has no owner tag");
    expect(row).not.toHaveTextContent("cost");

    await user.click(within(row).getByRole("button", { name: "Override deployment d-7" }));
    await user.click(screen.getByRole("button", { name: "Yes, override" }));
    expect(screen.getByLabelText("Reason")).toHaveAttribute("aria-invalid", "true");
    expect(methods.compliance.overridePolicyCheck).not.toHaveBeenCalled();
    await user.type(screen.getByLabelText("Reason"), "tag added by hand, ticket OPS-12");
    await user.click(screen.getByRole("button", { name: "Yes, override" }));
    await waitFor(() => expect(methods.compliance.overridePolicyCheck).toHaveBeenCalledWith({ customerId: "c-1", checkId: "chk-1", reason: "tag added by hand, ticket OPS-12" }));

    await user.selectOptions(screen.getByLabelText("State"), "Every state");
    await waitFor(() => expect(methods.compliance.listPolicyChecks).toHaveBeenLastCalledWith(expect.objectContaining({ state: policy.PolicyCheckState.UNSPECIFIED })));
  });

  it("gives operators neither override nor discard", async () => {
    const { client } = fakeClient();
    render(wrap(<PolicyChecks client={client} canChange={false} />));
    await screen.findByRole("table", { name: "Policy checks" });
    expect(screen.queryByRole("button", { name: /Override|Discard/ })).not.toBeInTheDocument();
  });
});
