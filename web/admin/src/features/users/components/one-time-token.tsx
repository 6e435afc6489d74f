//! A single-use token from identity (an invitation or a password reset), shown
//! once with the link that uses it: this portal's `/set-password` for platform
//! users; for a customer's user, the same path on the customer portal
//! (`/invitation`), whose address this portal does not know.
import { Alert, CopyButton, DescriptionList, formatDateTime } from "@canopy/ui";

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
  const link = oneTimeLink(token, platformUser);
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
        <CopyButton text={link} label={platformUser ? "Copy link" : "Copy path"} what={platformUser ? "Link" : "Path"} />
        <CopyButton text={token} label="Copy token" what="Token" />
      </div>
    </section>
  );
}
