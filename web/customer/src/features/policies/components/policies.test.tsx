import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { ReactNode } from "react";
import { MemoryRouter, Route, Routes } from "react-router";
import { describe, expect, it, vi } from "vitest";
import { type CanopyClient, create, policy } from "@canopy/sdk";
import { NewPolicy, PolicyEditor } from "@canopy/ui";
import { invalidArgument } from "@canopy/ui/testing";
import { Compliance } from "./compliance";
import { CustomerPolicies } from "./customer-policies";

function wrap(children: ReactNode, url = "/") {
  return (
    <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
      <MemoryRouter initialEntries={[url]}>{children}</MemoryRouter>
    </QueryClientProvider>
  );
}

// A platform policy as a customer reads it: name, description, level, enabled; no Rego, no form.
const platformPolicy = create(policy.PolicySchema, {
  id: "p-plat",
  tier: policy.PolicyTier.PLATFORM,
  kind: policy.PolicyKind.CUSTOM,
  revision: 2n,
  spec: { name: "no-public-db", description: "Databases stay private.", enforcement: policy.EnforcementLevel.HARD_MANDATORY, enabled: true },
});
const ownPolicy = create(policy.PolicySchema, {
  id: "p-own",
  tier: policy.PolicyTier.CUSTOMER,
  customerId: "c-1",
  kind: policy.PolicyKind.SECURITY,
  revision: 7n,
  rego: "package canopy.generated",
  spec: { name: "tags", enforcement: policy.EnforcementLevel.SOFT_MANDATORY, enabled: true, scope: { siteId: "s-1" }, definition: { case: "security", value: { requiredTags: ["owner"] } } },
});

function fakeClient() {
  const methods = {
    policies: {
      listPolicies: vi.fn(async () => create(policy.ListPoliciesResponseSchema, { policies: [platformPolicy, ownPolicy] })),
      getPolicy: vi.fn(async ({ policyId }: { policyId: string }) => create(policy.GetPolicyResponseSchema, { policy: policyId === "p-plat" ? platformPolicy : ownPolicy })),
      createPolicy: vi.fn(async () => create(policy.CreatePolicyResponseSchema, { policy: ownPolicy })),
      updatePolicy: vi.fn(async () => create(policy.UpdatePolicyResponseSchema, { policy: { ...ownPolicy, revision: 8n } })),
      deletePolicy: vi.fn(async () => create(policy.DeletePolicyResponseSchema, {})),
      validatePolicy: vi.fn(async () => create(policy.ValidatePolicyResponseSchema, {})),
    },
    compliance: {
      getCompliance: vi.fn(async () =>
        create(policy.GetComplianceResponseSchema, {
          compliantSites: 1,
          nonCompliantSites: 1,
          sites: [
            { siteId: "s-1", compliant: true, decisions: [{ policyId: "p-own", policyName: "tags", tier: policy.PolicyTier.CUSTOMER, enforcement: policy.EnforcementLevel.SOFT_MANDATORY }] },
            {
              siteId: "s-2",
              compliant: false,
              decisions: [{ policyId: "p-plat", policyName: "no-public-db", tier: policy.PolicyTier.PLATFORM, enforcement: policy.EnforcementLevel.HARD_MANDATORY, deny: ["database db is public"] }],
            },
          ],
        }),
      ),
    },
  };
  return { methods, client: methods as unknown as CanopyClient };
}

