//! `/audit/siem`: the HTTPS endpoints that receive the audit trail as it is
//! recorded. SiemService is for platform admins only.
import { Link } from "react-router";
import { useCanopy } from "@canopy/ui";
import { SiemEndpoints } from "../../features/siem/components/siem-endpoints";
import { useCurrentUser, useIsPlatformAdmin } from "../../hooks/use-current-user";

export function SiemRoute() {
  const { client } = useCanopy();
  const admin = useIsPlatformAdmin();
  const user = useCurrentUser();
  return (
    <div className="flex flex-col gap-4">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <h1 className="m-0">SIEM endpoints</h1>
        <Link to="/audit">Audit log</Link>
      </div>
      {user.data && !admin ? <p className="m-0">Only platform admins manage SIEM endpoints.</p> : admin && <SiemEndpoints client={client} />}
    </div>
  );
}
