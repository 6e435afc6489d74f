import { render, screen, within } from "@testing-library/react";
import { MemoryRouter, Route, Routes } from "react-router";
import { describe, expect, it } from "vitest";
import { SectionLayout, SectionPage } from "./section-layout";

describe("SectionLayout", () => {
  it("names its nav, marks the current section and renders the page under it", () => {
    const sections = [
      { to: "/things", label: "Things", end: true },
      { to: "/things/archive", label: "Archive" },
    ];
    render(
      <MemoryRouter initialEntries={["/things/archive"]}>
        <Routes>
          <Route path="/things" element={<SectionLayout label="Things" sections={sections} />}>
            <Route index element={<SectionPage title="Things">the list</SectionPage>} />
            <Route path="archive" element={<SectionPage title="Archive" intro="What was put away.">the archive</SectionPage>} />
          </Route>
        </Routes>
      </MemoryRouter>,
    );
    const nav = screen.getByRole("navigation", { name: "Things" });
    expect(within(nav).getByRole("link", { name: "Archive" })).toHaveAttribute("aria-current", "page");
    expect(within(nav).getByRole("link", { name: "Things" })).not.toHaveAttribute("aria-current");
    expect(within(nav).getByRole("link", { name: "Things" })).toHaveAttribute("href", "/things");
    expect(screen.getByRole("heading", { level: 1, name: "Archive" })).toBeInTheDocument();
    expect(screen.getByText("What was put away.")).toBeInTheDocument();
    expect(screen.getByText("the archive")).toBeInTheDocument();
  });
});
