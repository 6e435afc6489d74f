//! A new silence: matchers (one per line, e.g. prefilled from an alert's labels),
//! when it starts (now by default), how long it lasts or until when, and why.
//! Server field violations (`silence.matchers`, `silence.ends_at`) go beside the fields.
import { type FormEvent, useState } from "react";
import type { CanopyClient, alerts } from "@canopy/sdk";
import { Alert, Button, SelectField, TextAreaField, TextField, useFormAction } from "@canopy/ui";
import { useCreateSilence } from "../api/silences";

type Field = "matchers" | "start" | "end" | "comment";
const FIELD_OF: Record<string, Field> = {
  matchers: "matchers",
  "silence.matchers": "matchers",
  start_time: "start",
  "silence.starts_at": "start",
  "silence.start_time": "start",
  end_time: "end",
  "silence.ends_at": "end",
  "silence.end_time": "end",
  comment: "comment",
  "silence.comment": "comment",
};

const HOUR = 3600_000;
const DURATIONS = [
  { value: String(HOUR), label: "1 hour" },
  { value: String(2 * HOUR), label: "2 hours" },
  { value: String(4 * HOUR), label: "4 hours" },
  { value: String(12 * HOUR), label: "12 hours" },
  { value: String(24 * HOUR), label: "1 day" },
  { value: String(7 * 24 * HOUR), label: "1 week" },
  { value: "until", label: "Until a date and time" },
];

const timestamp = (date: Date) => ({ seconds: BigInt(Math.floor(date.getTime() / 1000)), nanos: 0 });

export interface SilenceFormProps {
  client: Pick<CanopyClient, "silences">;
  /** Matchers to start from (an alert's labels). */
  initialMatchers?: string[];
  onCreated: (silence: alerts.Silence | undefined) => void;
}

export function SilenceForm({ client, initialMatchers = [], onCreated }: SilenceFormProps) {
  const [matchers, setMatchers] = useState(initialMatchers.join("\n"));
  const [start, setStart] = useState("");
  const [duration, setDuration] = useState(String(2 * HOUR));
  const [end, setEnd] = useState("");
  const [comment, setComment] = useState("");
  const { busy, errors, formError, run, refuse } = useFormAction(FIELD_OF);
  const create = useCreateSilence(client);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const lines = matchers
      .split("\n")
      .map((line) => line.trim())
      .filter(Boolean);
    const missing: Partial<Record<Field, string>> = {};
    if (lines.length === 0) missing.matchers = 'Enter at least one matcher, e.g. alertname="site_failed".';
    if (duration === "until" && !end) missing.end = "Choose when the silence ends.";
    if (!comment.trim()) missing.comment = "Say why, for whoever finds the silence later.";
    if (Object.keys(missing).length > 0) {
      refuse(missing);
      return;
    }
    const startsAt = start ? new Date(start) : undefined;
    const endsAt = duration === "until" ? new Date(end) : new Date((startsAt ?? new Date()).getTime() + Number(duration));
    void run(async () => {
      const created = await create.mutateAsync({ matchers: lines, startTime: startsAt && timestamp(startsAt), endTime: timestamp(endsAt), comment: comment.trim() });
      setComment("");
      onCreated(created.silence);
    });
  };

  return (
    <form className="flex flex-col gap-4" onSubmit={submit} aria-label="New silence" noValidate>
      {formError && <Alert tone="danger">{formError}</Alert>}
      <TextAreaField
        label="Matchers"
        code
        rows={Math.max(3, matchers.split("\n").length)}
        hint={'One per line: name="value", name!="value", name=~"regex" or name!~"regex". An alert matching all of them is muted.'}
        value={matchers}
        onChange={(e) => setMatchers(e.target.value)}
        error={errors.matchers}
        required
      />
      <div className="grid grid-cols-3 gap-4 max-md:grid-cols-1">
        <TextField label="Starts" type="datetime-local" hint="Now when empty." value={start} onChange={(e) => setStart(e.target.value)} error={errors.start} />
        <SelectField label="Lasts" value={duration} options={DURATIONS} onChange={(e) => setDuration(e.target.value)} error={duration === "until" ? undefined : errors.end} />
        {duration === "until" && <TextField label="Ends" type="datetime-local" value={end} onChange={(e) => setEnd(e.target.value)} error={errors.end} required />}
      </div>
      <TextField label="Comment" hint="Why, e.g. a ticket or maintenance window." value={comment} onChange={(e) => setComment(e.target.value)} error={errors.comment} required />
      <div>
        <Button type="submit" busy={busy}>
          {busy ? "Creating silence…" : "Create silence"}
        </Button>
      </div>
    </form>
  );
}
