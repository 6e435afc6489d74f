//! Export: ExportAuditEvents streams the filtered trail in pieces of whole lines;
//! concatenated in order they are the file, handed to the browser as a download
//! (a Blob behind an object URL). The bytes received so far show while it runs.
import { useRef, useState } from "react";
import { audit, type CanopyClient } from "@canopy/sdk";
import { Alert } from "../components/alert";
import { Button } from "../components/button";
import { SelectField } from "../components/text-field";
import { errorMessage } from "../session/error-message";
import { type AuditFilterValues, toAuditFilter } from "./audit-filters";

type AuditClient = Pick<CanopyClient, "audit">;

export type ExportFormatName = "jsonl" | "csv";

const FORMATS: Record<ExportFormatName, { format: audit.ExportFormat; type: string; label: string }> = {
  jsonl: { format: audit.ExportFormat.JSON_LINES, type: "application/x-ndjson", label: "JSON Lines (verifiable offline)" },
  csv: { format: audit.ExportFormat.CSV, type: "text/csv", label: "CSV" },
};

/**
 * Streams an export and returns the file's text: the `data` pieces concatenated in
 * the order they came. `onProgress` hears the bytes (UTF-8) received so far.
 */
export async function exportAuditEvents(
  client: AuditClient,
  filters: AuditFilterValues,
  format: ExportFormatName,
  onProgress?: (bytes: number) => void,
  signal?: AbortSignal,
): Promise<string> {
  const encoder = new TextEncoder();
  const pieces: string[] = [];
  let bytes = 0;
  for await (const piece of client.audit.exportAuditEvents({ filter: toAuditFilter(filters), format: FORMATS[format].format }, { signal })) {
    pieces.push(piece.data);
    bytes += encoder.encode(piece.data).length;
    onProgress?.(bytes);
  }
  return pieces.join("");
}

/** Saves `text` as a file named `name` through an object URL (released once the download has started). */
export function downloadFile(name: string, text: string, type: string) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** `audit-<scope>-20261207-1205.jsonl`, in the reader's time. */
export function exportFileName(scope: string, format: ExportFormatName, now = new Date()): string {
  const two = (n: number) => String(n).padStart(2, "0");
  const stamp = `${now.getFullYear()}${two(now.getMonth() + 1)}${two(now.getDate())}-${two(now.getHours())}${two(now.getMinutes())}`;
  return `audit-${scope}-${stamp}.${format}`;
}

const bytesInWords = (n: number) => (n < 1024 ? `${n} bytes` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1024 / 1024).toFixed(1)} MB`);

export interface AuditExportProps {
  client: AuditClient;
  /** The filters of the list shown: the export holds the same events (oldest first). */
  filters: AuditFilterValues;
  /** Names the file: `audit-<scope>-…`, e.g. a customer's id or "platform". */
  scope: string;
}

export function AuditExport({ client, filters, scope }: AuditExportProps) {
  const [format, setFormat] = useState<ExportFormatName>("jsonl");
  const [running, setRunning] = useState(false);
  const [bytes, setBytes] = useState(0);
  const [done, setDone] = useState<string>();
  const [error, setError] = useState<string>();
  const abort = useRef<AbortController>(undefined);

  const run = async () => {
    abort.current = new AbortController();
    setRunning(true);
    setBytes(0);
    setDone(undefined);
    setError(undefined);
    try {
      const text = await exportAuditEvents(client, filters, format, setBytes, abort.current.signal);
      const name = exportFileName(scope, format);
      downloadFile(name, text, FORMATS[format].type);
      setDone(`Saved ${name} (${bytesInWords(new TextEncoder().encode(text).length)}).`);
    } catch (e) {
      setError(abort.current.signal.aborted ? "The export was stopped." : errorMessage(e));
    } finally {
      setRunning(false);
    }
  };

  return (
    <section className="flex flex-col gap-3" aria-label="Export">
      <div className="flex flex-wrap items-end gap-3">
        <div className="min-w-60">
          <SelectField
            label="Export format"
            value={format}
            disabled={running}
            options={Object.entries(FORMATS).map(([value, f]) => ({ value, label: f.label }))}
            onChange={(e) => setFormat(e.target.value as ExportFormatName)}
          />
        </div>
        <Button variant="secondary" busy={running} onClick={() => void run()}>
          {running ? "Exporting…" : "Export"}
        </Button>
        {running && (
          <Button variant="secondary" onClick={() => abort.current?.abort()}>
            Stop
          </Button>
        )}
      </div>
      <p role="status" className="m-0 text-sm text-muted">
        {running ? `Exporting the events matching the filters… ${bytesInWords(bytes)} received.` : done ?? ""}
      </p>
      {error && <Alert tone="danger">{error}</Alert>}
    </section>
  );
}
