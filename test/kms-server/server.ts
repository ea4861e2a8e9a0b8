/**
 * A local AWS KMS endpoint for tests and benchmarks: the real AWS JSON 1.1
 * wire protocol, real AES-256-GCM cryptography, a call log, and injectable
 * faults (latency, throttling, 5xx, dropped sockets, per-operation errors).
 *
 * Point the real `@aws-sdk/client-kms` at `server.endpoint`. Signatures are
 * not verified; the access key id in the Authorization header is taken as the
 * caller's identity ("principal") so tests can play different roles.
 */
import { createHash, createHmac, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EncryptionContext } from './crypto.js';
import { describeRequest, KeyStore, KmsError, operations, type JsonBody, type PolicyRequest } from './operations.js';

export type { PolicyRequest } from './operations.js';

export interface RecordedCall {
  /** Operation from X-Amz-Target ("Decrypt", ...); "" when the header is missing. */
  op: string;
  /** Key identifier as sent (KeyId; DestinationKeyId for ReEncrypt; TargetKeyId for CreateAlias). */
  keyId?: string;
  /** The key ARN that identifier (or, for Decrypt without KeyId, the blob) names, if it exists. */
  keyArn?: string;
  /** EncryptionContext as sent (DestinationEncryptionContext for ReEncrypt). */
  encryptionContext?: EncryptionContext;
  /** ReEncrypt only: the key that made the source blob, and the source context. */
  sourceKeyArn?: string;
  sourceEncryptionContext?: EncryptionContext;
  /** HTTP status answered; 0 while in flight, and for dropped or abandoned requests. */
  status: number;
  /** Error name answered (`__type`), or "SocketDropped" / "ClientClosed" / "ServerClosed" / "Malformed". */
  error?: string;
  /** Arrival time, ms since the epoch. */
  at: number;
  /** Access key id from the Authorization header. */
  principal?: string;
  /** X-Amz-Security-Token, when the credentials were temporary (test tokens only). */
  sessionToken?: string;
}

export interface Faults {
  /** Added before answering every request. */
  latencyMs?: number;
  /** Up to this much extra latency, drawn from the seeded PRNG. */
  latencyJitterMs?: number;
  /** 0..1 share answered HTTP 400 ThrottlingException. */
  throttleRate?: number;
  /** The first N requests (since these faults were set) are throttled. */
  throttleFirst?: number;
  /**
   * Throttle a request if, when it arrives, more than N requests (itself
   * included) are in flight: at most N run concurrently without being throttled.
   */
  throttleAboveInFlight?: number;
  /** 0..1 share answered HTTP 500 KMSInternalException. */
  error5xxRate?: number;
  error5xxFirst?: number;
  /** 0..1 share whose TCP socket is destroyed without a response. */
  dropRate?: number;
  dropFirst?: number;
  /** The first N requests are answered 200 with a body that is not a KMS answer (an HTML page,
   *  as a misconfigured proxy gives). */
  malformedFirst?: number;
  /** The first `count` Decrypts succeed with this Plaintext field instead of the real one (a garbled
   *  answer: not base64, or a key of the wrong length). */
  plaintextFirst?: { count: number; value: string };
  /** Hold each request this long before going on (to exceed client deadlines). */
  hangMs?: number;
  /** Hold only the Nth request (1-based, since these faults were set) until the server closes. */
  hangNth?: number;
  /** When the Nth request (1-based) arrives, the server goes away: it stops listening and drops
   *  every connection, that request's included. */
  closeAtRequest?: number;
  /** Answer every call of an operation with this error, e.g. {Decrypt: {type: "AccessDeniedException"}}. */
  failOps?: Record<string, { type: string; status?: number; message?: string }>;
  /** PRNG seed for the rates and the jitter; default 1. */
  seed?: number;
}

export interface KmsTestServer {
  endpoint: string;
  port: number;
  region: string;
  account: string;
  /** Create a symmetric key directly (not recorded as a call); returns its ARN. */
  createKey(opts?: { alias?: string; description?: string; id?: string; material?: Uint8Array }): string;
  /** Every KMS request, in arrival order. Never holds plaintext. */
  calls: RecordedCall[];
  count(op?: string): number;
  /** Requests currently being handled. */
  readonly inFlight: number;
  /** Highest number of concurrently in-flight requests observed since start or reset(). */
  maxInFlight: number;
  /** Clear calls, maxInFlight, faults and the clock offset; keys, aliases and policy stay. */
  reset(): void;
  /**
   * Assigning a new object restarts the "...First" counters and reseeds the
   * PRNG, so a run repeats. Mutating the current object in place does not.
   */
  faults: Faults;
  /** Key policy: return false to answer AccessDeniedException. */
  policy?: (req: PolicyRequest) => boolean;
  /** When set, every request's SigV4 signature must verify with this secret access key
   *  (InvalidSignatureException otherwise), as real KMS checks it. */
  signingSecret?: string;
  /** The server's clock minus the real one. Every answer carries the server's time in its Date
   *  header, and a request signed 5 minutes or more away from it is refused (InvalidSignatureException,
   *  "Signature expired"), as real KMS does. */
  clockOffsetMs: number;
  close(): Promise<void>;
}

