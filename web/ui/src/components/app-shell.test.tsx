import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { AppShell, CenteredPage } from "./app-shell";
import { EmptyState } from "./empty-state";
import { Table } from "./table";

const shell = () =>
  render(
    <AppShell brand={<a href="/">Canopy</a>} nav={<a href="/sites">Sites</a>}>
      <h1>Page</h1>
    </AppShell>,
  );

describe("AppShell", () => {
  it("offers a skip link as the first Tab stop, which moves focus to the main content", async () => {
    const user = userEvent.setup();
    shell();
    await user.tab();
    const skip = screen.getByRole("link", { name: "Skip to main content" });
    expect(skip).toHaveFocus();
    await user.keyboard("{Enter}");
    expect(screen.getByRole("main")).toHaveFocus();
  });

  it("puts the navigation behind a Menu button that says whether it is open, and closes it when a link is followed", async () => {
    const user = userEvent.setup();
    shell();
    const menu = screen.getByRole("button", { name: "Menu" });
    const nav = screen.getByRole("navigation", { name: "Main" });
    expect(menu).toHaveAttribute("aria-expanded", "false");
    expect(menu).toHaveAttribute("aria-controls", nav.id);
    // Hidden at phone width only while closed: `hidden` applies below `sm`, `sm:flex` above.
    expect(nav).toHaveClass("hidden", "sm:flex");
    await user.click(menu);
    expect(menu).toHaveAttribute("aria-expanded", "true");
    expect(nav).not.toHaveClass("hidden");
    await user.click(screen.getByRole("link", { name: "Sites" }));
    expect(menu).toHaveAttribute("aria-expanded", "false");
  });

  it("gives the centred pages (sign-in) the same skip link", async () => {
    const user = userEvent.setup();
    render(
      <CenteredPage>
        <input aria-label="Email" />
      </CenteredPage>,
    );
    await user.tab();
    expect(screen.getByRole("link", { name: "Skip to main content" })).toHaveFocus();
  });
});

describe("EmptyState", () => {
  it("is not a heading, so it never skips a level in the page's outline", () => {
    render(<EmptyState title="No sites yet" />);
    expect(screen.getByText("No sites yet")).toBeInTheDocument();
    expect(screen.queryByRole("heading")).not.toBeInTheDocument();
  });
});

describe("Table", () => {
  it("labels each cell with its column's name for the stacked phone layout, rows added later too", async () => {
    const rows = (names: string[]) => (
      <Table aria-label="Users">
        <thead>
          <tr>
            <th>Email</th>
            <th>Role</th>
          </tr>
        </thead>
        <tbody>
          {names.map((n) => (
            <tr key={n}>
              <td>{n}</td>
              <td>Owner</td>
            </tr>
          ))}
          <tr>
            <td colSpan={2}>More on the next page</td>
          </tr>
        </tbody>
      </Table>
    );
    const { rerender } = render(rows(["a@x.test"]));
    expect(screen.getByText("a@x.test")).toHaveAttribute("data-label", "Email");
    expect(screen.getAllByText("Owner")[0]).toHaveAttribute("data-label", "Role");
    expect(screen.getByText("More on the next page")).not.toHaveAttribute("data-label");
    rerender(rows(["a@x.test", "b@x.test"]));
    await screen.findByText("b@x.test");
    await new Promise((resolve) => setTimeout(resolve, 0)); // the MutationObserver's callback
    expect(screen.getByText("b@x.test")).toHaveAttribute("data-label", "Email");
  });
});
