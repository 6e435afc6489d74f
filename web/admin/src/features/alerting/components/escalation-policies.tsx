//! Escalation policies: the list (each step's targets and wait, how often the
//! policy repeats), a new one built step by step, deletion after a confirmation.
import { type FormEvent, useState } from "react";
import { useQuery } from "@tanstack/react-query";
import type { CanopyClient, alerts } from "@canopy/sdk";
import { Alert, Button, Card, DeleteButton, ManagedList, Table, TextAreaField, TextField, useConfirmedDelete, useFormAction, usePageTokens } from "@canopy/ui";
import { escalationQueries, useCreateEscalationPolicy, useDeleteEscalationPolicy } from "../api/escalation";

type Client = Pick<CanopyClient, "escalationPolicies">;

/** A target in words: "receiver ops-slack", "on call on primary", "user 3f…". */
export function targetText(target: alerts.EscalationTarget): string {
  switch (target.target.case) {
    case "receiver":
      return `receiver ${target.target.value}`;
    case "schedule":
      return `whoever is on call on ${target.target.value}`;
    case "userId":
      return `user ${target.target.value}`;
    default:
      return "nobody";
  }
}

type TargetInit = { target: { case: "receiver" | "schedule" | "userId"; value: string } };

/** `receiver:ops-slack`, `schedule:primary`, `user:<id>`, one per line; undefined when a line is neither. */
export function parseTargets(text: string): TargetInit[] | undefined {
  const targets: TargetInit[] = [];
  for (const line of text.split("\n").map((l) => l.trim()).filter(Boolean)) {
    const match = /^(receiver|schedule|user)\s*:\s*(\S.*)$/.exec(line);
    if (!match) return undefined;
    const kind = match[1] === "user" ? "userId" : (match[1] as "receiver" | "schedule");
    targets.push({ target: { case: kind, value: match[2]!.trim() } });
  }
  return targets;
}

const minutes = (wait: { seconds: bigint } | undefined) => (wait ? Number(wait.seconds) / 60 : 0);

export function EscalationPolicies({ client }: { client: Client }) {
  const pages = usePageTokens("");
  const list = useQuery(escalationQueries.list(client, pages.pageToken));
  const remove = useDeleteEscalationPolicy(client);
  const deletion = useConfirmedDelete<alerts.EscalationPolicy>({ remove: (p) => remove.mutateAsync(p.id), deleted: (p) => `${p.name} was deleted.` });

  return (
    <div className="flex flex-col gap-4">
      <Card title="New escalation policy">
        <EscalationPolicyForm client={client} onCreated={(name) => deletion.setNotice(`${name} was created.`)} />
      </Card>
      <ManagedList
        title="Escalation policies"
        list={list}
        items={list.data?.escalationPolicies}
        deletion={deletion}
        pages={pages}
        noun={["policy", "policies"]}
        confirmation={(p) => ({
          title: `Delete ${p.name}?`,
          body: "Receivers can no longer name it (the server refuses while one does); incidents under way keep their copy.",
          confirmLabel: "Yes, delete the policy",
        })}
        loadingLabel="Loading escalation policies"
        empty={{ title: "No escalation policies", description: "A policy pages its steps' targets in turn until someone acknowledges; a receiver of the Escalation kind opens an incident under it." }}
      >
        {(policies) => (
          <Table aria-label="Escalation policies">
            <thead>
              <tr>
                <th>Name</th>
                <th>Steps</th>
                <th>Repeats</th>
                <th>
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {policies.map((policy) => (
                <tr key={policy.id}>
                  <td className="font-semibold">{policy.name}</td>
                  <td>
                    <ol className="m-0 pl-5">
                      {policy.steps.map((step, i) => (
                        <li key={i}>
                          Pages {step.targets.map(targetText).join(", ") || "nobody"}; waits {minutes(step.wait)} min
                        </li>
                      ))}
                    </ol>
                  </td>
                  <td>{policy.repeat === 0 ? "Once" : `${policy.repeat} more time${policy.repeat === 1 ? "" : "s"}`}</td>
                  <td>
                    <DeleteButton deletion={deletion} item={policy} name={policy.name} />
                  </td>
                </tr>
              ))}
            </tbody>
          </Table>
        )}
      </ManagedList>
    </div>
  );
}

