/**
 * A small decoder for the `google.rpc` error model, read with the protobuf wire
 * reader of `@bufbuild/protobuf` (the google/rpc protos are not part of `proto/`,
 * so no generated types exist for them).
 *
 * Covers `google.rpc.Status` (the `grpc-status-details-bin` trailer) and the
 * details Canopy sends: `ErrorInfo`, `BadRequest` and `RetryInfo`. Unknown fields
 * are skipped, as a generated decoder would.
 */
import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";

/** `google.protobuf.Any`: a type URL and the encoded message. */
export interface RpcAny {
  typeUrl: string;
  value: Uint8Array;
}

/** `google.rpc.Status`. */
export interface RpcStatus {
  code: number;
  message: string;
  details: RpcAny[];
}

/** `google.rpc.ErrorInfo`: a machine-readable reason. */
export interface ErrorInfo {
  reason: string;
  domain: string;
  metadata: Record<string, string>;
}

/** `google.rpc.BadRequest.FieldViolation`: one invalid request field. */
export interface FieldViolation {
  field: string;
  description: string;
  reason: string;
  localizedMessage: string;
}

/** `google.rpc.BadRequest`. */
export interface BadRequest {
  fieldViolations: FieldViolation[];
}

/** `google.rpc.RetryInfo`, with the delay in milliseconds. */
export interface RetryInfo {
  retryDelayMs: number;
}

export const TYPE_ERROR_INFO = "google.rpc.ErrorInfo";
export const TYPE_BAD_REQUEST = "google.rpc.BadRequest";
export const TYPE_RETRY_INFO = "google.rpc.RetryInfo";

/** Calls `field` for every field of `bytes`; the callback skips what it does not read. */
function readFields(bytes: Uint8Array, field: (reader: BinaryReader, fieldNo: number, wireType: WireType) => boolean) {
  const reader = new BinaryReader(bytes);
  while (reader.pos < reader.len) {
    const [fieldNo, wireType] = reader.tag();
    if (!field(reader, fieldNo, wireType)) {
      reader.skip(wireType, fieldNo);
    }
  }
}

const isBytes = (wireType: WireType) => wireType === WireType.LengthDelimited;

/** Decodes a `google.rpc.Status` (e.g. the `grpc-status-details-bin` trailer, base64-decoded). */
export function decodeStatus(bytes: Uint8Array): RpcStatus {
  const status: RpcStatus = { code: 0, message: "", details: [] };
  readFields(bytes, (reader, fieldNo, wireType) => {
    if (fieldNo === 1 && wireType === WireType.Varint) status.code = reader.int32();
    else if (fieldNo === 2 && isBytes(wireType)) status.message = reader.string();
    else if (fieldNo === 3 && isBytes(wireType)) status.details.push(decodeAny(reader.bytes()));
    else return false;
    return true;
  });
  return status;
}

/** Decodes a `google.protobuf.Any`. */
export function decodeAny(bytes: Uint8Array): RpcAny {
  const any: RpcAny = { typeUrl: "", value: new Uint8Array(0) };
  readFields(bytes, (reader, fieldNo, wireType) => {
    if (fieldNo === 1 && isBytes(wireType)) any.typeUrl = reader.string();
    else if (fieldNo === 2 && isBytes(wireType)) any.value = reader.bytes();
    else return false;
    return true;
  });
  return any;
}

/** The message name of a type URL: `type.googleapis.com/google.rpc.ErrorInfo` → `google.rpc.ErrorInfo`. */
export function typeName(typeUrl: string): string {
  return typeUrl.slice(typeUrl.lastIndexOf("/") + 1);
}

/** Decodes a `google.rpc.ErrorInfo`. */
export function decodeErrorInfo(bytes: Uint8Array): ErrorInfo {
  const info: ErrorInfo = { reason: "", domain: "", metadata: {} };
  readFields(bytes, (reader, fieldNo, wireType) => {
    if (fieldNo === 1 && isBytes(wireType)) info.reason = reader.string();
    else if (fieldNo === 2 && isBytes(wireType)) info.domain = reader.string();
    else if (fieldNo === 3 && isBytes(wireType)) {
      // map<string, string>: an entry message with key = 1, value = 2.
      let key = "";
      let value = "";
      readFields(reader.bytes(), (entry, entryField, entryWire) => {
        if (entryField === 1 && isBytes(entryWire)) key = entry.string();
        else if (entryField === 2 && isBytes(entryWire)) value = entry.string();
        else return false;
        return true;
      });
      info.metadata[key] = value;
    } else return false;
    return true;
  });
  return info;
}

/** Decodes a `google.rpc.BadRequest`. */
export function decodeBadRequest(bytes: Uint8Array): BadRequest {
  const badRequest: BadRequest = { fieldViolations: [] };
  readFields(bytes, (reader, fieldNo, wireType) => {
    if (fieldNo !== 1 || !isBytes(wireType)) return false;
    const violation: FieldViolation = { field: "", description: "", reason: "", localizedMessage: "" };
    readFields(reader.bytes(), (v, vField, vWire) => {
      if (!isBytes(vWire)) return false;
      if (vField === 1) violation.field = v.string();
      else if (vField === 2) violation.description = v.string();
      else if (vField === 3) violation.reason = v.string();
      else if (vField === 4) {
        // google.rpc.LocalizedMessage { locale = 1; message = 2; }
        readFields(v.bytes(), (m, mField, mWire) => {
          if (mField === 2 && isBytes(mWire)) violation.localizedMessage = m.string();
          else return false;
          return true;
        });
      } else return false;
      return true;
    });
    badRequest.fieldViolations.push(violation);
    return true;
  });
  return badRequest;
}

/** Decodes a `google.rpc.RetryInfo` (its `google.protobuf.Duration` as milliseconds). */
export function decodeRetryInfo(bytes: Uint8Array): RetryInfo {
  let seconds = 0;
  let nanos = 0;
  readFields(bytes, (reader, fieldNo, wireType) => {
    if (fieldNo !== 1 || !isBytes(wireType)) return false;
    readFields(reader.bytes(), (d, dField, dWire) => {
      if (dField === 1 && dWire === WireType.Varint) seconds = Number(d.int64());
      else if (dField === 2 && dWire === WireType.Varint) nanos = d.int32();
      else return false;
      return true;
    });
    return true;
  });
  return { retryDelayMs: seconds * 1000 + Math.round(nanos / 1e6) };
}
