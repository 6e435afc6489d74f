import { type MouseEvent, type ReactNode, useId, useState } from "react";

/** The id of each page's `<main>`, where the skip link sends focus. */
export const MAIN_ID = "main";

/** The first thing a Tab reaches: hidden until focused, it moves focus past the
 *  navigation to the page's `<main>`. */
export function SkipLink() {
  const skip = (event: MouseEvent<HTMLAnchorElement>) => {
    const main = document.getElementById(MAIN_ID);
    if (!main) return;
    // Focus by hand rather than through the fragment: the router would take
    // `#main` as a navigation, and the invitation page keeps its token in the fragment.
    event.preventDefault();
    main.focus();
  };
  return (
    <a
      href={`#${MAIN_ID}`}
      onClick={skip}
      className="sr-only focus:not-sr-only focus:fixed focus:top-2 focus:left-2 focus:z-50 focus:rounded-brand focus:bg-surface focus:px-4 focus:py-2 focus:font-semibold focus:text-ink"
    >
      Skip to main content
    </a>
  );
}

export interface AppShellProps {
  /** The top bar's first item, always shown: the product's name or logo, linking home. */
  brand: ReactNode;
  /** The rest of the top bar: links, the user menu. Behind a Menu button at phone width. */
  nav: ReactNode;
  children: ReactNode;
}

/** The signed-in frame: a skip link, a top bar in the header colours (collapsed into
 *  a Menu button at phone width) and the page below it. */
export function AppShell({ brand, nav, children }: AppShellProps) {
  const menuId = useId();
  const [open, setOpen] = useState(false);
  return (
    <div className="flex min-h-screen flex-col">
      <SkipLink />
      <header className="flex flex-wrap items-center gap-x-4 gap-y-2 bg-header px-4 py-3 text-on-header [--canopy-focus:var(--canopy-header-text,#ffffff)] [&_a]:text-on-header [&_a]:no-underline [&_a[aria-current=page]]:underline [&_a[aria-current=page]]:underline-offset-4">
        {brand}
        <button
          type="button"
          className="ml-auto min-h-control cursor-pointer rounded-brand border border-current bg-transparent px-3 font-semibold text-on-header sm:hidden"
          aria-expanded={open}
          aria-controls={menuId}
          onClick={() => setOpen((o) => !o)}
        >
          Menu
        </button>
        <nav
          id={menuId}
          aria-label="Main"
          // Following a link in the opened menu closes it.
          onClick={(event) => {
            if ((event.target as Element).closest("a")) setOpen(false);
          }}
          className={`flex-1 items-center gap-4 sm:flex max-sm:basis-full max-sm:flex-col max-sm:items-start max-sm:gap-3 max-sm:pt-2 ${open ? "flex" : "hidden"}`}
        >
          {nav}
        </nav>
      </header>
      <main id={MAIN_ID} tabIndex={-1} className="mx-auto w-full max-w-6xl px-4 pt-5 pb-12 focus:outline-none">
        {children}
      </main>
    </div>
  );
}

/** Pushes what follows it in the top bar to the right. */
export function NavSpacer() {
  return <span className="flex-1 max-sm:hidden" />;
}

/** A narrow, centred page (sign-in, invitation). */
export function CenteredPage({ children }: { children: ReactNode }) {
  return (
    <>
      <SkipLink />
      <main id={MAIN_ID} tabIndex={-1} className="mx-auto my-12 max-w-md px-4 focus:outline-none">
        {children}
      </main>
    </>
  );
}
