import { act, render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { Code, common, create } from "@canopy/sdk";
import { usePageTokens } from "../paging/use-page-tokens";
import { canopyError } from "../testing";
import { DeleteButton, ManagedList, type ManagedListProps } from "./managed-list";
import { useConfirmedDelete } from "./use-confirmed-delete";

type Thing = { id: string; name: string };
const ready = { isPending: false, isError: false, error: null, isPlaceholderData: false, data: { page: create(common.PageResponseSchema, { nextPageToken: "n2", totalSize: 2n }) } };
const things: Thing[] = [
  { id: "t-1", name: "alpha" },
  { id: "t-2", name: "beta" },
];

function Things({ remove = vi.fn(async () => undefined), ...props }: Partial<Omit<ManagedListProps<Thing>, "deletion" | "children">> & { remove?: (t: Thing) => Promise<unknown> }) {
  const deletion = useConfirmedDelete<Thing>({ remove, deleted: (t) => `${t.name} was deleted.` });
  const pages = usePageTokens("");
  return (
    <ManagedList
      list={ready}
      items={things}
      deletion={deletion}
      confirmation={(t) => ({ title: `Delete ${t.name}?`, body: "It is gone for good.", confirmLabel: "Yes, delete the thing" })}
      loadingLabel="Loading things"
      empty={{ title: "No things", description: "A thing is made elsewhere." }}
      pages={pages}
      noun={["thing", "things"]}
      pagerLabel="Thing pages"
      {...props}
    >
      {(items) => (
        <ul aria-label="Things">
          {items.map((t) => (
            <li key={t.id}>
              {t.name} <DeleteButton deletion={deletion} item={t} name={t.name} />
            </li>
          ))}
        </ul>
      )}
    </ManagedList>
  );
}

describe("ManagedList", () => {
  it("says it is loading, then the failure in words, then that there is nothing", () => {
    const { rerender } = render(<Things list={{ isPending: true, isError: false, error: null, isPlaceholderData: false }} items={undefined} />);
    expect(screen.getByRole("status", { name: "Loading things" })).toBeInTheDocument();
    expect(screen.queryByRole("list")).not.toBeInTheDocument();
    expect(screen.queryByRole("navigation")).not.toBeInTheDocument();

    rerender(<Things list={{ isPending: false, isError: true, error: canopyError(Code.PermissionDenied, "only owners list things"), isPlaceholderData: false }} items={undefined} />);
    expect(screen.queryByRole("status")).not.toBeInTheDocument();
    expect(screen.getByRole("alert")).toHaveTextContent("Only owners list things.");

    rerender(<Things items={[]} />);
    expect(screen.getByText("No things")).toBeInTheDocument();
    expect(screen.getByText("A thing is made elsewhere.")).toBeInTheDocument();
    rerender(<Things items={undefined} />);
    expect(screen.getByText("No things")).toBeInTheDocument();
  });

  it("shows the items and their pager, with the controls above them, in a titled card when given a title", () => {
    render(<Things title="Things" controls={<button type="button">New thing</button>} />);
    expect(screen.getByRole("heading", { level: 2, name: "Things" })).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "New thing" })).toBeInTheDocument();
    expect(within(screen.getByRole("list", { name: "Things" })).getAllByRole("listitem")).toHaveLength(2);
    const pager = screen.getByRole("navigation", { name: "Thing pages" });
    expect(pager).toHaveTextContent("2 things");
    expect(within(pager).getByRole("button", { name: "Next page" })).toBeEnabled();
  });

  it("deletes an item only after its confirmation, then says so", async () => {
    const user = userEvent.setup();
    let finish: () => void = () => undefined;
    const remove = vi.fn(() => new Promise<void>((resolve) => (finish = resolve)));
    render(<Things remove={remove} />);

    await user.click(screen.getByRole("button", { name: "Delete alpha" }));
    const dialog = screen.getByRole("alertdialog", { name: "Delete alpha?" });
    expect(dialog).toHaveTextContent("It is gone for good.");
    expect(screen.getByRole("button", { name: "Delete alpha" })).toBeDisabled();
    expect(screen.getByRole("button", { name: "Delete beta" })).toBeEnabled();
    await user.click(within(dialog).getByRole("button", { name: "Keep it" }));
    expect(screen.queryByRole("alertdialog")).not.toBeInTheDocument();
    expect(remove).not.toHaveBeenCalled();

    await user.click(screen.getByRole("button", { name: "Delete alpha" }));
    await user.click(screen.getByRole("button", { name: "Yes, delete the thing" }));
    expect(remove).toHaveBeenCalledWith(things[0]);
    expect(screen.getByRole("button", { name: "Yes, delete the thing" })).toHaveAttribute("aria-busy", "true");
    expect(screen.getByRole("button", { name: "Keep it" })).toBeDisabled();
    await act(async () => finish());
    expect(screen.queryByRole("alertdialog")).not.toBeInTheDocument();
    expect(screen.getByText("alpha was deleted.")).toBeInTheDocument();

    await user.click(screen.getByRole("button", { name: "Delete beta" }));
    expect(screen.queryByText("alpha was deleted.")).not.toBeInTheDocument();
  });

  it("keeps the confirmation open with the failure, and forgets it when cancelled", async () => {
    const user = userEvent.setup();
    const remove = vi.fn().mockRejectedValueOnce(canopyError(Code.FailedPrecondition, "a policy still names it")).mockResolvedValueOnce(undefined);
    render(<Things remove={remove} />);
    await user.click(screen.getByRole("button", { name: "Delete beta" }));
    await user.click(screen.getByRole("button", { name: "Yes, delete the thing" }));
    const dialog = await screen.findByRole("alertdialog", { name: "Delete beta?" });
    expect(await within(dialog).findByText(/a policy still names it/i)).toBeInTheDocument();
    expect(screen.queryByText("beta was deleted.")).not.toBeInTheDocument();

    await user.click(within(dialog).getByRole("button", { name: "Keep it" }));
    await user.click(screen.getByRole("button", { name: "Delete beta" }));
    expect(screen.queryByText(/a policy still names it/i)).not.toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Yes, delete the thing" }));
    expect(await screen.findByText("beta was deleted.")).toBeInTheDocument();
    expect(remove).toHaveBeenCalledTimes(2);
  });
});
