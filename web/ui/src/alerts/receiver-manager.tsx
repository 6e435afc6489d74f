//! Receivers of one owner (the platform, or a customer): the list with each one's
//! delivery state, a new one (a webhook's signing secret shown once), and
//! deletion after a confirmation. The portal's feature owns the calls.
import { useId, useRef, useState } from "react";
import type { alerts, common } from "@canopy/sdk";
import { Alert } from "../components/alert";
import { Button } from "../components/button";
import { Card } from "../components/card";
import { CopyButton } from "../components/copy-button";
import { EmptyState } from "../components/empty-state";
import { Spinner } from "../components/spinner";
import { Table } from "../components/table";
import { UrlText } from "../components/url-text";
import { Pager } from "../paging/pager";
import type { PageTokens } from "../paging/use-page-tokens";
import { errorMessage } from "../session/error-message";
import { formatDateTime } from "../sites/time-in-words";
import { receiverKind, receiverTarget } from "./alert-words";
import { ConfirmDialog } from "./confirm-dialog";
import { ReceiverForm, type ReceiverFormProps } from "./receiver-form";

export interface ReceiverManagerProps extends Pick<ReceiverFormProps, "create" | "escalationPolicies"> {
  /** The list query's state (ListReceivers or ListCustomerReceivers). */
  list: { isPending: boolean; isError: boolean; error: unknown; isPlaceholderData: boolean; data?: { receivers: alerts.Receiver[]; page?: common.PageResponse } };
  pages: PageTokens;
  remove: (receiver: alerts.Receiver) => Promise<unknown>;
  removing: boolean;
  /** Whether actions are offered (the reader's role may change receivers). */
  canChange?: boolean;
  /** What a receiver gets, for the empty list. */
  emptyDescription: string;
}

export function ReceiverManager({ list, pages, create, remove, removing, escalationPolicies, canChange = true, emptyDescription }: ReceiverManagerProps) {
  const [created, setCreated] = useState<{ name: string; secret: string }>();
  const [confirming, setConfirming] = useState<alerts.Receiver>();
  const [removeError, setRemoveError] = useState<string>();
  const [notice, setNotice] = useState<string>();

  const confirmDelete = async (receiver: alerts.Receiver) => {
    setRemoveError(undefined);
    try {
      await remove(receiver);
      setConfirming(undefined);
      setNotice(`${receiver.name} was deleted: it gets no more notifications.`);
    } catch (e) {
      setRemoveError(errorMessage(e));
    }
  };

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
                setNotice(res.signingSecret ? undefined : `${res.receiver?.name ?? "The receiver"} was added.`);
                if (res.signingSecret) setCreated({ name: res.receiver?.name ?? "", secret: res.signingSecret });
              }}
            />
          )}
        </Card>
      )}
      <Card title="Receivers">
        <div className="flex flex-col gap-3">
          {notice && <Alert tone="success">{notice}</Alert>}
          {confirming && (
            <ConfirmDialog
              title={`Delete ${confirming.name}?`}
              body="It gets no more notifications, and deliveries still waiting for a retry are dropped."
              confirmLabel="Yes, delete the receiver"
              cancelLabel="Keep it"
              busy={removing}
              error={removeError}
              onConfirm={() => void confirmDelete(confirming)}
              onCancel={() => {
                setConfirming(undefined);
                setRemoveError(undefined);
              }}
            />
          )}
          {list.isPending ? (
            <Spinner label="Loading receivers" />
          ) : list.isError ? (
            <Alert tone="danger">{errorMessage(list.error)}</Alert>
          ) : !list.data || list.data.receivers.length === 0 ? (
            <EmptyState title="No receivers" description={emptyDescription} />
          ) : (
            <>
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
                  {list.data.receivers.map((receiver) => (
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
                          <Button
                            variant="secondary"
                            aria-label={`Delete ${receiver.name}`}
                            disabled={confirming?.id === receiver.id}
                            onClick={() => {
                              setRemoveError(undefined);
                              setNotice(undefined);
                              setConfirming(receiver);
                            }}
                          >
                            Delete
                          </Button>
                        </td>
                      )}
                    </tr>
                  ))}
                </tbody>
              </Table>
              <Pager pages={pages} page={list.data.page} noun={["receiver", "receivers"]} loading={list.isPlaceholderData} label="Receiver pages" />
            </>
          )}
        </div>
      </Card>
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
