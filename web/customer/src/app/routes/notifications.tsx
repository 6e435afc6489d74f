//! `/notifications`: the customer's receivers and alerts. CustomerReceiverService
//! and AlertService answer owners only (of a customer's users), so members and
//! viewers are told so instead of getting a refused call.
import { ROLE, useCanopy } from "@canopy/ui";
import { Notifications } from "../../features/notifications/components/notifications";
import { useCurrentUser } from "../layout";

export function NotificationsRoute() {
  const { client } = useCanopy();
  const user = useCurrentUser();
  return (
    <div className="flex flex-col gap-4">
      <h1 className="m-0">Notifications</h1>
      {user.data &&
        (user.data.role === ROLE.owner ? (
          <Notifications client={client} />
        ) : (
          <p className="m-0">Only the account&apos;s owners manage where alerts about your sites are sent, and read them. Ask an owner if you need to be told when a deployment fails.</p>
        ))}
    </div>
  );
}
