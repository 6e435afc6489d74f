//! The customer portal's own domain: SetCustomDomain answers with the DNS TXT
//! record that proves ownership (shown to copy; tenancy does not give it again),
//! VerifyCustomDomain looks it up — verified, or the server's reason in words.
import { type FormEvent, useState } from "react";
import { type CanopyClient, tenancy } from "@canopy/sdk";
import { Alert, Button, CopyButton, DescriptionList, StatusBadge, TextField, useFormAction } from "@canopy/ui";
import { ConfirmPanel } from "../../../components/confirm-panel";

export interface CustomDomainProps {
  client: Pick<CanopyClient, "branding">;
  branding: tenancy.Branding;
  onChanged: (branding: tenancy.Branding) => void;
  /** Platform admins change the domain; operators only see it. */
  canChange?: boolean;
}

interface TxtRecord {
  domain: string;
  name: string;
  value: string;
}

export function CustomDomain({ client, branding, onChanged, canChange = true }: CustomDomainProps) {
  const [domain, setDomain] = useState(branding.customDomain);
  const [record, setRecord] = useState<TxtRecord>();
  const action = useFormAction({ domain: "domain" } as Record<string, "domain">);
  const [kind, setKind] = useState<"set" | "verify" | "remove">();
  const busy = action.busy ? kind : undefined;
  const error = action.formError;
  const [verified, setVerified] = useState<string>();
  const [confirmRemove, setConfirmRemove] = useState(false);

  const run = (next: "set" | "verify" | "remove", call: () => Promise<void>) => {
    setKind(next);
    setVerified(undefined);
    return action.run(call);
  };

  const set = (event: FormEvent) => {
    event.preventDefault();
    void run("set", async () => {
      const res = await client.branding.setCustomDomain({ customerId: branding.customerId, domain: domain.trim() });
      if (res.branding) {
        onChanged(res.branding);
        setDomain(res.branding.customDomain);
        setRecord(res.txtRecordName ? { domain: res.branding.customDomain, name: res.txtRecordName, value: res.txtRecordValue } : undefined);
      }
    });
  };

  const verify = () =>
    run("verify", async () => {
      const res = await client.branding.verifyCustomDomain({ customerId: branding.customerId });
      if (!res.branding) return;
      onChanged(res.branding);
      if (res.branding.customDomainVerified) {
        setVerified(res.branding.customDomain);
        setRecord(undefined);
      } else throw new Error("The domain is not verified yet.");
    });

  const remove = () =>
    run("remove", async () => {
      const res = await client.branding.setCustomDomain({ customerId: branding.customerId, domain: "" });
      setConfirmRemove(false);
      setRecord(undefined);
      setDomain("");
      if (res.branding) onChanged(res.branding);
    });

  const current = branding.customDomain;
  return (
    <div className="flex flex-col gap-4">
      <div className="flex flex-wrap items-center gap-3">
        {current ? (
          <>
            <span>
              Domain: <strong>{current}</strong>
            </span>
            <StatusBadge label={branding.customDomainVerified ? "Verified" : "Not verified"} tone={branding.customDomainVerified ? "success" : "warning"} />
          </>
        ) : (
          <span className="text-muted">No custom domain: the customer portal answers with the platform&apos;s branding.</span>
        )}
      </div>
      {verified && <Alert tone="success">{verified} is verified: its portal shows this branding.</Alert>}
      {error && !confirmRemove && <Alert tone="danger">{error}</Alert>}
      {record && record.domain === current && (
        <section className="flex flex-col gap-3 rounded-brand border border-line p-4" aria-label="DNS record to create">
          <p className="m-0">
            Create this DNS <strong>TXT</strong> record at the domain&apos;s DNS provider, then verify. It is shown only now: setting the domain again gives a new one.
          </p>
          <DescriptionList>
            <dt>Record name</dt>
            <dd className="flex flex-col gap-1">
              <code className="font-mono">{record.name}</code>
              <CopyButton text={record.name} label="Copy record name" />
            </dd>
            <dt>Record value</dt>
            <dd className="flex flex-col gap-1">
              <code className="font-mono">{record.value}</code>
              <CopyButton text={record.value} label="Copy record value" />
            </dd>
          </DescriptionList>
        </section>
      )}
      {current && !branding.customDomainVerified && !record && (
        <p className="m-0 text-sm text-muted">The TXT record was shown when the domain was set. If it is lost, set the domain again for a new one.</p>
      )}
      {canChange &&
        (confirmRemove ? (
          <ConfirmPanel
            title={`Remove ${current}?`}
            body="The customer portal stops answering on this domain with the customer's branding."
            confirmLabel="Yes, remove the domain"
            busy={busy === "remove"}
            error={error}
            onConfirm={() => void remove()}
            onCancel={() => setConfirmRemove(false)}
          />
        ) : (
          <form className="flex flex-wrap items-end gap-3" onSubmit={set} noValidate>
            <div className="min-w-60 flex-1">
              <TextField
                label="Custom domain"
                value={domain}
                placeholder="portal.example.com"
                spellCheck={false}
                autoCapitalize="none"
                hint="A host name without port, e.g. portal.example.com."
                error={action.errors.domain}
                onChange={(e) => setDomain(e.target.value)}
              />
            </div>
            <Button type="submit" variant="secondary" busy={busy === "set"} disabled={!domain.trim() || busy !== undefined}>
              {busy === "set" ? "Setting domain…" : "Set domain"}
            </Button>
            {current && !branding.customDomainVerified && (
              <Button busy={busy === "verify"} disabled={busy !== undefined} onClick={() => void verify()}>
                {busy === "verify" ? "Looking up the TXT record…" : "Verify domain"}
              </Button>
            )}
            {current && (
              <Button variant="danger" disabled={busy !== undefined} onClick={() => setConfirmRemove(true)}>
                Remove domain
              </Button>
            )}
          </form>
        ))}
    </div>
  );
}
