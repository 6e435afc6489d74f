import { render, screen, waitFor } from "@testing-library/react";
import { createMemoryRouter, RouterProvider, useLocation } from "react-router";
import { afterEach, describe, expect, it } from "vitest";
import { useSearchFilters } from "./use-search-filters";

/** A list's filters as the portals bind them: a checkbox and a select, both from the URL. */
function Filters() {
  const [filters, setFilters] = useSearchFilters(["deleted", "status"] as const);
  return (
    <>
      <label>
        <input type="checkbox" checked={filters.deleted === "1"} onChange={(e) => setFilters({ deleted: e.target.checked ? "1" : "" })} />
        Include deleted
      </label>
      <label>
        Status
        <select value={filters.status} onChange={(e) => setFilters({ status: e.target.value })}>
          <option value="">All</option>
          <option value="failed">Failed</option>
        </select>
      </label>
      <output aria-label="URL">{useLocation().search}</output>
    </>
  );
}

/**
 * The portals' router (a data router, which renders a navigation in a transition,
 * after the event that asked for it), driven as a browser drives it: events outside
 * act(), so React schedules the transition for later as it does on a busy machine
 * instead of act() flushing it before the test looks.
 */
function renderFilters(url = "/sites") {
  const router = createMemoryRouter([{ path: "/sites", element: <Filters /> }], { initialEntries: [url] });
  render(<RouterProvider router={router} />);
  (globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = false;
  return router;
}

afterEach(() => {
  (globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;
});

/** Chooses an option as a user does: one change event, outside act(). */
function choose(select: HTMLElement, value: string) {
  (select as HTMLSelectElement).value = value;
  select.dispatchEvent(new Event("change", { bubbles: true }));
}

describe("useSearchFilters", () => {
  it("shows a change at once, before the router applies it to the URL, and keeps it after", async () => {
    renderFilters();
    const box = screen.getByRole("checkbox", { name: "Include deleted" });
    // What a user (or Playwright's check()) sees right after the click: no springing back.
    box.click();
    expect(box).toBeChecked();
    await waitFor(() => expect(screen.getByLabelText("URL")).toHaveTextContent("?deleted=1"));
    expect(box).toBeChecked();

    choose(screen.getByRole("combobox", { name: "Status" }), "failed");
    expect(screen.getByRole("combobox", { name: "Status" })).toHaveValue("failed");
    box.click();
    expect(box).not.toBeChecked();
    await waitFor(() => expect(screen.getByLabelText("URL")).toHaveTextContent(/^\?status=failed$/));
    expect(box).not.toBeChecked();
    expect(screen.getByRole("combobox", { name: "Status" })).toHaveValue("failed");
  });

  it("keeps every change made before the router catches up", async () => {
    renderFilters("/sites?status=failed");
    // Two changes in a row, the second before the first reached the URL.
    screen.getByRole("checkbox", { name: "Include deleted" }).click();
    choose(screen.getByRole("combobox", { name: "Status" }), "");
    await waitFor(() => expect(screen.getByLabelText("URL")).toHaveTextContent(/^\?deleted=1$/));
    expect(screen.getByRole("checkbox", { name: "Include deleted" })).toBeChecked();
    expect(screen.getByRole("combobox", { name: "Status" })).toHaveValue("");
  });

  it("follows the URL when it changes elsewhere (a link, the back button)", async () => {
    const router = renderFilters("/sites?deleted=1");
    const box = screen.getByRole("checkbox", { name: "Include deleted" });
    expect(box).toBeChecked();
    box.click();
    expect(box).not.toBeChecked();
    await waitFor(() => expect(screen.getByLabelText("URL")).toBeEmptyDOMElement());
    await router.navigate("/sites?deleted=1&status=failed");
    await waitFor(() => expect(box).toBeChecked());
    expect(screen.getByRole("combobox", { name: "Status" })).toHaveValue("failed");
  });
});
