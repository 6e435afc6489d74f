import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useState } from "react";
import { describe, expect, it } from "vitest";
import { common, create } from "@canopy/sdk";
import { Pager } from "./pager";
import { usePageTokens } from "./use-page-tokens";

/** A list of three pages ("", "t2", "t3") whose filter can change, showing the token it would request. */
function List({ totalSize = -1n }: { totalSize?: bigint }) {
  const [filter, setFilter] = useState("");
  const pages = usePageTokens(filter);
  const next = { "": "t2", t2: "t3", t3: "" }[pages.pageToken] ?? "";
  return (
    <>
      <button onClick={() => setFilter("active")}>Filter</button>
      <output aria-label="Requested token">{pages.pageToken || "first"}</output>
      <Pager pages={pages} page={create(common.PageResponseSchema, { nextPageToken: next, totalSize })} noun={["site", "sites"]} />
    </>
  );
}

describe("usePageTokens and Pager", () => {
  it("walks forward and back through the tokens, and ends at the last page", async () => {
    const user = userEvent.setup();
    render(<List />);
    const token = screen.getByLabelText("Requested token");
    expect(screen.getByRole("button", { name: "Previous page" })).toBeDisabled();
    await user.click(screen.getByRole("button", { name: "Next page" }));
    expect(token).toHaveTextContent("t2");
    await user.click(screen.getByRole("button", { name: "Next page" }));
    expect(token).toHaveTextContent("t3");
    expect(screen.getByRole("button", { name: "Next page" })).toBeDisabled();
    expect(screen.getByText("page 3")).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Previous page" }));
    expect(token).toHaveTextContent("t2");
    await user.click(screen.getByRole("button", { name: "Previous page" }));
    expect(token).toHaveTextContent("first");
    expect(screen.getByRole("button", { name: "Previous page" })).toBeDisabled();
  });

  it("starts again at the first page when the filters change", async () => {
    const user = userEvent.setup();
    render(<List />);
    await user.click(screen.getByRole("button", { name: "Next page" }));
    await user.click(screen.getByRole("button", { name: "Next page" }));
    await user.click(screen.getByRole("button", { name: "Filter" }));
    expect(screen.getByLabelText("Requested token")).toHaveTextContent("first");
    expect(screen.getByRole("button", { name: "Previous page" })).toBeDisabled();
  });

  it("counts the items only when the API does (total_size ≥ 0)", () => {
    const { rerender } = render(<List totalSize={1n} />);
    expect(screen.getByRole("navigation", { name: "Pages" })).toHaveTextContent("1 site");
    rerender(<List totalSize={1234n} />);
    expect(screen.getByRole("navigation", { name: "Pages" })).toHaveTextContent(`${(1234).toLocaleString()} sites`);
    rerender(<List totalSize={-1n} />);
    expect(screen.getByRole("navigation", { name: "Pages" })).not.toHaveTextContent(/site/);
  });
});
