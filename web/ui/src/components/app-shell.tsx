import type { ReactNode } from "react";

export interface AppShellProps {
  /** The top bar's contents: brand, links, the user menu. */
  nav: ReactNode;
  children: ReactNode;
}

/** The signed-in frame: a top bar in the header colours and the page below it. */
export function AppShell({ nav, children }: AppShellProps) {
  return (
    <div className="flex min-h-screen flex-col">
      <nav
        aria-label="Main"
        className="flex flex-wrap items-center gap-4 bg-header px-4 py-3 text-on-header [&_a]:text-on-header [&_a]:no-underline [&_a[aria-current=page]]:underline [&_a[aria-current=page]]:underline-offset-4"
      >
        {nav}
      </nav>
      <main className="mx-auto w-full max-w-6xl px-4 pt-5 pb-12">{children}</main>
    </div>
  );
}

/** Pushes what follows it in the top bar to the right. */
export function NavSpacer() {
  return <span className="flex-1" />;
}

/** A narrow, centred page (sign-in, invitation). */
export function CenteredPage({ children }: { children: ReactNode }) {
  return <main className="mx-auto my-12 max-w-md px-4">{children}</main>;
}
