//! The shape every managed list shares: optional controls above it, the success
//! notice, the delete confirmation, then loading, failure, "nothing yet" or the
//! items (the page's table) and their pager, optionally inside a titled card.
import type { ReactNode } from "react";
import type { common } from "@canopy/sdk";
import { Alert } from "../components/alert";
import { Button } from "../components/button";
import { Card } from "../components/card";
import { EmptyState } from "../components/empty-state";
import { Spinner } from "../components/spinner";
import { ConfirmDialog } from "../alerts/confirm-dialog";
import { Pager } from "../paging/pager";
import type { PageTokens } from "../paging/use-page-tokens";
import { errorMessage } from "../session/error-message";
import type { ConfirmedDelete } from "./use-confirmed-delete";

/** The confirmation's words for one item. */
export interface DeleteConfirmation {
  /** "Delete ops-slack?": the dialog's heading and accessible name. */
  title: string;
  body: ReactNode;
  /** "Yes, delete the receiver". */
  confirmLabel: string;
  /** "Keep it" unless told. */
  cancelLabel?: string;
}

export interface ManagedListProps<T> {
  /** The list query's state; its `page` and `isPlaceholderData` drive the pager. */
  list: { isPending: boolean; isError: boolean; error: unknown; isPlaceholderData: boolean; data?: { page?: common.PageResponse } };
  /** The items shown, once loaded (undefined reads as none). */
  items: T[] | undefined;
  /** From `useConfirmedDelete`. */
  deletion: ConfirmedDelete<T>;
  confirmation: (item: T) => DeleteConfirmation;
  /** The spinner's name: "Loading receivers". */
  loadingLabel: string;
  /** What an empty list says. */
  empty: { title: string; description?: ReactNode };
  /** Wraps the list in a card with this heading. */
  title?: string;
  /** Above the notice: filters, a "New …" link. */
  controls?: ReactNode;
  /** From `usePageTokens` (or the page's own paging). */
  pages: PageTokens;
  /** What the list holds, for the pager's count: `["receiver", "receivers"]`. */
  noun: [one: string, many: string];
  /** The pager's landmark name where a page has two lists ("Receiver pages"). */
  pagerLabel?: string;
  /** The items: a table. */
  children: (items: T[]) => ReactNode;
}

export function ManagedList<T>({ list, items, deletion, confirmation, loadingLabel, empty, title, controls, pages, noun, pagerLabel, children }: ManagedListProps<T>) {
  const asked = deletion.confirming === undefined ? undefined : confirmation(deletion.confirming);
  const body = (
    <div className="flex flex-col gap-3">
      {controls}
      {deletion.notice && <Alert tone="success">{deletion.notice}</Alert>}
      {asked && (
        <ConfirmDialog
          title={asked.title}
          body={asked.body}
          confirmLabel={asked.confirmLabel}
          cancelLabel={asked.cancelLabel ?? "Keep it"}
          busy={deletion.busy}
          error={deletion.error}
          onConfirm={() => void deletion.confirm()}
          onCancel={deletion.cancel}
        />
      )}
      {list.isPending ? (
        <Spinner label={loadingLabel} />
      ) : list.isError ? (
        <Alert tone="danger">{errorMessage(list.error)}</Alert>
      ) : !items || items.length === 0 ? (
        <EmptyState title={empty.title} description={empty.description} />
      ) : (
        <>
          {children(items)}
          <Pager pages={pages} page={list.data?.page} noun={noun} loading={list.isPlaceholderData} label={pagerLabel} />
        </>
      )}
    </div>
  );
  return title ? <Card title={title}>{body}</Card> : body;
}

export interface DeleteButtonProps<T extends { id: string }> {
  deletion: ConfirmedDelete<T>;
  item: T;
  /** The item's name in the button's accessible name: "Delete ops-slack". */
  name: string;
}

/** A row's "Delete": opens the confirmation, and waits while that row's is open. */
export function DeleteButton<T extends { id: string }>({ deletion, item, name }: DeleteButtonProps<T>) {
  return (
    <Button variant="secondary" aria-label={`Delete ${name}`} disabled={deletion.confirming?.id === item.id} onClick={() => deletion.ask(item)}>
      Delete
    </Button>
  );
}
