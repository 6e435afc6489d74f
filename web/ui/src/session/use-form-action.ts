//! The state of a form that calls Canopy: busy while the call runs, then the
//! server's field violations beside the fields they name and anything else in
//! words above the form — and focus on the first field to fix.
import { useEffect, useRef, useState } from "react";
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
  /**
   * Refuses the form without calling the server (a required field left empty the
   * server would refuse anyway): the messages go beside the fields, like the
   * server's violations, and focus to the first of them.
   */
  refuse: (fields: Partial<Record<K, string>>) => void;
}

const SOME_FIELDS = "Some fields need attention.";

/**
 * Where focus goes once a refusal is shown: the first invalid control of the form
 * that was submitted, else back where the user was. The submit button is disabled
 * while the call runs, which drops focus to `<body>`; without this a keyboard or
 * screen reader user is left at the top of the page, away from what to fix.
 */
function focusAfterRefusal(origin: Element | null) {
  const form = origin?.closest("form");
  const invalid = form?.querySelector<HTMLElement>("[aria-invalid='true']");
  if (invalid) {
    invalid.focus();
  } else if (origin instanceof HTMLElement && origin.isConnected) {
    origin.focus();
  }
}

export function useFormAction<K extends string>(fieldOf: Record<string, K>): FormAction<K> {
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<Partial<Record<K, string>>>({});
  const [formError, setFormError] = useState<string>();
  // Each refusal counts up, so the effect below runs after the messages are in the DOM.
  const [refusals, setRefusals] = useState(0);
  /** What had focus when the form was submitted (its submit button, or the field Enter was pressed in). */
  const origin = useRef<Element | null>(null);

  useEffect(() => {
    if (refusals > 0) focusAfterRefusal(origin.current);
  }, [refusals]);

  const run: FormAction<K>["run"] = async (action, special) => {
    origin.current = document.activeElement;
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
        setFormError([SOME_FIELDS, ...placed.unplaced].join(" "));
      } else if (claimed) {
        setErrors(claimed);
      } else {
        setFormError(errorMessage(e));
      }
      setRefusals((n) => n + 1);
    } finally {
      setBusy(false);
    }
  };

  const refuse: FormAction<K>["refuse"] = (fields) => {
    origin.current = document.activeElement;
    setErrors(fields);
    setFormError(SOME_FIELDS);
    setRefusals((n) => n + 1);
  };

  return { busy, errors, formError, run, refuse };
}
