//! `/audit`: the audit trail across customers and the platform. AuditService
//! answers platform admins and owners only: an operator is told so instead of
//! getting a refused call.
import { Link } from "react-router";
import { useCanopy } from "@canopy/ui";
import { AuditLog } from "../../features/audit/components/audit-log";
import { useCurrentUser, useIsPlatformAdmin } from "../../hooks/use-current-user";

export function AuditRoute() {
  const { client } = useCanopy();
  const admin = useIsPlatformAdmin();
  const user = useCurrentUser();
  return (
    <div className="flex flex-col gap-4">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <h1 className="m-0">Audit log</h1>
        {admin && <Link to="/audit/siem">SIEM endpoints</Link>}
      </div>
      {user.data && !admin ? <p className="m-0">Only platform admins read the audit log.</p> : admin && <AuditLog client={client} />}
    </div>
  );
}
