import { Fragment } from "react";

/** A URL (or host name, or email address) that wraps at its own separators — after
 *  `/`, `.`, `-`, `?`, `&`, `=`, `@` — rather than mid-word, so a narrow screen
 *  shows `journey-shop.` / `example.com` instead of `journey-sh` / `op.example.com`. */
export function UrlText({ text }: { text: string }) {
  const parts = text.split(/(?<=[/.\-?&=@])/);
  return (
    <>
      {parts.map((part, i) => (
        <Fragment key={i}>
          {i > 0 && <wbr />}
          {part}
        </Fragment>
      ))}
    </>
  );
}
