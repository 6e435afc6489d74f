//! A single-use token from identity (an invitation or a password reset), shown
//! once with the link that uses it: this portal's `/set-password` for platform
//! users; for a customer's user, the same path on the customer portal
//! (`/invitation`), whose address this portal does not know.
import { useState } from "react";
import { Alert, Button, DescriptionList, formatDateTime } from "@canopy/ui";

export interface OneTimeTokenProps {
  /** "Invitation" or "Password reset". */
  title: string;
  token: string;
  expireTime: { seconds: bigint } | undefined;
  /** Whether the user is a platform user (signs in here). */
  platformUser: boolean;
}

export function oneTimeLink(token: string, platformUser: boolean): string {
  const fragment = `#token=${encodeURIComponent(token)}`;
  return platformUser ? `${window.location.origin}/set-password${fragment}` : `/invitation${fragment}`;
}

export function OneTimeToken({ title, token, expireTime, platformUser }: OneTimeTokenProps) {
  const [copied, setCopied] = useState<string>();
  const link = oneTimeLink(token, platformUser);
  const copy = (what: string, text: string) =>
    navigator.clipboard.writeText(text).then(
      () => setCopied(`${what} copied.`),
      () => setCopied("Copying failed: select the text instead."),
    );
  return (
    <section className="flex flex-col gap-3 rounded-brand border border-line p-4" aria-label={title}>
      <Alert tone="info" title={`${title}: shown only now`}>
        Send this link to the user; it works once and expires {formatDateTime(expireTime)}.{" "}
        {platformUser ? "It opens this portal's password page." : "It is a path on the customer portal: add the portal's address in front."}
      </Alert>
      <DescriptionList>
        <dt>{platformUser ? "Link" : "Path on the customer portal"}</dt>
        <dd>
          <code className="font-mono">{link}</code>
        </dd>
        <dt>Token</dt>
        <dd>
          <code className="font-mono">{token}</code>
        </dd>
      </DescriptionList>
      <div className="flex flex-wrap items-center gap-3">
        <Button variant="secondary" onClick={() => void copy(platformUser ? "Link" : "Path", link)}>
          {platformUser ? "Copy link" : "Copy path"}
        </Button>
        <Button variant="secondary" onClick={() => void copy("Token", token)}>
          Copy token
        </Button>
        <span role="status" className="text-sm text-muted">
          {copied}
        </span>
      </div>
    </section>
  );
}
