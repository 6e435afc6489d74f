//! `/policies/*`: policies as code. Platform admins create, edit and delete the
//! platform's policies and override or discard waiting runs; operators read the
//! same pages (ListPolicies, GetPolicy, ListViolations and ListPolicyChecks admit
//! them; the changes do not).
import type { ReactNode } from "react";
import { Link, NavLink, Outlet, useLocation, useParams } from "react-router";
import { useCanopy } from "@canopy/ui";
import { useIsPlatformAdmin } from "../../hooks/use-current-user";
import { EditPolicy, NewPolicy } from "../../features/policies/components/policy-editor";
import { PolicyChecks } from "../../features/policies/components/policy-checks";
import { PolicyList } from "../../features/policies/components/policy-list";
import { Violations } from "../../features/policies/components/violations";

const SECTIONS = [
  { to: "/policies", label: "Policies", end: true },
  { to: "/policies/compliance", label: "Compliance" },
  { to: "/policies/checks", label: "Waiting runs" },
];

export function PoliciesLayout() {
  return (
    <div className="flex flex-col gap-4">
      <nav aria-label="Policies" className="flex flex-wrap gap-x-4 gap-y-2 border-b border-line pb-2">
        {SECTIONS.map((s) => (
          <NavLink key={s.to} to={s.to} end={s.end} className="font-semibold aria-[current=page]:underline aria-[current=page]:underline-offset-4">
            {s.label}
          </NavLink>
        ))}
      </nav>
      <Outlet />
    </div>
  );
}

function Page({ title, intro, children }: { title: string; intro?: string; children: ReactNode }) {
  return (
    <div className="flex flex-col gap-4">
      <h1 className="m-0">{title}</h1>
      {intro && <p className="m-0 text-muted">{intro}</p>}
      {children}
    </div>
  );
}

export function PoliciesRoute() {
  const { client } = useCanopy();
  const isAdmin = useIsPlatformAdmin();
  return (
    <Page title="Policies" intro="The platform's guardrails: checked on every deployment's Terraform plan, for every customer in their scope, before it is applied.">
      <PolicyList client={client} canChange={isAdmin} />
    </Page>
  );
}

export function NewPolicyRoute() {
  const { client } = useCanopy();
  const isAdmin = useIsPlatformAdmin();
  return (
    <Page title="New policy">
      <Link to="/policies">← All policies</Link>
      {isAdmin ? <NewPolicy client={client} /> : <p className="m-0">Only platform admins create policies.</p>}
    </Page>
  );
}

export function PolicyRoute() {
  const { client } = useCanopy();
  const { policyId = "" } = useParams();
  const isAdmin = useIsPlatformAdmin();
  const notice = (useLocation().state as { notice?: string } | null)?.notice;
  return (
    <Page title="Policy">
      <Link to="/policies">← All policies</Link>
      <EditPolicy client={client} policyId={policyId} canChange={isAdmin} notice={notice} />
    </Page>
  );
}

export function ComplianceRoute() {
  const { client } = useCanopy();
  return (
    <Page title="Compliance" intro="Which sites fail which policies, as their current configuration was last evaluated.">
      <Violations client={client} />
    </Page>
  );
}

export function ChecksRoute() {
  const { client } = useCanopy();
  const isAdmin = useIsPlatformAdmin();
  return (
    <Page title="Waiting runs" intro="Deployments whose plans failed a soft-mandatory policy wait for an override (with a reason) or a discard, until they expire.">
      <PolicyChecks client={client} canChange={isAdmin} />
    </Page>
  );
}
