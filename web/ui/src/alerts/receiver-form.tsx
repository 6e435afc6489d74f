//! A new receiver: its name, its kind (email, Slack incoming webhook, signed webhook,
//! and for the platform an escalation policy), where it sends, and whether it hears
//! about resolved alerts. Server field violations (`receiver.slack.webhook_url`)
//! are shown beside the fields they name.
import { type FormEvent, useState } from "react";
import type { alerts } from "@canopy/sdk";
import { Alert } from "../components/alert";
import { Button } from "../components/button";
import { SelectField, TextField } from "../components/text-field";
import { useFormAction } from "../session/use-form-action";

type Field = "name" | "kind" | "url" | "policy";
const FIELD_OF: Record<string, Field> = {
  "receiver.name": "name",
  "receiver.slack": "url",
  "receiver.webhook": "url",
  "receiver.email": "url",
  "receiver.escalation": "policy",
  receiver: "kind",
};

type Kind = "email" | "slack" | "webhook" | "escalation";

/** What CreateReceiver and CreateCustomerReceiver take as `receiver`. */
export type ReceiverSpecInit = {
  name: string;
  sendResolved: boolean;
  kind:
    | { case: "email"; value: { addresses: string[] } }
    | { case: "slack"; value: { webhookUrl: string } }
    | { case: "webhook"; value: { url: string } }
    | { case: "escalation"; value: { escalationPolicyId: string } };
};

export interface ReceiverFormProps {
  /** Creates the receiver; the answer's signing secret is shown once by the caller. */
  create: (spec: ReceiverSpecInit) => Promise<{ receiver?: alerts.Receiver; signingSecret: string }>;
  onCreated: (created: { receiver?: alerts.Receiver; signingSecret: string }) => void;
  /** Escalation policies to choose from (platform receivers); no such kind when absent. */
  escalationPolicies?: { value: string; label: string }[];
}

export function ReceiverForm({ create, onCreated, escalationPolicies }: ReceiverFormProps) {
  const [name, setName] = useState("");
  const [kind, setKind] = useState<Kind>("slack");
  const [url, setUrl] = useState("");
  const [policy, setPolicy] = useState("");
  const [sendResolved, setSendResolved] = useState(true);
  const { busy, errors, formError, run, refuse } = useFormAction(FIELD_OF);
  const kinds = [
    { value: "slack", label: "Slack incoming webhook" },
    { value: "email", label: "Email" },
    { value: "webhook", label: "Signed webhook" },
    ...(escalationPolicies ? [{ value: "escalation", label: "Escalation policy" }] : []),
  ];

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const missing: Partial<Record<Field, string>> = {};
    if (!name.trim()) missing.name = "Enter a name: lowercase letters, digits and -.";
    const addresses = url.split(/[\s,;]+/).filter(Boolean);
    if (kind === "email" && addresses.length === 0) missing.url = "Enter one or more email addresses.";
    if ((kind === "slack" || kind === "webhook") && !url.trim()) missing.url = kind === "slack" ? "Enter the Slack incoming webhook URL." : "Enter the https:// URL to POST to.";
    if (kind === "escalation" && !policy) missing.policy = "Choose an escalation policy.";
    if (Object.keys(missing).length > 0) {
      refuse(missing);
      return;
    }
    const spec: ReceiverSpecInit = {
      name: name.trim(),
      sendResolved,
      kind:
        kind === "email"
          ? { case: "email", value: { addresses } }
          : kind === "slack"
          ? { case: "slack", value: { webhookUrl: url.trim() } }
          : kind === "webhook"
            ? { case: "webhook", value: { url: url.trim() } }
            : { case: "escalation", value: { escalationPolicyId: policy } },
    };
    void run(async () => {
      const created = await create(spec);
      setName("");
      setUrl("");
      setPolicy("");
      onCreated(created);
    });
  };

  return (
    <form className="flex flex-col gap-4" onSubmit={submit} aria-label="Add receiver" noValidate>
      {formError && <Alert tone="danger">{formError}</Alert>}
      <div className="grid grid-cols-2 gap-4 max-sm:grid-cols-1">
        <TextField label="Receiver name" hint="Lowercase letters, digits and -, e.g. ops-slack." value={name} onChange={(e) => setName(e.target.value)} error={errors.name} required />
        <SelectField label="Kind" value={kind} options={kinds} onChange={(e) => setKind(e.target.value as Kind)} error={errors.kind} />
        {kind === "escalation" ? (
          <SelectField
            label="Escalation policy"
            value={policy}
            options={escalationPolicies ?? []}
            placeholder={escalationPolicies?.length ? "Choose a policy" : "No escalation policies yet"}
            onChange={(e) => setPolicy(e.target.value)}
            error={errors.policy}
          />
        ) : kind === "email" ? (
          <TextField
            label="Email addresses"
            type="text"
            hint="One or more, separated by commas or spaces. Customer-facing mail is sent under your brand."
            value={url}
            onChange={(e) => setUrl(e.target.value)}
            error={errors.url}
            required
          />
        ) : (
          <TextField
            label={kind === "slack" ? "Slack webhook URL" : "Webhook URL"}
            type="url"
            hint={kind === "slack" ? "https://hooks.slack.com/services/…" : "An https:// URL; each delivery is signed (Standard Webhooks)."}
            value={url}
            onChange={(e) => setUrl(e.target.value)}
            error={errors.url}
            required
          />
        )}
        <label className="flex min-h-control items-center gap-2 self-end">
          <input type="checkbox" className="size-4 accent-primary" checked={sendResolved} onChange={(e) => setSendResolved(e.target.checked)} />
          Tell it when alerts resolve
        </label>
      </div>
      <div>
        <Button type="submit" busy={busy}>
          {busy ? "Adding receiver…" : "Add receiver"}
        </Button>
      </div>
    </form>
  );
}
