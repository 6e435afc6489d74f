//! Theming: a customer's branding becomes CSS custom properties on the document
//! root; every component in this library reads its colours, radius and font from them.

/** The parts of `tenancy.v1.Branding` that theme a portal. */
export interface BrandingTheme {
  productName: string;
  primaryColor: string;
  secondaryColor: string;
  accentColor: string;
  /** `theme_variables` from the branding: `radius`, `font`, … */
  themeVariables: Record<string, string>;
}

/** Colours are only accepted as hex (`#rgb`, `#rrggbb`, `#rrggbbaa`), so branding cannot inject CSS. */
const HEX_COLOR = /^#(?:[0-9a-f]{3}|[0-9a-f]{6}|[0-9a-f]{8})$/i;
/** Lengths for the radius: a number with px/rem/em, or 0. */
const LENGTH = /^(?:0|\d+(?:\.\d+)?(?:px|rem|em))$/;
/** Font family lists: letters, digits, spaces, commas, quotes and hyphens. */
const FONT = /^[\w\s,'"-]{1,120}$/;

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
  return vars;
}

/** The custom properties this library owns (cleared before a new theme is applied). */
const OWNED = ["--canopy-primary", "--canopy-secondary", "--canopy-accent", "--canopy-radius", "--canopy-font"];

/** Sets the theme on `root` (the document element by default) and the page title to the product name. */
export function applyTheme(branding: BrandingTheme, root: HTMLElement = document.documentElement): void {
  for (const name of OWNED) root.style.removeProperty(name);
  for (const [name, value] of Object.entries(themeVariables(branding))) root.style.setProperty(name, value);
  if (branding.productName) document.title = branding.productName;
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
