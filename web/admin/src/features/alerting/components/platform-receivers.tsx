//! The platform's receivers, through the shared ReceiverManager, with the
//! escalation policies offered as a receiver kind.
import { useQuery } from "@tanstack/react-query";
import type { CanopyClient } from "@canopy/sdk";
import { ReceiverManager, usePageTokens } from "@canopy/ui";
import { MAX_POLICY_CHOICES, escalationQueries } from "../api/escalation";
import { receiverQueries, useCreateReceiver, useDeleteReceiver } from "../api/receivers";

export interface PlatformReceiversProps {
  client: Pick<CanopyClient, "receivers" | "escalationPolicies">;
}

export function PlatformReceivers({ client }: PlatformReceiversProps) {
  const pages = usePageTokens("");
  const list = useQuery(receiverQueries.list(client, pages.pageToken));
  const policies = useQuery(escalationQueries.list(client, "", MAX_POLICY_CHOICES));
  const create = useCreateReceiver(client);
  const remove = useDeleteReceiver(client);
  return (
    <ReceiverManager
      list={list}
      pages={pages}
      create={(spec) => create.mutateAsync(spec)}
      remove={(receiver) => remove.mutateAsync(receiver.id)}
      escalationPolicies={(policies.data?.escalationPolicies ?? []).map((p) => ({ value: p.id, label: p.name }))}
      emptyDescription="The routing tree sends alerts to receivers by name: Slack, signed webhooks, or an escalation policy that pages until someone acknowledges."
    />
  );
}
