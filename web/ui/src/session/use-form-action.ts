//! The state of a form that calls Canopy: busy while the call runs, then the
//! server's field violations beside the fields they name and anything else in
//! words above the form.
import { useState } from "react";
import { errorMessage, fieldErrors } from "./error-message";

export interface FormAction<K extends string> {
  busy: boolean;
  /** One message per form field. */
  errors: Partial<Record<K, string>>;
  /** A message for the whole form. */
  formError: string | undefined;
  /**
   * Runs `action`, clearing the previous messages first. A failure with field
   * violations puts them beside the fields (`fieldOf` maps server field paths to
   * form fields); `special` may claim other failures for a field first (e.g. a
   * wrong current password); the rest become `formError`.
   */
  run: (action: () => Promise<void>, special?: (error: unknown) => Partial<Record<K, string>> | undefined) => Promise<void>;
}

export function useFormAction<K extends string>(fieldOf: Record<string, K>): FormAction<K> {
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<Partial<Record<K, string>>>({});
  const [formError, setFormError] = useState<string>();

  const run: FormAction<K>["run"] = async (action, special) => {
    setBusy(true);
    setErrors({});
    setFormError(undefined);
    try {
      await action();
    } catch (e) {
      const placed = fieldErrors(e, fieldOf);
      const claimed = placed ? undefined : special?.(e);
      if (placed) {
        setErrors(placed.fields);
        setFormError(["Some fields need attention.", ...placed.unplaced].join(" "));
      } else if (claimed) {
        setErrors(claimed);
      } else {
        setFormError(errorMessage(e));
      }
    } finally {
      setBusy(false);
    }
  };
  return { busy, errors, formError, run };
}
