//! CSV export of costs: ExportCosts streams the daily records matching a filter in
//! pieces of whole lines; concatenated in order they are the file, handed to the
//! browser as a download. The bytes received so far show while it runs.
import { useRef, useState } from "react";
import type { CanopyClient } from "@canopy/sdk";
import { downloadFile } from "../audit/audit-export";
import { Alert } from "../components/alert";
import { Button } from "../components/button";
import { errorMessage } from "../session/error-message";
import type { CostFilterInit } from "./cost-queries";

type CostsClient = Pick<CanopyClient, "costs">;

/** Streams ExportCosts and returns the CSV: the pieces' `data` in the order they came. */
export async function exportCosts(client: CostsClient, filter: CostFilterInit, onProgress?: (bytes: number) => void, signal?: AbortSignal): Promise<string> {
  const encoder = new TextEncoder();
  const pieces: string[] = [];
  let bytes = 0;
  for await (const piece of client.costs.exportCosts({ filter }, { signal })) {
    pieces.push(piece.data);
    bytes += encoder.encode(piece.data).length;
    onProgress?.(bytes);
  }
  return pieces.join("");
}

/** `costs-2026-11-01-to-2026-11-30.csv`. */
export const costExportFileName = (filter: CostFilterInit): string => `costs-${filter.startDate || "start"}-to-${filter.endDate || "today"}.csv`;

const bytesInWords = (n: number) => (n < 1024 ? `${n} bytes` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1024 / 1024).toFixed(1)} MB`);

export interface CostExportProps {
  client: CostsClient;
  /** The filters the page shows: the file holds the same costs, day by day. */
  filter: CostFilterInit;
}

export function CostExport({ client, filter }: CostExportProps) {
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
      const text = await exportCosts(client, filter, setBytes, abort.current.signal);
      const name = costExportFileName(filter);
      downloadFile(name, text, "text/csv");
      setDone(`Saved ${name} (${bytesInWords(new TextEncoder().encode(text).length)}).`);
    } catch (e) {
      setError(abort.current.signal.aborted ? "The export was stopped." : errorMessage(e));
    } finally {
      setRunning(false);
    }
  };

  return (
    <div className="flex flex-col gap-2" role="group" aria-label="Export costs">
      <div className="flex flex-wrap items-center gap-3">
        <Button variant="secondary" busy={running} onClick={() => void run()}>
          {running ? "Exporting…" : "Export CSV"}
        </Button>
        {running && (
          <Button variant="secondary" onClick={() => abort.current?.abort()}>
            Stop
          </Button>
        )}
      </div>
      <p role="status" className="m-0 text-sm text-muted">
        {running ? `Exporting the daily costs matching the filters… ${bytesInWords(bytes)} received.` : (done ?? "")}
      </p>
      {error && <Alert tone="danger">{error}</Alert>}
    </div>
  );
}