export interface StartOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Interface to listen on; default 127.0.0.1. */
  host?: string;
  region?: string;
  account?: string;
  faults?: Faults;
}

const TARGET_PREFIX = 'TrentService.';
const CONTENT_TYPE = 'application/x-amz-json-1.1';
// Longer than any test, so the SDK's pooled sockets are not closed by the
// server mid-run (which races with reuse and shows up as a spurious ECONNRESET).
const KEEP_ALIVE_MS = 60_000;

/** mulberry32: tiny, fast and good enough to decide which requests fail. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** What happens to one request, decided when it arrives. */
interface FaultPlan {
  faults: Faults;
  delayMs: number;
  /** Held until the server closes. */
  hang: boolean;
  /** The server goes away on this request. */
  close: boolean;
  drop: boolean;
  malformed: boolean;
  error5xx: boolean;
  throttle: boolean;
}

interface Reply {
  status: number;
  payload: JsonBody;
  errorType?: string;
}

function errorReply(err: KmsError): Reply {
  return { status: err.status, payload: { __type: err.type, message: err.message }, errorType: err.type };
}

function principalOf(authorization: string | undefined): string | undefined {
  return /Credential=([^/,\s]+)\//.exec(authorization ?? '')?.[1];
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function operationOf(target: string | undefined): string {
  if (target === undefined) return '';
  return target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : target;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Parse errors are returned, not thrown: they are answered only after the faults. */
function parseBody(text: string): JsonBody | KmsError {
  if (text.trim() === '') return {};
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as JsonBody;
  } catch {
    // fall through
  }
  return new KmsError('SerializationException', 'Request body is not a JSON object');
}

function send(res: ServerResponse, reply: Reply, now = Date.now()): void {
  if (res.destroyed || res.writableEnded) return;
  const text = JSON.stringify(reply.payload);
  res.writeHead(reply.status, {
    date: new Date(now).toUTCString(),
    'content-type': CONTENT_TYPE,
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': randomUUID(),
    ...(reply.errorType === undefined ? {} : { 'x-amzn-errortype': reply.errorType }),
  });
  res.end(text);
}

const FIVE_MINUTES_MS = 5 * 60 * 1000;

/** X-Amz-Date (20261202T145500Z) in ms, or undefined when absent or not in that form. */
function amzDate(value: string | undefined): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value ?? '');
  return m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])) : undefined;
}

const sha256 = (data: string) => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();

/** SigV4 as AWS checks it, from the request alone (no SDK code): the canonical request of
 *  the signed headers and the body, the string to sign, and the derived signing key. */
function signatureVerifies(req: IncomingMessage, body: string, secret: string, expected: { region: string }): boolean {
  const m = /^AWS4-HMAC-SHA256 Credential=[^/]+\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(
    req.headers.authorization ?? '',
  );
  if (!m) return false;
  const [, date, region, service, signed, signature] = m as unknown as [string, string, string, string, string, string];
  // Real KMS in us-east-1 takes only requests signed for kms in us-east-1.
  if (region !== expected.region || service !== 'kms') return false;
  const names = signed.split(';');
  if (!names.includes('host') || !names.includes('x-amz-date')) return false;
  // A session token travels signed, or the request is refused.
  if (req.headers['x-amz-security-token'] !== undefined && !names.includes('x-amz-security-token')) return false;
  const headers = names.map((n) => `${n}:${String(req.headers[n]).trim().replace(/\s+/g, ' ')}\n`).join('');
  const canonical = [req.method, req.url?.split('?')[0] ?? '/', '', headers, signed, sha256(body)].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', String(req.headers['x-amz-date']), scope, sha256(canonical)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');
  return createHmac('sha256', key).update(toSign).digest('hex') === signature;
}

