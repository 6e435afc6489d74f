import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { CopyButton } from "./copy-button";

describe("CopyButton", () => {
  it("copies the text and says what was copied", async () => {
    const user = userEvent.setup();
    render(<CopyButton text="canopy-verify=abc" label="Copy record value" what="Record value" />);
    await user.click(screen.getByRole("button", { name: "Copy record value" }));
    expect(await navigator.clipboard.readText()).toBe("canopy-verify=abc");
    expect(screen.getByRole("status")).toHaveTextContent("Record value copied.");
  });

  it("says to copy by hand where the page has no clipboard (plain http), and lets the caller select the text", async () => {
    const user = userEvent.setup();
    Object.defineProperty(navigator, "clipboard", { value: undefined, configurable: true });
    const onUnavailable = vi.fn();
    render(<CopyButton text="secret" label="Copy secret" onUnavailable={onUnavailable} />);
    await user.click(screen.getByRole("button", { name: "Copy secret" }));
    expect(screen.getByRole("status")).toHaveTextContent("Copying is not available here: select the text and copy it by hand.");
    expect(onUnavailable).toHaveBeenCalledOnce();
  });
});
