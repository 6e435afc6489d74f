//! Receivers of one owner (the platform, or a customer): the list with each one's
//! delivery state, a new one (a webhook's signing secret shown once), and
//! deletion after a confirmation. The portal's feature owns the calls.
import { useId, useRef, useState } from "react";
import type { alerts, common } from "@canopy/sdk";
import { Alert } from "../components/alert";
import { Button } from "../components/button";
import { Card } from "../components/card";
import { CopyButton } from "../components/copy-button";
import { Table } from "../components/table";
import { UrlText } from "../components/url-text";
import { DeleteButton, ManagedList } from "../lists/managed-list";
import { useConfirmedDelete } from "../lists/use-confirmed-delete";
import type { PageTokens } from "../paging/use-page-tokens";
import { formatDateTime } from "../sites/time-in-words";
import { receiverKind, receiverTarget } from "./alert-words";
import { ReceiverForm, type ReceiverFormProps } from "./receiver-form";

export interface ReceiverManagerProps extends Pick<ReceiverFormProps, "create" | "escalationPolicies"> {
  /** The list query's state (ListReceivers or ListCustomerReceivers). */
  list: { isPending: boolean; isError: boolean; error: unknown; isPlaceholderData: boolean; data?: { receivers: alerts.Receiver[]; page?: common.PageResponse } };
  pages: PageTokens;
  /** DeleteReceiver (or DeleteCustomerReceiver); busy and failure are shown in the confirmation. */
  remove: (receiver: alerts.Receiver) => Promise<unknown>;
  /** Whether actions are offered (the reader's role may change receivers). */
  canChange?: boolean;
  /** What a receiver gets, for the empty list. */
  emptyDescription: string;
}

export function ReceiverManager({ list, pages, create, remove, escalationPolicies, canChange = true, emptyDescription }: ReceiverManagerProps) {
  const [created, setCreated] = useState<{ name: string; secret: string }>();
  const deletion = useConfirmedDelete<alerts.Receiver>({ remove, deleted: (receiver) => `${receiver.name} was deleted: it gets no more notifications.` });

  return (
    <div className="flex flex-col gap-4">
      {canChange && (
        <Card title="Add a receiver">
          {created ? (
            <NewReceiverSecret name={created.name} secret={created.secret} onDismiss={() => setCreated(undefined)} />
          ) : (
            <ReceiverForm
              create={create}
              escalationPolicies={escalationPolicies}
              onCreated={(res) => {
                deletion.setNotice(res.signingSecret ? undefined : `${res.receiver?.name ?? "The receiver"} was added.`);
                if (res.signingSecret) setCreated({ name: res.receiver?.name ?? "", secret: res.signingSecret });
              }}
            />
          )}
        </Card>
      )}
      <ManagedList
        title="Receivers"
        list={list}
        items={list.data?.receivers}
        deletion={deletion}
        pages={pages}
        noun={["receiver", "receivers"]}
        pagerLabel="Receiver pages"
        confirmation={(receiver) => ({
          title: `Delete ${receiver.name}?`,
          body: "It gets no more notifications, and deliveries still waiting for a retry are dropped.",
          confirmLabel: "Yes, delete the receiver",
        })}
        loadingLabel="Loading receivers"
        empty={{ title: "No receivers", description: emptyDescription }}
      >
        {(receivers) => (
          <Table aria-label="Receivers">
            <thead>
              <tr>
                <th>Name</th>
                <th>Kind</th>
                <th>Sends to</th>
                <th>Resolved</th>
                <th>Created</th>
                <th>Delivered</th>
                <th>Pending</th>
                <th>Last error</th>
                {canChange && (
                  <th>
                    <span className="sr-only">Actions</span>
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              {receivers.map((receiver) => (
                <tr key={receiver.id}>
                  <td className="font-semibold">{receiver.name}</td>
                  <td>{receiverKind(receiver)}</td>
                  <td>
                    <UrlText text={receiverTarget(receiver)} />
                  </td>
                  <td>{receiver.sendResolved ? "Told" : "Not told"}</td>
                  <td>{formatDateTime(receiver.createTime)}</td>
                  <td>{receiver.deliveredCount.toLocaleString()}</td>
                  <td>{receiver.pendingCount.toLocaleString()}</td>
                  <td className={receiver.lastError ? "text-danger" : "text-muted"}>{receiver.lastError || "None"}</td>
                  {canChange && (
                    <td>
                      <DeleteButton deletion={deletion} item={receiver} name={receiver.name} />
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </Table>
        )}
      </ManagedList>
    </div>
  );
}

/** A new webhook receiver's signing secret: shown this once, with a copy button. */
function NewReceiverSecret({ name, secret, onDismiss }: { name: string; secret: string; onDismiss: () => void }) {
  const id = useId();
  const input = useRef<HTMLInputElement>(null);
  return (
    <div className="flex flex-col gap-3" role="region" aria-label="New receiver">
      <Alert tone="success" title={`${name} was added`}>
        Copy its signing secret now: it will not be shown again. The endpoint checks each delivery&apos;s <code className="font-mono">webhook-signature</code> with it.
      </Alert>
      <label className="flex flex-col gap-1 font-semibold" htmlFor={id}>
        Signing secret
        <input
          id={id}
          ref={input}
          readOnly
          value={secret}
          onFocus={(e) => e.target.select()}
          className="min-h-control w-full rounded-brand border border-line bg-canvas px-3 py-control-y font-mono font-normal"
        />
      </label>
      <CopyButton text={secret} label="Copy secret" what="Secret" onUnavailable={() => input.current?.select()} />
      <div>
        <Button variant="secondary" onClick={onDismiss}>
          I have copied the secret
        </Button>
      </div>
    </div>
  );
}
