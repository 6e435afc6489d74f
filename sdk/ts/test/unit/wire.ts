// Test helpers: google.rpc messages and grpc-web responses encoded by hand.
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";

export function errorInfo(reason: string, domain: string, metadata: Record<string, string> = {}): Uint8Array {
  const w = new BinaryWriter();
  w.tag(1, WireType.LengthDelimited).string(reason);
  w.tag(2, WireType.LengthDelimited).string(domain);
  for (const [k, v] of Object.entries(metadata)) {
    w.tag(3, WireType.LengthDelimited).fork();
    w.tag(1, WireType.LengthDelimited).string(k).tag(2, WireType.LengthDelimited).string(v);
    w.join();
  }
  return w.finish();
}

export function badRequest(violations: [field: string, description: string][]): Uint8Array {
  const w = new BinaryWriter();
  for (const [field, description] of violations) {
    w.tag(1, WireType.LengthDelimited).fork();
    w.tag(1, WireType.LengthDelimited).string(field).tag(2, WireType.LengthDelimited).string(description);
    w.join();
  }
  return w.finish();
}

export function retryInfo(seconds: number, nanos: number): Uint8Array {
  const w = new BinaryWriter();
  w.tag(1, WireType.LengthDelimited).fork();
  w.tag(1, WireType.Varint).int64(seconds).tag(2, WireType.Varint).int32(nanos);
  w.join();
  return w.finish();
}

export function status(code: number, message: string, details: [typeName: string, value: Uint8Array][]): Uint8Array {
  const w = new BinaryWriter();
  w.tag(1, WireType.Varint).int32(code);
  w.tag(2, WireType.LengthDelimited).string(message);
  for (const [name, value] of details) {
    w.tag(3, WireType.LengthDelimited).fork();
    w.tag(1, WireType.LengthDelimited).string(`type.googleapis.com/${name}`);
    w.tag(2, WireType.LengthDelimited).bytes(value);
    w.join();
  }
  return w.finish();
}

export const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64").replace(/=+$/, "");

function frame(flag: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + payload.length);
  out[0] = flag;
  new DataView(out.buffer).setUint32(1, payload.length);
  out.set(payload, 5);
  return out;
}

/** A grpc-web response with `messages` then a trailer of `grpc-status: 0`. */
export function grpcWebOk(...messages: Uint8Array[]): Response {
  const trailer = new TextEncoder().encode("grpc-status: 0\r\ngrpc-message: \r\n");
  const parts = [...messages.map((m) => frame(0, m)), frame(0x80, trailer)];
  const body = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    body.set(p, at);
    at += p.length;
  }
  return new Response(body, { status: 200, headers: { "content-type": "application/grpc-web+proto" } });
}

/** A trailers-only grpc-web error, as the gateway sends when it refuses a call. */
export function grpcWebError(code: number, message: string, detailsBin?: Uint8Array): Response {
  const headers: Record<string, string> = {
    "content-type": "application/grpc-web+proto",
    "grpc-status": String(code),
    "grpc-message": encodeURIComponent(message),
  };
  if (detailsBin) headers["grpc-status-details-bin"] = base64(detailsBin);
  return new Response(null, { status: 200, headers });
}