describe("the customer's policies", () => {
  it("lists their own and the platform's; an owner deletes only their own, after a confirmation", async () => {
    const user = userEvent.setup();
    const { client, methods } = fakeClient();
    render(wrap(<CustomerPolicies client={client} isOwner />));
    const rows = within(await screen.findByRole("table", { name: "Policies" })).getAllByRole("row");
    expect(methods.policies.listPolicies).toHaveBeenCalledWith({
      customerId: "",
      tier: policy.PolicyTier.UNSPECIFIED,
      kind: policy.PolicyKind.UNSPECIFIED,
      enforcement: policy.EnforcementLevel.UNSPECIFIED,
      page: { pageSize: 20, pageToken: "" },
    });
    expect(rows[1]).toHaveTextContent("no-public-db");
    expect(rows[1]).toHaveTextContent("Platform");
    expect(rows[1]).toHaveTextContent("Set by the platform");
    expect(within(rows[1]!).queryByRole("button", { name: /Delete/ })).not.toBeInTheDocument();
    expect(rows[2]).toHaveTextContent("Site s-1");
    await user.click(within(rows[2]!).getByRole("button", { name: "Delete tags" }));
    expect(methods.policies.deletePolicy).not.toHaveBeenCalled();
    await user.click(screen.getByRole("button", { name: "Yes, delete the policy" }));
    await waitFor(() => expect(methods.policies.deletePolicy).toHaveBeenCalledWith({ customerId: "", policyId: "p-own" }));
    expect(screen.getByRole("link", { name: "New policy" })).toBeInTheDocument();
  });

  it("gives members and viewers no actions", async () => {
    const { client } = fakeClient();
    render(wrap(<CustomerPolicies client={client} isOwner={false} />));
    await screen.findByRole("table", { name: "Policies" });
    expect(screen.queryByRole("button", { name: /Delete/ })).not.toBeInTheDocument();
    expect(screen.queryByRole("link", { name: "New policy" })).not.toBeInTheDocument();
  });

  it("shows a platform policy read only, without its rules, even to an owner", async () => {
    const { client } = fakeClient();
    render(wrap(<PolicyEditor customer client={client} policyId="p-plat" canChange />));
    expect(await screen.findByText("Set by the platform for your sites; it cannot be changed here.")).toBeInTheDocument();
    expect(screen.getByText("Databases stay private.")).toBeInTheDocument();
    expect(screen.getByText("Its rules are not shown: it is set by the platform.")).toBeInTheDocument();
    expect(screen.queryByRole("form")).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Save policy" })).not.toBeInTheDocument();
  });

  it("lets an owner edit their own from its revision, with no hard-mandatory level", async () => {
    const user = userEvent.setup();
    const { client, methods } = fakeClient();
    render(wrap(<PolicyEditor customer client={client} policyId="p-own" canChange />));
    const form = await screen.findByRole("form", { name: "Edit tags" });
    expect(within(form).getByLabelText("Required tags")).toHaveValue("owner");
    expect(within(within(form).getByLabelText("Enforcement")).getAllByRole("option").map((o) => o.textContent)).toEqual(["Advisory", "Soft-mandatory"]);
    expect(within(form).queryByLabelText("Only customer (id)")).not.toBeInTheDocument();
    await user.type(within(form).getByLabelText("Required tags"), ", team");
    await user.click(within(form).getByRole("button", { name: "Save policy" }));
    await waitFor(() =>
      expect(methods.policies.updatePolicy).toHaveBeenCalledWith({
        customerId: "",
        policyId: "p-own",
        revision: 7n,
        policy: expect.objectContaining({
          enforcement: policy.EnforcementLevel.SOFT_MANDATORY,
          scope: { customerId: "", siteId: "s-1", labels: {} },
          definition: { case: "security", value: expect.objectContaining({ requiredTags: ["owner", "team"] }) },
        }),
      }),
    );
  });

  it("shows a member their own policy read only", async () => {
    const { client } = fakeClient();
    render(wrap(<PolicyEditor customer client={client} policyId="p-own" canChange={false} />));
    expect(await screen.findByText("The Rego evaluated")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Save policy" })).not.toBeInTheDocument();
  });

  it("creates an owner's policy for their own customer, the server's violation beside its field", async () => {
    const user = userEvent.setup();
    const { client, methods } = fakeClient();
    methods.policies.createPolicy.mockRejectedValueOnce(invalidArgument([{ field: "policy.scope.labels", description: "label keys are lowercase" }]));
    render(
      wrap(
        <Routes>
          <Route path="/policies/new" element={<NewPolicy customer client={client} />} />
          <Route path="/policies/:policyId" element={<p>policy page</p>} />
        </Routes>,
        "/policies/new",
      ),
    );
    expect(within(screen.getByLabelText("Enforcement")).queryByRole("option", { name: "Hard-mandatory" })).not.toBeInTheDocument();
    await user.type(screen.getByLabelText("Name"), "small-only");
    await user.type(screen.getByLabelText("Only sites with labels"), "Env=prod");
    await user.selectOptions(screen.getByLabelText("Largest size"), "Small");
    await user.click(screen.getByRole("button", { name: "Create policy" }));
    await waitFor(() => expect(screen.getByLabelText("Only sites with labels")).toHaveAccessibleDescription("Label keys are lowercase"));
    expect(screen.getByLabelText("Only sites with labels")).toHaveFocus();
    expect(methods.policies.createPolicy).toHaveBeenCalledWith({
      customerId: "",
      policy: expect.objectContaining({ name: "small-only", enforcement: policy.EnforcementLevel.ADVISORY, scope: { customerId: "", siteId: "", labels: { Env: "prod" } } }),
    });
    await user.click(screen.getByRole("button", { name: "Create policy" }));
    expect(await screen.findByText("policy page")).toBeInTheDocument();
  });
});

describe("compliance", () => {
  it("says which sites pass, and what the failing policies say", async () => {
    const { client, methods } = fakeClient();
    render(wrap(<Compliance client={client} />));
    expect(await screen.findByText("1 compliant, 1 not compliant.")).toBeInTheDocument();
    expect(methods.compliance.getCompliance).toHaveBeenCalledWith({ customerId: "", siteId: "" });
    const failing = screen.getByRole("region", { name: "Site s-2" });
    expect(failing).toHaveTextContent("Not compliant");
    expect(within(failing).getByRole("listitem", { name: "no-public-db" })).toHaveTextContent("database db is public");
    expect(within(failing).getByRole("link", { name: "Site s-2" })).toHaveAttribute("href", "/sites/s-2");
    expect(screen.getByRole("region", { name: "Site s-1" })).toHaveTextContent("Compliant");
  });
});