interface StepDraft {
  targets: string;
  wait: string;
}

function EscalationPolicyForm({ client, onCreated }: { client: Client; onCreated: (name: string) => void }) {
  const [name, setName] = useState("");
  const [repeat, setRepeat] = useState("0");
  const [steps, setSteps] = useState<StepDraft[]>([{ targets: "", wait: "5" }]);
  const fieldOf: Record<string, string> = { "escalation_policy.name": "name", "escalation_policy.repeat": "repeat", "escalation_policy.steps": "step0" };
  steps.forEach((_, i) => {
    fieldOf[`escalation_policy.steps[${i}]`] = `targets${i}`;
    fieldOf[`escalation_policy.steps[${i}].targets`] = `targets${i}`;
    fieldOf[`escalation_policy.steps[${i}].wait`] = `wait${i}`;
  });
  const { busy, errors, formError, run, refuse } = useFormAction(fieldOf);
  const create = useCreateEscalationPolicy(client);
  const change = (i: number, patch: Partial<StepDraft>) => setSteps(steps.map((s, j) => (i === j ? { ...s, ...patch } : s)));

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const missing: Record<string, string> = {};
    if (!name.trim()) missing.name = "Enter a name.";
    const parsed = steps.map((step, i) => {
      const targets = parseTargets(step.targets);
      if (!targets || targets.length === 0) missing[`targets${i}`] = "One target per line: receiver:<name>, schedule:<name> or user:<id>.";
      if (!(Number(step.wait) >= 1)) missing[`wait${i}`] = "At least 1 minute.";
      return { targets: targets ?? [], wait: { seconds: BigInt(Math.round(Number(step.wait) * 60)), nanos: 0 } };
    });
    if (Object.keys(missing).length > 0) {
      refuse(missing);
      return;
    }
    void run(async () => {
      await create.mutateAsync({ name: name.trim(), repeat: Number(repeat) || 0, steps: parsed });
      onCreated(name.trim());
      setName("");
      setRepeat("0");
      setSteps([{ targets: "", wait: "5" }]);
    });
  };

  return (
    <form className="flex flex-col gap-4" onSubmit={submit} aria-label="New escalation policy" noValidate>
      {formError && <Alert tone="danger">{formError}</Alert>}
      <div className="grid grid-cols-2 gap-4 max-sm:grid-cols-1">
        <TextField label="Policy name" value={name} onChange={(e) => setName(e.target.value)} error={errors.name} required />
        <TextField label="Repeat" type="number" min={0} max={9} hint="How many more times the whole policy runs after its first pass (at most 9)." value={repeat} onChange={(e) => setRepeat(e.target.value)} error={errors.repeat} />
      </div>
      {steps.map((step, i) => (
        <fieldset key={i} className="flex flex-col gap-3 rounded-brand border border-line p-3">
          <legend className="px-1 font-semibold">Step {i + 1}</legend>
          <TextAreaField
            label={`Step ${i + 1} targets`}
            code
            rows={2}
            hint="One per line: receiver:ops-slack, schedule:primary or user:<user id>."
            value={step.targets}
            onChange={(e) => change(i, { targets: e.target.value })}
            error={errors[`targets${i}`]}
          />
          <TextField label={`Step ${i + 1} wait (minutes)`} type="number" min={1} value={step.wait} onChange={(e) => change(i, { wait: e.target.value })} error={errors[`wait${i}`]} />
          {steps.length > 1 && (
            <div>
              <Button variant="secondary" onClick={() => setSteps(steps.filter((_, j) => j !== i))}>
                Remove step {i + 1}
              </Button>
            </div>
          )}
        </fieldset>
      ))}
      <div className="flex flex-wrap gap-3">
        <Button variant="secondary" onClick={() => setSteps([...steps, { targets: "", wait: "10" }])}>
          Add step
        </Button>
        <Button type="submit" busy={busy}>
          {busy ? "Creating policy…" : "Create policy"}
        </Button>
      </div>
    </form>
  );
}
