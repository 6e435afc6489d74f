//! The secret of a key just created: shown this once (identity keeps only its
//! hash), with a copy button; dismissed, it is gone.
import { useId, useRef } from "react";
import { Alert } from "../components/alert";
import { Button } from "../components/button";
import { CopyButton } from "../components/copy-button";

export interface NewApiKeySecretProps {
  name: string;
  secret: string;
  onDismiss: () => void;
}

export function NewApiKeySecret({ name, secret, onDismiss }: NewApiKeySecretProps) {
  const id = useId();
  const input = useRef<HTMLInputElement>(null);

  return (
    <div className="flex flex-col gap-3" role="region" aria-label="New API key">
      <Alert tone="success" title={`API key “${name}” created`}>
        Copy its secret now: you will not see it again. Send it as <code className="font-mono">authorization: Bearer &lt;secret&gt;</code>.
      </Alert>
      <label className="flex flex-col gap-1 font-semibold" htmlFor={id}>
        Secret
        <input
          id={id}
          ref={input}
          readOnly
          value={secret}
          onFocus={(e) => e.target.select()}
          className="min-h-control w-full rounded-brand border border-line bg-canvas px-3 py-control-y font-mono font-normal"
        />
      </label>
      <div className="flex flex-wrap items-center gap-3">
        {/* Without a clipboard the secret is selected, ready to copy by hand. */}
        <CopyButton text={secret} label="Copy secret" what="Secret" onUnavailable={() => input.current?.select()} />
        <Button variant="secondary" onClick={onDismiss}>
          I have copied the secret
        </Button>
      </div>
    </div>
  );
}
