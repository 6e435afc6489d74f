//! Theming: a customer's branding becomes CSS custom properties on the document
//! root; every component in this library reads its colours, radius and font from them.

/** The parts of `tenancy.v1.Branding` that theme a portal. */
export interface BrandingTheme {
  productName: string;
  primaryColor: string;
  secondaryColor: string;
  accentColor: string;
  /** `theme_variables` from the branding: tenancy's allow-list `radius`, `font-family`,
   *  `density`, `shadow`, `header-style` (and `font`, a raw family list). */
  themeVariables: Record<string, string>;
}

/** Colours are only accepted as hex (`#rgb`, `#rrggbb`, `#rrggbbaa`), so branding cannot inject CSS. */
const HEX_COLOR = /^#(?:[0-9a-f]{3}|[0-9a-f]{6}|[0-9a-f]{8})$/i;
/** Lengths for the radius: a number with px/rem/em, or 0. */
const LENGTH = /^(?:0|\d+(?:\.\d+)?(?:px|rem|em))$/;
/** Font family lists: letters, digits, spaces, commas, quotes and hyphens. */
const FONT = /^[\w\s,'"-]{1,120}$/;

/** `font-family` keywords (tenancy's allow-list) → font stacks. */
export const FONT_FAMILIES: Record<string, string> = {
  system: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
  inter: "Inter, system-ui, sans-serif",
  roboto: "Roboto, system-ui, sans-serif",
  "source-sans": '"Source Sans 3", "Source Sans Pro", system-ui, sans-serif',
  "ibm-plex-sans": '"IBM Plex Sans", system-ui, sans-serif',
  serif: 'Georgia, "Times New Roman", serif',
};
/** `density` → the scale of control heights and padding. */
const DENSITY: Record<string, string> = { compact: "0.8", comfortable: "1" };
/** `shadow` → the cards' shadow. */
const SHADOW: Record<string, string> = {
  none: "none",
  soft: "0 1px 3px rgba(16, 24, 40, 0.1), 0 1px 2px rgba(16, 24, 40, 0.06)",
  strong: "0 12px 24px rgba(16, 24, 40, 0.18), 0 4px 8px rgba(16, 24, 40, 0.1)",
};
/** `header-style` → the top bar's background and text. */
const HEADER: Record<string, [string, string]> = {
  solid: ["var(--canopy-secondary)", "#ffffff"],
  transparent: ["transparent", "var(--canopy-text)"],
};

/** The CSS custom properties for `branding`; values that do not parse are left out (the defaults apply). */
export function themeVariables(branding: BrandingTheme): Record<string, string> {
  const vars: Record<string, string> = {};
  const color = (name: string, value: string | undefined) => {
    if (value && HEX_COLOR.test(value.trim())) vars[name] = value.trim();
  };
  color("--canopy-primary", branding.primaryColor);
  color("--canopy-secondary", branding.secondaryColor);
  color("--canopy-accent", branding.accentColor);
  const radius = branding.themeVariables.radius?.trim();
  if (radius && LENGTH.test(radius)) vars["--canopy-radius"] = radius;
  const font = branding.themeVariables.font?.trim();
  if (font && FONT.test(font)) vars["--canopy-font"] = font;
  // Allow-listed keywords only: anything else is left out (the defaults apply).
  const pick = <T,>(table: Record<string, T>, name: string): T | undefined => {
    const value = branding.themeVariables[name]?.trim();
    return value && Object.hasOwn(table, value) ? table[value] : undefined;
  };
  const family = pick(FONT_FAMILIES, "font-family");
  if (family) vars["--canopy-font"] = family;
  const density = pick(DENSITY, "density");
  if (density) vars["--canopy-density"] = density;
  const shadow = pick(SHADOW, "shadow");
  if (shadow) vars["--canopy-shadow"] = shadow;
  const header = pick(HEADER, "header-style");
  if (header) [vars["--canopy-header-bg"], vars["--canopy-header-text"]] = header;
  return vars;
}

/** The custom properties this library owns (cleared before a new theme is applied). */
const OWNED = [
  "--canopy-primary",
  "--canopy-secondary",
  "--canopy-accent",
  "--canopy-radius",
  "--canopy-font",
  "--canopy-density",
  "--canopy-shadow",
  "--canopy-header-bg",
  "--canopy-header-text",
];

/** Sets the theme on `root` (the document element by default) and, for the document
 *  itself, the page title to the product name (a preview element leaves the title alone). */
export function applyTheme(branding: BrandingTheme, root: HTMLElement = document.documentElement): void {
  for (const name of OWNED) root.style.removeProperty(name);
  for (const [name, value] of Object.entries(themeVariables(branding))) root.style.setProperty(name, value);
  if (branding.productName && root === document.documentElement) document.title = branding.productName;
}

/** Points the page's favicon at `href` (a blob URL from GetBrandingAsset). */
export function applyFavicon(href: string): void {
  let link = document.querySelector<HTMLLinkElement>("link[rel~='icon']");
  if (!link) {
    link = document.createElement("link");
    link.rel = "icon";
    document.head.appendChild(link);
  }
  link.href = href;
}
