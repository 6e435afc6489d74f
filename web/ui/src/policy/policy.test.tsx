import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { cleanup, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { ReactNode } from "react";
import { MemoryRouter } from "react-router";
import { describe, expect, it, vi } from "vitest";
import { type CanopyClient, Code, common, create, policy, sites } from "@canopy/sdk";
import { canopyError, invalidArgument } from "../testing";
import { isCancellable } from "../sites/cancel-deployment";
import { deploymentStatus } from "../sites/site-status";
import { PolicyCheckPanel } from "./policy-check-panel";
import { PolicyDecisions } from "./policy-decisions";
import { PolicyEditor } from "./policy-editor";
import { PolicyForm, type PolicyFormProps } from "./policy-form";
import { fromMinorUnits, toMinorUnits } from "./policy-words";

function wrap(children: ReactNode) {
  return <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>{children}</QueryClientProvider>;
}

const validated = (init: Partial<{ compileErrors: { line: number; column: number; message: string }[]; evaluated: boolean; deny: string[]; warn: string[] }>) =>
  create(policy.ValidatePolicyResponseSchema, { rego: "package canopy", ...init });

function renderForm(props: Partial<PolicyFormProps> = {}) {
  const save = vi.fn(async () => undefined);
  const validate = vi.fn(async () => validated({}));
  const onSaved = vi.fn();
  render(wrap(<PolicyForm save={save} validate={validate} onSaved={onSaved} submitLabel="Create policy" busyLabel="Creating…" {...props} />));
  return { save: (props.save as typeof save | undefined) ?? save, validate: (props.validate as typeof validate | undefined) ?? validate, onSaved };
}

describe("deployment statuses", () => {
  it("name a run awaiting an override, in the warning tone, and let it be cancelled", () => {
    expect(deploymentStatus(sites.DeploymentStatus.AWAITING_OVERRIDE)).toEqual({ label: "Awaiting override", tone: "warning" });
    expect(isCancellable(sites.DeploymentStatus.AWAITING_OVERRIDE)).toBe(true);
    expect(isCancellable(sites.DeploymentStatus.SUCCEEDED)).toBe(false);
  });
});

describe("money", () => {
  it("turns decimal amounts into minor units and back, with the currency's digits", () => {
    expect(toMinorUnits("1250.5", "USD")).toBe(125050n);
    expect(toMinorUnits("1250", "JPY")).toBe(1250n);
    expect(toMinorUnits("1.234", "USD")).toBeUndefined();
    expect(toMinorUnits("-3", "USD")).toBeUndefined();
    expect(fromMinorUnits(125050n, "USD")).toBe("1250.50");
  });
});

describe("PolicyForm", () => {
  it("offers customers advisory and soft-mandatory only, and platform authors hard-mandatory too", () => {
    const { unmount } = render(wrap(<PolicyForm customer save={vi.fn()} validate={vi.fn()} submitLabel="Create policy" busyLabel="…" />));
    const levels = within(screen.getByLabelText("Enforcement")).getAllByRole("option").map((o) => o.textContent);
    expect(levels).toEqual(["Advisory", "Soft-mandatory"]);
    expect(screen.queryByLabelText("Only customer (id)")).not.toBeInTheDocument();
    unmount();
    renderForm();
    expect(within(screen.getByLabelText("Enforcement")).getAllByRole("option").map((o) => o.textContent)).toEqual(["Advisory", "Soft-mandatory", "Hard-mandatory"]);
    expect(screen.getByLabelText("Only customer (id)")).toBeInTheDocument();
  });

  it("sends a resource limits policy with its scope, and puts the server's violation beside the regions with focus", async () => {
    const user = userEvent.setup();
    const save = vi.fn(async () => {
      throw invalidArgument([{ field: "policy.resource_limits.allowed_regions[1]", description: "unknown region mars-1" }]);
    });
    renderForm({ save });
    await user.type(screen.getByLabelText("Name"), "eu-only");
    await user.selectOptions(screen.getByLabelText("Enforcement"), "Hard-mandatory");
    await user.type(screen.getByLabelText("Only sites with labels"), "env=prod, team=web");
    await user.click(screen.getByLabelText("AWS"));
    await user.click(screen.getByLabelText("DigitalOcean"));
    await user.type(screen.getByLabelText("Allowed regions"), "eu-west-1, mars-1");
    await user.selectOptions(screen.getByLabelText("Largest size"), "Medium");
    await user.type(screen.getByLabelText("Most instances"), "4");
    await user.click(screen.getByLabelText("Deny managed databases"));
    await user.click(screen.getByRole("button", { name: "Create policy" }));
    expect(save).toHaveBeenCalledWith({
      name: "eu-only",
      description: "",
      enforcement: policy.EnforcementLevel.HARD_MANDATORY,
      enabled: true,
      scope: { customerId: "", siteId: "", labels: { env: "prod", team: "web" } },
      definition: {
        case: "resourceLimits",
        value: { allowedProviders: [common.CloudProvider.AWS, common.CloudProvider.DIGITALOCEAN], allowedRegions: ["eu-west-1", "mars-1"], maxSize: "medium", maxInstanceCount: 4, denyDatabase: true },
      },
    });
    await waitFor(() => expect(screen.getByLabelText("Allowed regions")).toHaveAccessibleDescription("Unknown region mars-1"));
    expect(screen.getByLabelText("Allowed regions")).toHaveFocus();
  });

  it("sends security and cost forms: ports and tags as lists, amounts in minor units", async () => {
    const user = userEvent.setup();
    const { save } = renderForm();
    await user.type(screen.getByLabelText("Name"), "secure");
    await user.selectOptions(screen.getByLabelText("Definition"), "Security (built-in form)");
    await user.click(screen.getByLabelText("Deny databases reachable from the internet"));
    await user.type(screen.getByLabelText("Allowed ingress ports"), "443, 80");
    await user.type(screen.getByLabelText("Required tags"), "owner, cost-centre");
    await user.click(screen.getByRole("button", { name: "Create policy" }));
    await waitFor(() =>
      expect(save).toHaveBeenLastCalledWith(
        expect.objectContaining({
          definition: { case: "security", value: { requireEncryptedStorage: false, denyPublicDatabase: true, requireTlsListeners: false, allowedIngressPorts: [443, 80], requiredTags: ["owner", "cost-centre"] } },
        }),
      ),
    );

    await user.selectOptions(screen.getByLabelText("Definition"), "Cost (built-in form)");
    await user.type(screen.getByLabelText("Most per site per month"), "12.5x");
    await user.click(screen.getByRole("button", { name: "Create policy" }));
    expect(screen.getByLabelText("Most per site per month")).toHaveAccessibleDescription("Enter an amount such as 1250 or 1250.50.");
    expect(save).toHaveBeenCalledTimes(1);
    await user.clear(screen.getByLabelText("Most per site per month"));
    await user.type(screen.getByLabelText("Most per site per month"), "249.99");
    await user.clear(screen.getByLabelText("Site limit currency"));
    await user.type(screen.getByLabelText("Site limit currency"), "eur");
    await user.click(screen.getByRole("button", { name: "Create policy" }));
    await waitFor(() =>
      expect(save).toHaveBeenLastCalledWith(expect.objectContaining({ definition: { case: "cost", value: { maxSiteMonthly: { currencyCode: "EUR", minorUnits: 24999n }, maxCustomerMonthly: undefined } } })),
    );
  });

  it("validates Rego: compile errors beside the editor with their line and column, then a plan's denials and warnings", async () => {
    const user = userEvent.setup();
    const validate = vi
      .fn()
      .mockResolvedValueOnce(validated({ compileErrors: [{ line: 3, column: 7, message: "rego_parse_error: unexpected ident" }] }))
      .mockResolvedValueOnce(validated({ evaluated: true, deny: ["aws_s3_bucket.logs has no owner tag"], warn: ["no cost estimate"] }));
    renderForm({ validate });
    await user.selectOptions(screen.getByLabelText("Definition"), "Rego module");
    const rego = screen.getByLabelText("Rego");
    await user.clear(rego);
    await user.type(rego, "package canopy{Enter}{Enter}deny oops");
    await user.click(screen.getByRole("button", { name: "Validate" }));
    await waitFor(() => expect(screen.getByLabelText("Rego")).toHaveAccessibleDescription("Line 3, column 7: rego_parse_error: unexpected ident"));
    expect(within(screen.getByRole("list", { name: "Compile errors" })).getByText("Line 3, column 7: rego_parse_error: unexpected ident")).toBeInTheDocument();
    expect(validate).toHaveBeenLastCalledWith(expect.objectContaining({ customerId: "", plan: { case: undefined }, policy: expect.objectContaining({ definition: { case: "rego", value: "package canopy\n\ndeny oops" } }) }));

    await user.click(screen.getByText("Try it on a plan"));
    await user.type(screen.getByLabelText("Plan JSON (optional)"), "not json");
    await user.click(screen.getByRole("button", { name: "Validate" }));
    expect(screen.getByLabelText("Plan JSON (optional)")).toHaveAccessibleDescription("This is not JSON: paste the output of terraform show -json.");
    expect(validate).toHaveBeenCalledTimes(1);
    await user.clear(screen.getByLabelText("Plan JSON (optional)"));
    await user.click(screen.getByLabelText("Plan JSON (optional)"));
    await user.paste('{"resource_changes":[]}');
    await user.click(screen.getByRole("button", { name: "Validate" }));
    const result = await screen.findByRole("region", { name: "Validation result" });
    expect(validate).toHaveBeenLastCalledWith(expect.objectContaining({ plan: { case: "planJson", value: '{"resource_changes":[]}' } }));
    expect(within(result).getByRole("list", { name: "Denials" })).toHaveTextContent("aws_s3_bucket.logs has no owner tag");
    expect(within(result).getByRole("list", { name: "Warnings" })).toHaveTextContent("no cost estimate");
    expect(screen.getByLabelText("Rego")).not.toHaveAttribute("aria-invalid");
  });

  it("says when someone else saved first, and offers the latest version", async () => {
    const user = userEvent.setup();
    const onReload = vi.fn();
    const stored = create(policy.PolicySchema, { id: "p-1", revision: 3n, spec: { name: "eu-only", enforcement: policy.EnforcementLevel.SOFT_MANDATORY, enabled: true, definition: { case: "rego", value: "package canopy" } } });
    const save = vi.fn(async () => {
      throw canopyError(Code.Aborted, "revision 3 is not the current revision 4");
    });
    const { onSaved } = renderForm({ initial: stored, save, onReload, submitLabel: "Save policy" });
    expect(screen.getByLabelText("Name")).toHaveValue("eu-only");
    expect(screen.getByLabelText("Rego")).toHaveValue("package canopy");
    await user.click(screen.getByRole("button", { name: "Save policy" }));
    expect(await screen.findByText("Someone else changed this policy")).toBeInTheDocument();
    expect(onSaved).not.toHaveBeenCalled();
    await user.click(screen.getByRole("button", { name: "Load the latest version" }));
    expect(onReload).toHaveBeenCalled();
  });
});

describe("PolicyDecisions", () => {
  it("shows each policy's tier, level, denials, warnings and error", () => {
    render(
      <PolicyDecisions
        decisions={[
          create(policy.DecisionSchema, { policyId: "p-1", policyName: "eu-only", tier: policy.PolicyTier.PLATFORM, enforcement: policy.EnforcementLevel.SOFT_MANDATORY, deny: ["region us-east-1 is not allowed"] }),
          create(policy.DecisionSchema, { policyId: "p-2", policyName: "tags", tier: policy.PolicyTier.CUSTOMER, enforcement: policy.EnforcementLevel.ADVISORY, warn: ["no owner tag"], error: "" }),
          create(policy.DecisionSchema, { policyId: "p-3", policyName: "slow", tier: policy.PolicyTier.CUSTOMER, enforcement: policy.EnforcementLevel.ADVISORY, error: "evaluation took too long" }),
        ]}
      />,
    );
    const eu = screen.getByRole("listitem", { name: "eu-only" });
    expect(eu).toHaveTextContent("Platform policy");
    expect(eu).toHaveTextContent("Soft-mandatory");
    expect(eu).toHaveTextContent("Fails");
    expect(eu).toHaveTextContent("Deny: region us-east-1 is not allowed");
    expect(screen.getByRole("listitem", { name: "tags" })).toHaveTextContent("Passes with warnings");
    expect(screen.getByRole("listitem", { name: "tags" })).toHaveTextContent("Warn: no owner tag");
    expect(screen.getByRole("listitem", { name: "slow" })).toHaveTextContent("Evaluation error: evaluation took too long");
  });
});

describe("PolicyCheckPanel", () => {
  const waiting = (canOverride: boolean) =>
    create(policy.PolicyCheckSchema, {
      id: "chk-1",
      deploymentId: "d-7",
      state: policy.PolicyCheckState.AWAITING_OVERRIDE,
      canOverride,
      decisions: [{ policyId: "p-1", policyName: "eu-only", tier: policy.PolicyTier.CUSTOMER, enforcement: policy.EnforcementLevel.SOFT_MANDATORY, deny: ["region us-east-1 is not allowed"] }],
      expireTime: { seconds: 1_800_000_000n },
    });

  function renderPanel(check: policy.PolicyCheck | Error, canDiscard = true) {
    const compliance = {
      getPolicyCheck: vi.fn(async () => {
        if (check instanceof Error) throw check;
        return create(policy.GetPolicyCheckResponseSchema, { check });
      }),
      overridePolicyCheck: vi.fn(async () => create(policy.OverridePolicyCheckResponseSchema, { check: { ...waiting(true), state: policy.PolicyCheckState.OVERRIDDEN } })),
      discardPolicyCheck: vi.fn(async () => create(policy.DiscardPolicyCheckResponseSchema, {})),
    };
    const onResolved = vi.fn();
    render(wrap(<PolicyCheckPanel client={{ compliance } as unknown as Pick<CanopyClient, "compliance">} deploymentId="d-7" deploymentStatus={sites.DeploymentStatus.AWAITING_OVERRIDE} canDiscard={canDiscard} onResolved={onResolved} />));
    return { compliance, onResolved };
  }

  it("requires a reason before overriding, then sends it", async () => {
    const user = userEvent.setup();
    const { compliance, onResolved } = renderPanel(waiting(true));
    expect(await screen.findByText("Awaiting override")).toBeInTheDocument();
    expect(compliance.getPolicyCheck).toHaveBeenCalledWith({ customerId: "", deploymentId: "d-7" });
    expect(screen.getByRole("listitem", { name: "eu-only" })).toHaveTextContent("region us-east-1 is not allowed");
    await user.click(screen.getByRole("button", { name: "Override" }));
    const dialog = screen.getByRole("alertdialog", { name: "Override the policy failures?" });
    await user.click(within(dialog).getByRole("button", { name: "Yes, override" }));
    expect(within(dialog).getByLabelText("Reason")).toHaveAccessibleDescription("Say why the failures may be let through; it is recorded in the audit trail.");
    expect(within(dialog).getByLabelText("Reason")).toHaveFocus();
    expect(compliance.overridePolicyCheck).not.toHaveBeenCalled();
    await user.type(within(dialog).getByLabelText("Reason"), "migration approved by Ann");
    await user.click(within(dialog).getByRole("button", { name: "Yes, override" }));
    await waitFor(() => expect(compliance.overridePolicyCheck).toHaveBeenCalledWith({ customerId: "", checkId: "chk-1", reason: "migration approved by Ann" }));
    await waitFor(() => expect(onResolved).toHaveBeenCalled());
  });

  it("offers no Override when the server says the reader may not, and discards after a confirmation", async () => {
    const user = userEvent.setup();
    const { compliance } = renderPanel(waiting(false));
    await screen.findByText("Awaiting override");
    expect(screen.queryByRole("button", { name: "Override" })).not.toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Discard" }));
    expect(compliance.discardPolicyCheck).not.toHaveBeenCalled();
    await user.click(screen.getByRole("button", { name: "Yes, discard the run" }));
    await waitFor(() => expect(compliance.discardPolicyCheck).toHaveBeenCalledWith({ customerId: "", checkId: "chk-1", reason: "" }));
  });

  it("offers nothing to a viewer who may neither override nor discard, and says when there is no check yet", async () => {
    renderPanel(waiting(false), false);
    await screen.findByText("Awaiting override");
    expect(screen.queryByRole("button", { name: "Discard" })).not.toBeInTheDocument();
    cleanup();
    renderPanel(canopyError(Code.NotFound, "no policy check for deployment d-7"));
    expect(await screen.findByText(/No policy check for this deployment yet/)).toBeInTheDocument();
  });
});

describe("PolicyEditor", () => {
  const stored = (tier: policy.PolicyTier, revision: bigint) =>
    create(policy.PolicySchema, {
      id: "p-1",
      tier,
      kind: policy.PolicyKind.RESOURCE_LIMITS,
      revision,
      spec: { name: "eu-only", enforcement: policy.EnforcementLevel.ADVISORY, enabled: true, definition: { case: "resourceLimits", value: { allowedRegions: ["eu-west-1"] } } },
    });
  const policiesClient = (tier: policy.PolicyTier) => {
    const methods = {
      getPolicy: vi.fn(async () => create(policy.GetPolicyResponseSchema, { policy: stored(tier, 4n) })),
      updatePolicy: vi.fn(async () => create(policy.UpdatePolicyResponseSchema, { policy: stored(tier, 5n) })),
      validatePolicy: vi.fn(async () => validated({})),
    };
    return { client: { policies: methods } as unknown as Pick<CanopyClient, "policies">, methods };
  };
  const routed = (children: ReactNode) => wrap(<MemoryRouter>{children}</MemoryRouter>);

  it("shows the platform's editor the revision, and the new one once saved", async () => {
    const user = userEvent.setup();
    const { client, methods } = policiesClient(policy.PolicyTier.PLATFORM);
    render(routed(<PolicyEditor client={client} policyId="p-1" canChange notice="eu-only was created." />));
    expect(await screen.findByRole("heading", { level: 2, name: "eu-only" })).toBeInTheDocument();
    expect(screen.getByText("Revision 4")).toBeInTheDocument();
    expect(screen.getByText("eu-only was created.")).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Save policy" }));
    expect(await screen.findByText("Saved as revision 5.")).toBeInTheDocument();
    expect(methods.updatePolicy).toHaveBeenCalledWith(expect.objectContaining({ policyId: "p-1", revision: 4n }));
    cleanup();

    render(routed(<PolicyEditor client={policiesClient(policy.PolicyTier.PLATFORM).client} policyId="p-1" canChange={false} />));
    expect(await screen.findByText("Revision 4")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Save policy" })).not.toBeInTheDocument();
  });

  it("lets a customer's owner save their own, and reads the platform's to them", async () => {
    const user = userEvent.setup();
    render(routed(<PolicyEditor customer client={policiesClient(policy.PolicyTier.CUSTOMER).client} policyId="p-1" canChange />));
    await user.click(await screen.findByRole("button", { name: "Save policy" }));
    expect(await screen.findByText("Saved.")).toBeInTheDocument();
    expect(screen.queryByText(/Revision/)).not.toBeInTheDocument();
    cleanup();

    render(routed(<PolicyEditor customer client={policiesClient(policy.PolicyTier.PLATFORM).client} policyId="p-1" canChange />));
    expect(await screen.findByText("Set by the platform for your sites; it cannot be changed here.")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Save policy" })).not.toBeInTheDocument();
  });
});
