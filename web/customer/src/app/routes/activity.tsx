//! `/activity`: the customer's audit trail. AuditService answers owners only, so
//! members and viewers are told so instead of getting a refused call.
import { ROLE, useCanopy } from "@canopy/ui";
import { ActivityLog } from "../../features/activity/components/activity-log";
import { useCurrentUser } from "../layout";

export function ActivityRoute() {
  const { client } = useCanopy();
  const user = useCurrentUser();
  return (
    <div className="flex flex-col gap-4">
      <h1 className="m-0">Activity</h1>
      {user.data &&
        (user.data.role === ROLE.owner ? (
          <ActivityLog client={client} />
        ) : (
          <p className="m-0">Only the account's owners can see its activity: every change made to your sites, users and keys, and every sign-in. Ask an owner if you need it.</p>
        ))}
    </div>
  );
}
