//! The signing secret of an endpoint just added: shown this once (the audit
//! service does not return it again), with a copy button; dismissed, it is gone.
import { useId, useRef } from "react";
import { Alert, Button, CopyButton } from "@canopy/ui";

export interface NewSiemSecretProps {
  url: string;
  /** "" when the answer came from a retry of an earlier attempt, which showed it then. */
  secret: string;
  onDismiss: () => void;
}

export function NewSiemSecret({ url, secret, onDismiss }: NewSiemSecretProps) {
  const id = useId();
  const input = useRef<HTMLInputElement>(null);
  return (
    <div className="flex flex-col gap-3" role="region" aria-label="New SIEM endpoint">
      {secret ? (
        <Alert tone="success" title="Endpoint added">
          Copy its signing secret now: it will not be shown again. The endpoint checks each delivery&apos;s <code className="font-mono">webhook-signature</code> with it.
        </Alert>
      ) : (
        <Alert tone="info" title="Endpoint added">
          This endpoint was added by an earlier attempt; its signing secret was shown then and cannot be shown again. Delete it and add it again for a new secret.
        </Alert>
      )}
      <p className="m-0 break-all">{url}</p>
      {secret && (
        <>
          <label className="flex flex-col gap-1 font-semibold" htmlFor={id}>
            Signing secret
            <input
              id={id}
              ref={input}
              readOnly
              value={secret}
              onFocus={(e) => e.target.select()}
              className="min-h-control w-full rounded-brand border border-line bg-canvas px-3 py-control-y font-mono font-normal"
            />
          </label>
          <CopyButton text={secret} label="Copy secret" what="Secret" onUnavailable={() => input.current?.select()} />
        </>
      )}
      <div>
        <Button variant="secondary" onClick={onDismiss}>
          {secret ? "I have copied the secret" : "Close"}
        </Button>
      </div>
    </div>
  );
}
