// A tiny authoritative DNS server over UDP (RFC 1035) answering TXT queries from a
// map the test fills in — the TXT record an operator would create for a custom
// domain's verification. tenancy's stub resolver is pointed at it with
// CANOPY_SERVICES__TENANCY__DNS_SERVER. Every other name is NXDOMAIN.
import { type RemoteInfo, type Socket, createSocket } from "node:dgram";

const TYPE_TXT = 16;
const CLASS_IN = 1;

export interface DnsResponder {
  /** `127.0.0.1:<port>`. */
  address: string;
  /** Publishes (or replaces) the TXT strings of `name`. */
  setTxt(name: string, values: string[]): void;
  /** The names asked for, in order. */
  queries: string[];
  close(): Promise<void>;
}

/** The question's name and where the question section ends, or undefined when malformed. */
function readQuestion(message: Buffer): { name: string; end: number; type: number } | undefined {
  const labels: string[] = [];
  let at = 12;
  while (at < message.length) {
    const length = message[at]!;
    if (length === 0) {
      at += 1;
      if (at + 4 > message.length) return undefined;
      return { name: labels.join(".").toLowerCase(), end: at + 4, type: message.readUInt16BE(at) };
    }
    if (length > 63 || at + 1 + length > message.length) return undefined; // no compression in questions
    labels.push(message.subarray(at + 1, at + 1 + length).toString("ascii"));
    at += 1 + length;
  }
  return undefined;
}

function answer(query: Buffer, records: Map<string, string[]>): Buffer | undefined {
  if (query.length < 12 || query.readUInt16BE(4) !== 1) return undefined;
  const question = readQuestion(query);
  if (!question) return undefined;
  const values = question.type === TYPE_TXT ? records.get(question.name) : undefined;
  const header = Buffer.alloc(12);
  query.copy(header, 0, 0, 2); // id
  // QR, AA, RD copied from the query, RA; RCODE 3 (NXDOMAIN) when there is no record.
  header.writeUInt16BE(0x8400 | (query.readUInt16BE(2) & 0x0100) | 0x0080 | (values ? 0 : 3), 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(values ? 1 : 0, 6);
  const parts = [header, query.subarray(12, question.end)];
  if (values) {
    const strings = Buffer.concat(
      values.map((value) => {
        const bytes = Buffer.from(value, "utf8");
        if (bytes.length > 255) throw new Error("a TXT string holds at most 255 bytes");
        return Buffer.concat([Buffer.from([bytes.length]), bytes]);
      }),
    );
    const record = Buffer.alloc(12);
    record.writeUInt16BE(0xc00c, 0); // the name: a pointer to the question's
    record.writeUInt16BE(TYPE_TXT, 2);
    record.writeUInt16BE(CLASS_IN, 4);
    record.writeUInt32BE(60, 6); // TTL
    record.writeUInt16BE(strings.length, 10);
    parts.push(record, strings);
  }
  return Buffer.concat(parts);
}

export function startDnsResponder(): Promise<DnsResponder> {
  const records = new Map<string, string[]>();
  const queries: string[] = [];
  const socket: Socket = createSocket("udp4");
  socket.on("message", (message: Buffer, peer: RemoteInfo) => {
    const question = readQuestion(message);
    if (question) queries.push(question.name);
    const reply = answer(message, records);
    if (reply) socket.send(reply, peer.port, peer.address);
  });
  return new Promise((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(0, "127.0.0.1", () => {
      resolve({
        address: `127.0.0.1:${socket.address().port}`,
        setTxt: (name, values) => records.set(name.toLowerCase().replace(/\.$/, ""), values),
        queries,
        close: () => new Promise((done) => socket.close(() => done())),
      });
    });
  });
}