class Implementation implements KmsTestServer {
  readonly calls: RecordedCall[] = [];
  maxInFlight = 0;
  policy?: (req: PolicyRequest) => boolean;
  signingSecret?: string;
  clockOffsetMs = 0;
  endpoint = '';
  port = 0;

  private readonly store: KeyStore;
  private readonly http: Server;
  private current: Faults = {};
  private random: () => number = seededRandom(1);
  /** Requests seen since the faults were last assigned; drives the "...First" faults. */
  private index = 0;
  private active = 0;
  private closing: Promise<void> | undefined;

  constructor(
    readonly region: string,
    readonly account: string,
    faults: Faults,
  ) {
    this.store = new KeyStore(region, account);
    this.faults = faults;
    this.http = createServer({ keepAliveTimeout: KEEP_ALIVE_MS }, (req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        // A bug here must not leave the client waiting.
        send(res, errorReply(new KmsError('KMSInternalException', String(err), 500)));
      });
    });
  }

  get faults(): Faults {
    return this.current;
  }

  set faults(next: Faults) {
    this.current = next;
    this.index = 0;
    this.random = seededRandom(next.seed ?? 1);
  }

  get inFlight(): number {
    return this.active;
  }

  async listen(port: number, host: string): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(port, host, () => {
        this.http.off('error', reject);
        resolve();
      });
    });
    this.port = (this.http.address() as AddressInfo).port;
    this.endpoint = `http://${host.includes(':') ? `[${host}]` : host}:${this.port}`;
  }

  createKey(opts: { alias?: string; description?: string; id?: string; material?: Uint8Array } = {}): string {
    const key = this.store.createKey(opts.description, opts.id, opts.material ? Buffer.from(opts.material) : undefined);
    if (opts.alias !== undefined) this.store.createAlias(opts.alias, key);
    return key.arn;
  }

  count(op?: string): number {
    return op === undefined ? this.calls.length : this.calls.filter((c) => c.op === op).length;
  }

  reset(): void {
    this.calls.length = 0;
    this.maxInFlight = this.active;
    this.faults = {};
    this.clockOffsetMs = 0;
  }

  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve, reject) => {
      this.http.close((err) => (err ? reject(err) : resolve()));
      // Also ends idle keep-alive sockets and requests held by hang/latency.
      this.http.closeAllConnections();
    });
    return this.closing;
  }

  /**
   * One request. Order (from the brief): record, hang/latency, drop, 5xx,
   * throttle, failOps, normal processing. In-flight accounting hangs off the
   * response's 'close' event, which fires exactly once on every path: answered,
   * dropped by us, or abandoned by the client.
   */
  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method === 'GET' && req.url === '/_stats') {
      send(res, { status: 200, payload: this.stats() });
      return;
    }
    const gone = this.track(res);
    const authorization = req.headers.authorization;
    const call: RecordedCall = {
      op: operationOf(firstHeader(req.headers['x-amz-target'])),
      status: 0,
      at: Date.now(),
      principal: principalOf(authorization),
    };
    const sessionToken = firstHeader(req.headers['x-amz-security-token']);
    if (sessionToken !== undefined) call.sessionToken = sessionToken;
    this.calls.push(call);
    // Decided synchronously on arrival, so the in-flight count and the PRNG
    // sequence follow arrival order and not how fast bodies happen to be read.
    const plan = this.plan();
    if (plan.close) {
      call.error = 'ServerClosed';
      void this.close();
      return;
    }

    let body: JsonBody | KmsError;
    let raw: string;
    try {
      raw = await readBody(req);
      body = parseBody(raw);
    } catch {
      call.error = 'ClientClosed';
      return;
    }
    const now = Date.now() + this.clockOffsetMs;
    const signedAt = amzDate(firstHeader(req.headers['x-amz-date']));
    if (signedAt !== undefined && Math.abs(signedAt - now) >= FIVE_MINUTES_MS)
      body = new KmsError('InvalidSignatureException', 'Signature expired: the request time is more than 5 minutes away from the server time.', 400);
    else if (this.signingSecret !== undefined && !signatureVerifies(req, raw, this.signingSecret, this))
      body = new KmsError('InvalidSignatureException', 'The request signature we calculated does not match the signature you provided.', 400);
    if (!(body instanceof KmsError)) Object.assign(call, describeRequest(call.op, body, this.store));

    if (plan.hang) {
      await new Promise<void>((resolve) => gone.addEventListener('abort', () => resolve(), { once: true }));
      call.error = 'ClientClosed';
      return;
    }
    if (plan.delayMs > 0) {
      try {
        await sleep(plan.delayMs, undefined, { signal: gone });
      } catch {
        call.error = 'ClientClosed';
        return;
      }
    }
    if (gone.aborted) {
      call.error = 'ClientClosed';
      return;
    }
    if (plan.drop) {
      call.error = 'SocketDropped';
      req.socket.destroy();
      return;
    }
    if (plan.malformed) {
      call.status = 200;
      call.error = 'Malformed';
      res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>Proxy login</body></html>');
      return;
    }
    const reply = this.faultReply(plan, call.op) ?? this.process(call.op, body, authorization);
    const garbled = this.current.plaintextFirst;
    if (garbled && call.op === 'Decrypt' && reply.status === 200 && garbled.count > 0) {
      garbled.count -= 1;
      (reply.payload as Record<string, unknown>).Plaintext = garbled.value;
    }
    call.status = reply.status;
    if (reply.errorType !== undefined) call.error = reply.errorType;
    send(res, reply, Date.now() + this.clockOffsetMs);
  }

  /** Count the request in flight until its response closes; the signal fires then. */
  private track(res: ServerResponse): AbortSignal {
    const done = new AbortController();
    this.active += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.active);
    res.once('close', () => {
      this.active -= 1;
      done.abort();
    });
    return done.signal;
  }

  private plan(): FaultPlan {
    const f = this.current;
    const i = this.index++;
    // Always draw the same number of values per request so that request k
    // gets the same fate whichever faults are switched on.
    const [jitter, drop, error5xx, throttle] = [this.random(), this.random(), this.random(), this.random()];
    const first = (n: number | undefined): boolean => i < (n ?? 0);
    return {
      faults: f,
      hang: f.hangNth === i + 1,
      close: f.closeAtRequest === i + 1,
      delayMs: (f.hangMs ?? 0) + (f.latencyMs ?? 0) + jitter * (f.latencyJitterMs ?? 0),
      drop: first(f.dropFirst) || drop < (f.dropRate ?? 0),
      malformed: first(f.malformedFirst),
      error5xx: first(f.error5xxFirst) || error5xx < (f.error5xxRate ?? 0),
      throttle: first(f.throttleFirst) || throttle < (f.throttleRate ?? 0) || (f.throttleAboveInFlight !== undefined && this.active > f.throttleAboveInFlight),
    };
  }

  private faultReply(plan: FaultPlan, op: string): Reply | undefined {
    if (plan.error5xx) {
      return errorReply(new KmsError('KMSInternalException', 'The request was rejected because an internal exception occurred.', 500));
    }
    if (plan.throttle) return errorReply(new KmsError('ThrottlingException', 'Rate exceeded'));
    const failOps = plan.faults.failOps;
    const failure = failOps !== undefined && Object.hasOwn(failOps, op) ? failOps[op] : undefined;
    if (failure) return errorReply(new KmsError(failure.type, failure.message ?? `Injected ${failure.type}`, failure.status ?? 400));
    return undefined;
  }

  private process(op: string, body: JsonBody | KmsError, authorization: string | undefined): Reply {
    try {
      if (authorization === undefined) {
        throw new KmsError('MissingAuthenticationTokenException', 'Missing Authentication Token', 403);
      }
      const principal = principalOf(authorization);
      if (principal === undefined) {
        throw new KmsError('IncompleteSignatureException', 'Authorization header requires a Credential parameter', 400);
      }
      // hasOwn: the target is caller-controlled and must not reach Object.prototype.
      const operation = Object.hasOwn(operations, op) ? operations[op] : undefined;
      if (operation === undefined) throw new KmsError('UnknownOperationException', `Unknown operation ${op}`);
      if (body instanceof KmsError) throw body;
      return { status: 200, payload: operation(body, { store: this.store, principal, policy: this.policy }) };
    } catch (err) {
      if (err instanceof KmsError) return errorReply(err);
      return errorReply(new KmsError('KMSInternalException', String(err), 500));
    }
  }

  private stats(): JsonBody {
    const byOp: Record<string, number> = {};
    for (const c of this.calls) byOp[c.op] = (byOp[c.op] ?? 0) + 1;
    return { count: this.calls.length, byOp, inFlight: this.active, maxInFlight: this.maxInFlight };
  }
}

export async function startKmsServer(opts: StartOptions = {}): Promise<KmsTestServer> {
  const server = new Implementation(opts.region ?? 'us-east-1', opts.account ?? '111122223333', opts.faults ?? {});
  await server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1');
  return server;
}
