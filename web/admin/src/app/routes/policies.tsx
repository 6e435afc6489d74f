//! `/policies/*`: policies as code. Platform admins create, edit and delete the
//! platform's policies and override or discard waiting runs; operators read the
//! same pages (ListPolicies, GetPolicy, ListViolations and ListPolicyChecks admit
//! them; the changes do not).
import { Link, useLocation, useParams } from "react-router";
import { NewPolicy, PolicyEditor, type Section, SectionLayout, SectionPage, useCanopy } from "@canopy/ui";
import { useIsPlatformAdmin } from "../../hooks/use-current-user";
import { PolicyChecks } from "../../features/policies/components/policy-checks";
import { PolicyList } from "../../features/policies/components/policy-list";
import { Violations } from "../../features/policies/components/violations";

const SECTIONS: Section[] = [
  { to: "/policies", label: "Policies", end: true },
  { to: "/policies/compliance", label: "Compliance" },
  { to: "/policies/checks", label: "Waiting runs" },
];

export function PoliciesLayout() {
  return <SectionLayout label="Policies" sections={SECTIONS} />;
}

export function PoliciesRoute() {
  const { client } = useCanopy();
  const isAdmin = useIsPlatformAdmin();
  return (
    <SectionPage title="Policies" intro="The platform's guardrails: checked on every deployment's Terraform plan, for every customer in their scope, before it is applied.">
      <PolicyList client={client} canChange={isAdmin} />
    </SectionPage>
  );
}

export function NewPolicyRoute() {
  const { client } = useCanopy();
  const isAdmin = useIsPlatformAdmin();
  return (
    <SectionPage title="New policy">
      <Link to="/policies">← All policies</Link>
      {isAdmin ? <NewPolicy client={client} /> : <p className="m-0">Only platform admins create policies.</p>}
    </SectionPage>
  );
}

export function PolicyRoute() {
  const { client } = useCanopy();
  const { policyId = "" } = useParams();
  const isAdmin = useIsPlatformAdmin();
  const notice = (useLocation().state as { notice?: string } | null)?.notice;
  return (
    <SectionPage title="Policy">
      <Link to="/policies">← All policies</Link>
      <PolicyEditor client={client} policyId={policyId} canChange={isAdmin} notice={notice} />
    </SectionPage>
  );
}

export function ComplianceRoute() {
  const { client } = useCanopy();
  return (
    <SectionPage title="Compliance" intro="Which sites fail which policies, as their current configuration was last evaluated.">
      <Violations client={client} />
    </SectionPage>
  );
}

export function ChecksRoute() {
  const { client } = useCanopy();
  const isAdmin = useIsPlatformAdmin();
  return (
    <SectionPage title="Waiting runs" intro="Deployments whose plans failed a soft-mandatory policy wait for an override (with a reason) or a discard, until they expire.">
      <PolicyChecks client={client} canChange={isAdmin} />
    </SectionPage>
  );
}
