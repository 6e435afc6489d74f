//! `/policies/*`: the customer's policies and the platform's that apply to it, and
//! compliance. Everyone reads them; owners create, edit and delete their own
//! (PolicyService lets owners alone change them).
import type { ReactNode } from "react";
import { Link, NavLink, Outlet, useLocation, useParams } from "react-router";
import { ROLE, useCanopy } from "@canopy/ui";
import { Compliance } from "../../features/policies/components/compliance";
import { CustomerPolicies } from "../../features/policies/components/customer-policies";
import { CustomerPolicy, NewCustomerPolicy } from "../../features/policies/components/customer-policy";
import { useCurrentUser } from "../layout";

const SECTIONS = [
  { to: "/policies", label: "Policies", end: true },
  { to: "/policies/compliance", label: "Compliance" },
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

const useIsOwner = () => useCurrentUser().data?.role === ROLE.owner;

export function PoliciesRoute() {
  const { client } = useCanopy();
  return (
    <Page title="Policies" intro="Each deployment's plan is checked against these before it is applied: your own, and those the platform sets for your sites.">
      <CustomerPolicies client={client} isOwner={useIsOwner()} />
    </Page>
  );
}

export function NewPolicyRoute() {
  const { client } = useCanopy();
  const isOwner = useIsOwner();
  return (
    <Page title="New policy">
      <Link to="/policies">← All policies</Link>
      {isOwner ? <NewCustomerPolicy client={client} /> : <p className="m-0">Only the account&apos;s owners create policies.</p>}
    </Page>
  );
}

export function PolicyRoute() {
  const { client } = useCanopy();
  const { policyId = "" } = useParams();
  const notice = (useLocation().state as { notice?: string } | null)?.notice;
  return (
    <Page title="Policy">
      <Link to="/policies">← All policies</Link>
      <CustomerPolicy client={client} policyId={policyId} isOwner={useIsOwner()} notice={notice} />
    </Page>
  );
}

export function ComplianceRoute() {
  const { client } = useCanopy();
  return (
    <Page title="Compliance" intro="Whether each site's current configuration passes every policy in its scope.">
      <Compliance client={client} />
    </Page>
  );
}
