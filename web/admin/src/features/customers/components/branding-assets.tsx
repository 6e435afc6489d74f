//! The logo and favicon: the stored image, and an upload (UploadBrandingAsset)
//! checked first against what tenancy accepts (PNG, JPEG, SVG or ICO; a logo at
//! most 512 KiB, a favicon 64 KiB); the server's violation beside the field.
import { useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { type CanopyClient, tenancy } from "@canopy/sdk";
import { Alert, Button, TextField, useFormAction } from "@canopy/ui";
import { brandingQueries, dataUrl } from "../api/branding";

/** The types tenancy stores, by what browsers and file names say. */
const TYPES: Record<string, string> = {
  "image/png": "image/png",
  "image/jpeg": "image/jpeg",
  "image/svg+xml": "image/svg+xml",
  "image/x-icon": "image/x-icon",
  "image/vnd.microsoft.icon": "image/x-icon",
};
const EXTENSIONS: Record<string, string> = { png: "image/png", jpg: "image/jpeg", jpeg: "image/jpeg", svg: "image/svg+xml", ico: "image/x-icon" };

/** The content type to declare for `file`, or undefined when tenancy would refuse the type. */
export function contentTypeOf(file: File): string | undefined {
  return TYPES[file.type] ?? (file.type ? undefined : EXTENSIONS[file.name.split(".").pop()?.toLowerCase() ?? ""]);
}

const KIB = 1024;
/** Where tenancy's violations of an upload go: beside the file field. */
const FIELD_OF: Record<string, "file"> = { data: "file", content_type: "file" };
const ASSETS = {
  [tenancy.AssetKind.LOGO]: { label: "Logo", noun: "logo", maxBytes: 512 * KIB },
  [tenancy.AssetKind.FAVICON]: { label: "Favicon", noun: "favicon", maxBytes: 64 * KIB },
} as const;

export interface AssetUploadProps {
  client: Pick<CanopyClient, "branding">;
  branding: tenancy.Branding;
  kind: tenancy.AssetKind.LOGO | tenancy.AssetKind.FAVICON;
  /** The upload was stored: the new branding and the image as a data URL. */
  onUploaded: (branding: tenancy.Branding, image: string) => void;
}

export function AssetUpload({ client, branding, kind, onUploaded }: AssetUploadProps) {
  const asset = ASSETS[kind];
  const stored = useQuery(brandingQueries.asset(client, branding, kind));
  const [file, setFile] = useState<{ file: File; contentType: string }>();
  const [tooBig, setTooBig] = useState<string>();
  const { busy, errors, formError, run } = useFormAction(FIELD_OF);
  const error = tooBig ?? errors.file;
  const [done, setDone] = useState(false);
  const [inputKey, setInputKey] = useState(0);
  const hint = `PNG, JPEG, SVG (no scripts) or ICO, at most ${asset.maxBytes / KIB} KiB.`;

  const choose = (chosen: File | undefined) => {
    setDone(false);
    setFile(undefined);
    setTooBig(undefined);
    if (!chosen) return;
    const contentType = contentTypeOf(chosen);
    if (!contentType) setTooBig(`Choose a PNG, JPEG, SVG or ICO image; this file is ${chosen.type || "of an unknown type"}.`);
    else if (chosen.size > asset.maxBytes) setTooBig(`This file is ${Math.ceil(chosen.size / KIB)} KiB; a ${asset.noun} can be at most ${asset.maxBytes / KIB} KiB.`);
    else setFile({ file: chosen, contentType });
  };

  const upload = (chosen: { file: File; contentType: string }) =>
    run(async () => {
      const data = new Uint8Array(await chosen.file.arrayBuffer());
      const res = await client.branding.uploadBrandingAsset({ customerId: branding.customerId, kind, contentType: chosen.contentType, data });
      setDone(true);
      setFile(undefined);
      setInputKey((k) => k + 1);
      if (res.branding) onUploaded(res.branding, dataUrl(chosen.contentType, data));
    });

  const present = kind === tenancy.AssetKind.LOGO ? branding.hasLogo : branding.hasFavicon;
  return (
    <div className="flex flex-col gap-3">
      <div className="flex flex-wrap items-center gap-3">
        {present ? (
          stored.data ? (
            <img src={stored.data} alt={`Current ${asset.noun}`} className="max-h-12 max-w-48 rounded-brand border border-line bg-surface p-1" />
          ) : (
            <span className="text-muted">{stored.isError ? `The stored ${asset.noun} could not be loaded.` : `Loading the ${asset.noun}…`}</span>
          )
        ) : (
          <span className="text-muted">No {asset.noun} yet.</span>
        )}
      </div>
      {done && <Alert tone="success">{asset.label} uploaded.</Alert>}
      {formError && <Alert tone="danger">{formError}</Alert>}
      <TextField
        key={inputKey}
        label={asset.label}
        type="file"
        accept="image/png,image/jpeg,image/svg+xml,image/x-icon,.ico"
        hint={hint}
        error={error}
        onChange={(e) => choose(e.target.files?.[0])}
      />
      <div>
        <Button variant="secondary" busy={busy} disabled={!file} onClick={() => file && void upload(file)}>
          {busy ? `Uploading ${asset.noun}…` : `Upload ${asset.noun}`}
        </Button>
      </div>
    </div>
  );
}
