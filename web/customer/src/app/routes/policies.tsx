//! `/policies/*`: the customer's policies and the platform's that apply to it, and
//! compliance. Everyone reads them; owners create, edit and delete their own
//! (PolicyService lets owners alone change them).
import { Link, useLocation, useParams } from "react-router";
import { NewPolicy, PolicyEditor, ROLE, type Section, SectionLayout, SectionPage, useCanopy } from "@canopy/ui";
import { Compliance } from "../../features/policies/components/compliance";
import { CustomerPolicies } from "../../features/policies/components/customer-policies";
import { useCurrentUser } from "../layout";

const SECTIONS: Section[] = [
  { to: "/policies", label: "Policies", end: true },
  { to: "/policies/compliance", label: "Compliance" },
];

export function PoliciesLayout() {
  return <SectionLayout label="Policies" sections={SECTIONS} />;
}

const useIsOwner = () => useCurrentUser().data?.role === ROLE.owner;

export function PoliciesRoute() {
  const { client } = useCanopy();
  return (
    <SectionPage title="Policies" intro="Each deployment's plan is checked against these before it is applied: your own, and those the platform sets for your sites.">
      <CustomerPolicies client={client} isOwner={useIsOwner()} />
    </SectionPage>
  );
}

export function NewPolicyRoute() {
  const { client } = useCanopy();
  const isOwner = useIsOwner();
  return (
    <SectionPage title="New policy">
      <Link to="/policies">← All policies</Link>
      {isOwner ? <NewPolicy customer client={client} /> : <p className="m-0">Only the account&apos;s owners create policies.</p>}
    </SectionPage>
  );
}

export function PolicyRoute() {
  const { client } = useCanopy();
  const { policyId = "" } = useParams();
  const notice = (useLocation().state as { notice?: string } | null)?.notice;
  return (
    <SectionPage title="Policy">
      <Link to="/policies">← All policies</Link>
      <PolicyEditor customer client={client} policyId={policyId} canChange={useIsOwner()} notice={notice} />
    </SectionPage>
  );
}

export function ComplianceRoute() {
  const { client } = useCanopy();
  return (
    <SectionPage title="Compliance" intro="Whether each site's current configuration passes every policy in its scope.">
      <Compliance client={client} />
    </SectionPage>
  );
}
