//! The owner's notifications: their own receivers (Slack or a signed webhook; each
//! gets every alert about this customer, grouped by alert name) and their recent
//! alerts, read only.
import { useQuery } from "@tanstack/react-query";
import type { CanopyClient } from "@canopy/sdk";
import { AlertList, Card, ReceiverManager, usePageTokens } from "@canopy/ui";
import { customerReceiverQueries, useCreateCustomerReceiver, useDeleteCustomerReceiver } from "../api/receivers";

export interface NotificationsProps {
  client: Pick<CanopyClient, "customerReceivers" | "alerts">;
}

export function Notifications({ client }: NotificationsProps) {
  const pages = usePageTokens("");
  const list = useQuery(customerReceiverQueries.list(client, pages.pageToken));
  const create = useCreateCustomerReceiver(client);
  const remove = useDeleteCustomerReceiver(client);
  return (
    <div className="flex flex-col gap-4">
      <ReceiverManager
        list={list}
        pages={pages}
        create={(spec) => create.mutateAsync(spec)}
        remove={(receiver) => remove.mutateAsync(receiver.id)}
        emptyDescription="Add a Slack channel or a webhook to hear when a deployment or a site fails."
      />
      <Card title="Recent alerts">
        <AlertList client={client} allByDefault emptyDescription="Nothing has gone wrong lately." />
      </Card>
    </div>
  );
}
