//! On-call schedules: each with its layers (users taking turns, rotation, first
//! hand-off, time zone, priority), its overrides and who is on call now
//! (GetOnCall); a new one built layer by layer; deletion after a confirmation.
import { type FormEvent, useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { type CanopyClient, alerts } from "@canopy/sdk";
import { Alert, Button, Card, DeleteButton, ManagedList, SelectField, Spinner, Table, TextField, errorMessage, formatDateTime, useConfirmedDelete, useFormAction, usePageTokens } from "@canopy/ui";
import { scheduleQueries, useCreateSchedule, useDeleteSchedule } from "../api/on-call";

type Client = Pick<CanopyClient, "onCall">;

const ROTATIONS = [
  { value: String(alerts.RotationLength.DAILY), label: "Daily" },
  { value: String(alerts.RotationLength.WEEKLY), label: "Weekly" },
  { value: String(alerts.RotationLength.HOURS), label: "Every N hours" },
];

function rotationText(layer: alerts.ScheduleLayer): string {
  switch (layer.rotation) {
    case alerts.RotationLength.DAILY:
      return "daily";
    case alerts.RotationLength.WEEKLY:
      return "weekly";
    case alerts.RotationLength.HOURS:
      return `every ${layer.rotationHours} h`;
    default:
      return "—";
  }
}

const timestamp = (local: string) => ({ seconds: BigInt(Math.floor(new Date(local).getTime() / 1000)), nanos: 0 });
const localZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";

/** Who is on call on one schedule now. */
function OnCallNow({ client, scheduleId }: { client: Client; scheduleId: string }) {
  const now = useQuery(scheduleQueries.onCallNow(client, scheduleId));
  if (now.isPending) return <Spinner size="small" label="Asking who is on call" />;
  if (now.isError) return <span className="text-danger">{errorMessage(now.error)}</span>;
  return now.data ? <span className="font-mono break-all">{now.data}</span> : <span className="text-danger">Nobody</span>;
}

export function OnCallSchedules({ client }: { client: Client }) {
  const pages = usePageTokens("");
  const list = useQuery(scheduleQueries.list(client, pages.pageToken));
  const remove = useDeleteSchedule(client);
  const deletion = useConfirmedDelete<alerts.Schedule>({ remove: (schedule) => remove.mutateAsync(schedule.id), deleted: (schedule) => `${schedule.name} was deleted.` });

  return (
    <div className="flex flex-col gap-4">
      <Card title="New schedule">
        <ScheduleForm client={client} onCreated={(name) => deletion.setNotice(`${name} was created.`)} />
      </Card>
      <ManagedList
        title="Schedules"
        list={list}
        items={list.data?.schedules}
        deletion={deletion}
        pages={pages}
        noun={["schedule", "schedules"]}
        confirmation={(schedule) => ({
          title: `Delete ${schedule.name}?`,
          body: "Escalation steps can no longer page whoever is on call on it (the server refuses while a policy names it).",
          confirmLabel: "Yes, delete the schedule",
        })}
        loadingLabel="Loading schedules"
        empty={{ title: "No schedules", description: "A schedule says who is on call when; an escalation step can page whoever is on call on it." }}
      >
        {(schedules) => (
          <Table aria-label="Schedules">
            <thead>
              <tr>
                <th>Name</th>
                <th>On call now</th>
                <th>Layers</th>
                <th>Overrides</th>
                <th>
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {schedules.map((schedule) => (
                <tr key={schedule.id}>
                  <td className="font-semibold">{schedule.name}</td>
                  <td>
                    <OnCallNow client={client} scheduleId={schedule.id} />
                  </td>
                  <td>
                    <ul className="m-0 pl-5">
                      {schedule.layers.map((layer, i) => (
                        <li key={i}>
                          {layer.name || `Layer ${i + 1}`}: {layer.userIds.join(", ")} — {rotationText(layer)}, hand-off from {formatDateTime(layer.rotationStartTime)} ({layer.timeZone})
                          {layer.priority > 0 && `, priority ${layer.priority}`}
                        </li>
                      ))}
                    </ul>
                  </td>
                  <td>
                    {schedule.overrides.length === 0 ? (
                      "None"
                    ) : (
                      <ul className="m-0 pl-5">
                        {schedule.overrides.map((o, i) => (
                          <li key={i}>
                            {o.userId}: {formatDateTime(o.startTime)} – {formatDateTime(o.endTime)}
                          </li>
                        ))}
                      </ul>
                    )}
                  </td>
                  <td>
                    <DeleteButton deletion={deletion} item={schedule} name={schedule.name} />
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

interface LayerDraft {
  name: string;
  users: string;
  rotation: string;
  hours: string;
  start: string;
  timeZone: string;
  priority: string;
}
interface OverrideDraft {
  user: string;
  start: string;
  end: string;
}

const newLayer = (n: number): LayerDraft => ({ name: `Layer ${n}`, users: "", rotation: String(alerts.RotationLength.WEEKLY), hours: "12", start: "", timeZone: localZone(), priority: "0" });

function ScheduleForm({ client, onCreated }: { client: Client; onCreated: (name: string) => void }) {
  const [name, setName] = useState("");
  const [layers, setLayers] = useState<LayerDraft[]>([newLayer(1)]);
  const [overrides, setOverrides] = useState<OverrideDraft[]>([]);
  const fieldOf: Record<string, string> = { "schedule.name": "name" };
  layers.forEach((_, i) => {
    const path = `schedule.layers[${i}]`;
    Object.assign(fieldOf, {
      [path]: `users${i}`,
      [`${path}.user_ids`]: `users${i}`,
      [`${path}.rotation`]: `rotation${i}`,
      [`${path}.rotation_hours`]: `hours${i}`,
      [`${path}.rotation_start_time`]: `start${i}`,
      [`${path}.time_zone`]: `zone${i}`,
      [`${path}.priority`]: `priority${i}`,
    });
  });
  overrides.forEach((_, i) => {
    const path = `schedule.overrides[${i}]`;
    Object.assign(fieldOf, { [path]: `ouser${i}`, [`${path}.user_id`]: `ouser${i}`, [`${path}.start_time`]: `ostart${i}`, [`${path}.end_time`]: `oend${i}` });
  });
  const { busy, errors, formError, run, refuse } = useFormAction(fieldOf);
  const create = useCreateSchedule(client);
  const changeLayer = (i: number, patch: Partial<LayerDraft>) => setLayers(layers.map((l, j) => (i === j ? { ...l, ...patch } : l)));
  const changeOverride = (i: number, patch: Partial<OverrideDraft>) => setOverrides(overrides.map((o, j) => (i === j ? { ...o, ...patch } : o)));
  const ids = (text: string) => text.split(/[\s,]+/).filter(Boolean);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const missing: Record<string, string> = {};
    if (!name.trim()) missing.name = "Enter a name.";
    layers.forEach((layer, i) => {
      if (ids(layer.users).length === 0) missing[`users${i}`] = "Enter the user ids taking turns, in order.";
      if (!layer.start) missing[`start${i}`] = "Choose the first hand-off.";
    });
    overrides.forEach((o, i) => {
      if (!o.user.trim()) missing[`ouser${i}`] = "Enter the user id.";
      if (!o.start) missing[`ostart${i}`] = "Choose when it starts.";
      if (!o.end) missing[`oend${i}`] = "Choose when it ends.";
    });
    if (Object.keys(missing).length > 0) {
      refuse(missing);
      return;
    }
    void run(async () => {
      await create.mutateAsync({
        name: name.trim(),
        layers: layers.map((layer) => ({
          name: layer.name.trim(),
          userIds: ids(layer.users),
          rotation: Number(layer.rotation) as alerts.RotationLength,
          rotationHours: Number(layer.rotation) === alerts.RotationLength.HOURS ? Number(layer.hours) : 0,
          rotationStartTime: timestamp(layer.start),
          timeZone: layer.timeZone.trim(),
          priority: Number(layer.priority) || 0,
        })),
        overrides: overrides.map((o) => ({ userId: o.user.trim(), startTime: timestamp(o.start), endTime: timestamp(o.end) })),
      });
      onCreated(name.trim());
      setName("");
      setLayers([newLayer(1)]);
      setOverrides([]);
    });
  };

  return (
    <form className="flex flex-col gap-4" onSubmit={submit} aria-label="New schedule" noValidate>
      {formError && <Alert tone="danger">{formError}</Alert>}
      <TextField label="Schedule name" value={name} onChange={(e) => setName(e.target.value)} error={errors.name} required />
      {layers.map((layer, i) => (
        <fieldset key={i} className="grid grid-cols-3 gap-3 rounded-brand border border-line p-3 max-md:grid-cols-1">
          <legend className="px-1 font-semibold">Layer {i + 1}</legend>
          <TextField label={`Layer ${i + 1} name`} value={layer.name} onChange={(e) => changeLayer(i, { name: e.target.value })} />
          <TextField label={`Layer ${i + 1} users`} hint="User ids, comma-separated, in turn order." value={layer.users} onChange={(e) => changeLayer(i, { users: e.target.value })} error={errors[`users${i}`]} />
          <SelectField label={`Layer ${i + 1} rotation`} value={layer.rotation} options={ROTATIONS} onChange={(e) => changeLayer(i, { rotation: e.target.value })} error={errors[`rotation${i}`]} />
          {Number(layer.rotation) === alerts.RotationLength.HOURS && (
            <TextField label={`Layer ${i + 1} hours per turn`} type="number" min={1} value={layer.hours} onChange={(e) => changeLayer(i, { hours: e.target.value })} error={errors[`hours${i}`]} />
          )}
          <TextField label={`Layer ${i + 1} first hand-off`} type="datetime-local" hint="Fixes the hand-off time and weekday." value={layer.start} onChange={(e) => changeLayer(i, { start: e.target.value })} error={errors[`start${i}`]} />
          <TextField label={`Layer ${i + 1} time zone`} hint="IANA, e.g. Europe/Berlin." value={layer.timeZone} onChange={(e) => changeLayer(i, { timeZone: e.target.value })} error={errors[`zone${i}`]} />
          <TextField label={`Layer ${i + 1} priority`} type="number" min={0} hint="Overlapping layers need distinct priorities; higher wins." value={layer.priority} onChange={(e) => changeLayer(i, { priority: e.target.value })} error={errors[`priority${i}`]} />
          {layers.length > 1 && (
            <div className="self-end">
              <Button variant="secondary" onClick={() => setLayers(layers.filter((_, j) => j !== i))}>
                Remove layer {i + 1}
              </Button>
            </div>
          )}
        </fieldset>
      ))}
      {overrides.map((o, i) => (
        <fieldset key={i} className="grid grid-cols-3 gap-3 rounded-brand border border-line p-3 max-md:grid-cols-1">
          <legend className="px-1 font-semibold">Override {i + 1}</legend>
          <TextField label={`Override ${i + 1} user`} value={o.user} onChange={(e) => changeOverride(i, { user: e.target.value })} error={errors[`ouser${i}`]} />
          <TextField label={`Override ${i + 1} from`} type="datetime-local" value={o.start} onChange={(e) => changeOverride(i, { start: e.target.value })} error={errors[`ostart${i}`]} />
          <TextField label={`Override ${i + 1} until`} type="datetime-local" value={o.end} onChange={(e) => changeOverride(i, { end: e.target.value })} error={errors[`oend${i}`]} />
          <div>
            <Button variant="secondary" onClick={() => setOverrides(overrides.filter((_, j) => j !== i))}>
              Remove override {i + 1}
            </Button>
          </div>
        </fieldset>
      ))}
      <div className="flex flex-wrap gap-3">
        <Button variant="secondary" onClick={() => setLayers([...layers, newLayer(layers.length + 1)])}>
          Add layer
        </Button>
        <Button variant="secondary" onClick={() => setOverrides([...overrides, { user: "", start: "", end: "" }])}>
          Add override
        </Button>
        <Button type="submit" busy={busy}>
          {busy ? "Creating schedule…" : "Create schedule"}
        </Button>
      </div>
    </form>
  );
}
