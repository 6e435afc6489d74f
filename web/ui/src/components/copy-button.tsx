import { useState } from "react";
import { Button } from "./button";

export interface CopyButtonProps {
  /** What is copied. */
  text: string;
  /** The button's words, e.g. "Copy record name". */
  label: string;
  /** What was copied, for the confirmation ("Secret" → "Secret copied."). */
  what?: string;
  /** When the clipboard is out of reach: e.g. select the text so it can be copied by hand. */
  onUnavailable?: () => void;
}

/** Copies `text` and says so; where the browser offers no clipboard (a page on plain
 *  http, a refused permission) it says to copy by hand instead of failing silently. */
export function CopyButton({ text, label, what = "Copied", onUnavailable }: CopyButtonProps) {
  const [result, setResult] = useState<"copied" | "unavailable">();
  const copy = async () => {
    try {
      // `navigator.clipboard` is undefined outside secure contexts.
      if (!navigator.clipboard) throw new Error("no clipboard");
      await navigator.clipboard.writeText(text);
      setResult("copied");
    } catch {
      onUnavailable?.();
      setResult("unavailable");
    }
  };
  return (
    <span className="inline-flex flex-wrap items-center gap-2">
      <Button variant="secondary" onClick={() => void copy()}>
        {label}
      </Button>
      <span role="status" className={`text-sm ${result === "unavailable" ? "text-danger" : "text-muted"}`}>
        {result === "copied" ? (what === "Copied" ? "Copied." : `${what} copied.`) : result === "unavailable" ? "Copying is not available here: select the text and copy it by hand." : ""}
      </span>
    </span>
  );
}
