import { type InputHTMLAttributes, type ReactNode, type SelectHTMLAttributes, useId } from "react";

interface FieldFrameProps {
  id: string;
  label: string;
  hint?: ReactNode;
  /** A message shown beside the field (e.g. a server field violation); marks the control invalid. */
  error?: string;
  children: ReactNode;
}

function FieldFrame({ id, label, hint, error, children }: FieldFrameProps) {
  return (
    <div className={`cn-field ${error ? "cn-field--invalid" : ""}`.trim()}>
      <label htmlFor={id} className="cn-field__label">
        {label}
      </label>
      {children}
      {hint && !error && (
        <p id={`${id}-hint`} className="cn-field__hint">
          {hint}
        </p>
      )}
      {error && (
        <p id={`${id}-error`} className="cn-field__error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

export interface TextFieldProps extends Omit<InputHTMLAttributes<HTMLInputElement>, "id"> {
  label: string;
  hint?: ReactNode;
  error?: string;
}

/** A labelled input with a hint and an error slot (`aria-invalid`, `aria-describedby`). */
export function TextField({ label, hint, error, ...input }: TextFieldProps) {
  const id = useId();
  return (
    <FieldFrame id={id} label={label} hint={hint} error={error}>
      <input
        {...input}
        id={id}
        className="cn-input"
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : hint ? `${id}-hint` : undefined}
      />
    </FieldFrame>
  );
}

export interface SelectFieldProps extends Omit<SelectHTMLAttributes<HTMLSelectElement>, "id"> {
  label: string;
  hint?: ReactNode;
  error?: string;
  options: { value: string; label: string }[];
  /** A first, empty choice (e.g. "Choose a region"). */
  placeholder?: string;
}

/** A labelled select with the same hint and error slot as `TextField`. */
export function SelectField({ label, hint, error, options, placeholder, ...select }: SelectFieldProps) {
  const id = useId();
  return (
    <FieldFrame id={id} label={label} hint={hint} error={error}>
      <select
        {...select}
        id={id}
        className="cn-input"
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : hint ? `${id}-hint` : undefined}
      >
        {placeholder !== undefined && <option value="">{placeholder}</option>}
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </FieldFrame>
  );
}
