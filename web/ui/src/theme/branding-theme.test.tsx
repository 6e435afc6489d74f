import { render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { Button } from "../components/button";
import { applyTheme, themeVariables } from "./branding-theme";

const branding = {
  productName: "Acme Cloud",
  primaryColor: "#ff5500",
  secondaryColor: "#112233",
  accentColor: "#abc",
  themeVariables: { radius: "12px", font: "Inter, sans-serif" },
};

describe("theming from branding", () => {
  afterEach(() => {
    document.documentElement.removeAttribute("style");
    document.title = "";
  });

  it("sets the brand colours, radius, font and page title on the document", () => {
    applyTheme(branding);
    const style = document.documentElement.style;
    expect(style.getPropertyValue("--canopy-primary")).toBe("#ff5500");
    expect(style.getPropertyValue("--canopy-secondary")).toBe("#112233");
    expect(style.getPropertyValue("--canopy-accent")).toBe("#abc");
    expect(style.getPropertyValue("--canopy-radius")).toBe("12px");
    expect(style.getPropertyValue("--canopy-font")).toBe("Inter, sans-serif");
    expect(document.title).toBe("Acme Cloud");
  });

  it("ignores values that are not colours or lengths, so branding cannot inject CSS", () => {
    const vars = themeVariables({
      ...branding,
      primaryColor: "red; background: url(https://evil.test)",
      accentColor: "",
      themeVariables: { radius: "calc(1px) ; x" },
    });
    expect(vars).toEqual({ "--canopy-secondary": "#112233" });
  });

  it("maps tenancy's allow-listed theme variables to CSS and drops anything off the list", () => {
    const vars = themeVariables({
      ...branding,
      themeVariables: { "font-family": "serif", density: "compact", shadow: "soft", "header-style": "transparent" },
    });
    expect(vars["--canopy-font"]).toBe('Georgia, "Times New Roman", serif');
    expect(vars["--canopy-density"]).toBe("0.8");
    expect(vars["--canopy-shadow"]).toMatch(/^0 1px 3px/);
    expect(vars["--canopy-header-bg"]).toBe("transparent");
    const odd = themeVariables({ ...branding, themeVariables: { "font-family": "comic; x", density: "toString", shadow: "url(x)", "header-style": "constructor" } });
    expect(Object.keys(odd).filter((k) => /font|density|shadow|header/.test(k))).toEqual([]);
  });

  it("themes a preview element without touching the page title", () => {
    const root = document.createElement("div");
    document.title = "Canopy admin";
    applyTheme(branding, root);
    expect(root.style.getPropertyValue("--canopy-primary")).toBe("#ff5500");
    expect(document.title).toBe("Canopy admin");
  });

  it("replaces the previous customer's theme instead of mixing it in", () => {
    applyTheme(branding);
    applyTheme({ ...branding, primaryColor: "#000000", themeVariables: {} });
    const style = document.documentElement.style;
    expect(style.getPropertyValue("--canopy-primary")).toBe("#000000");
    expect(style.getPropertyValue("--canopy-radius")).toBe("");
  });

  it("themes components through the variables (a themed root styles its buttons)", () => {
    const root = document.createElement("div");
    document.body.appendChild(root);
    applyTheme(branding, root);
    render(<Button>Save</Button>, { container: root });
    const button = screen.getByRole("button", { name: "Save" });
    expect(button).toHaveClass("bg-primary"); // bg-primary is var(--canopy-primary): tailwind-theme.test.tsx
    expect(getComputedStyle(button.parentElement!).getPropertyValue("--canopy-primary")).toBe("#ff5500");
    root.remove();
  });
});
