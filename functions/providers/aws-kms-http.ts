// One AWS KMS region, called over HTTP in KMS's JSON protocol (awsJson1_1): a POST
// of a small JSON document, signed with SigV4. The SDK's KMSClient supplies what
// is hard to get right and must match every other AWS tool: the region, the
// endpoint (its rules: partitions, FIPS, dual-stack, AWS_ENDPOINT_URL_KMS and
// endpoint_url in the profile), the credential chain and the SigV4 signer. What a
// call costs besides the signing and the socket is kmsecret's: the SDK's
// middleware stack and schema serde cost about as much CPU per Decrypt as
// everything else in a render (bench/sdk-cpu.ts measures both).
//
// Endpoint and signer are resolved once per region; credentials are asked of the
// SDK's provider at every signing, so they refresh as the SDK's own calls would.
import { Agent as HttpAgent, type ClientRequest, type IncomingMessage, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { DecryptCommand, KMSClient, type KMSClientConfig } from '@aws-sdk/client-kms';
import { getEndpointFromInstructions } from '@smithy/core/endpoints';

/** The pinned SDK version, for the user agent (test/unit/aws-client.test.ts keeps it in step with package.json). */
export const sdkVersion = '3.1164.0';

const userAgent = `kmsecret aws-sdk-js/${sdkVersion} ua/2.1 os/${process.platform} lang/js md/nodejs#${process.versions.node} api/kms#${sdkVersion}`;

/** A KMS error answer, or a failure before one, in the fields classify() (aws-kms.ts) reads. */
export class KmsCallError extends Error {
  constructor(
    override readonly name: string,
    message: string,
    readonly $metadata: { httpStatusCode?: number } = {},
    /** The answer said the request's time was off, and the clock offset has been corrected since. */
    readonly clockCorrected = false,
  ) {
    super(message);
  }
}

// The SDK's list: errors KMS gives a request signed at a time too far from its own.
const clockSkewErrors = new Set([
  'AuthFailure',
  'InvalidSignatureException',
  'RequestExpired',
  'RequestInTheFuture',
  'RequestTimeTooSkewed',
  'SignatureDoesNotMatch',
]);
const fiveMinutesMs = 5 * 60 * 1000;
const connectTimeoutMs = 5_000;

interface Signer {
  sign(request: SignableRequest, options: { signingDate: Date; signingRegion: string; signingService: string }): Promise<{ headers: Record<string, string> }>;
}

interface SignableRequest {
  method: string;
  protocol: string;
  hostname: string;
  port?: number;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: string;
}

interface Target {
  url: URL;
  region: string;
  signer: Signer;
  /** Headers the endpoint configuration adds to every request. */
  headers: Record<string, string>;
  /** Keeps connections open between calls; https or http as the endpoint says. */
  agent: HttpAgent;
  send: typeof httpRequest;
}

export class KmsRegionClient {
  readonly #config: KMSClient['config'];
  readonly #maxSockets: number;
  #target: Promise<Target> | undefined;
  /** Server time minus local time, learnt from a KMS answer when this machine's clock is off. */
  #clockOffsetMs = 0;

  /** `region` '' uses the region the environment configures. */
  constructor(region: string, maxSockets: number) {
    const config: KMSClientConfig = { maxAttempts: 1 };
    if (region) config.region = region;
    this.#config = new KMSClient(config).config;
    this.#maxSockets = maxSockets;
  }

  /** Calls KMS operation `op` (Decrypt, Encrypt, …) with `input`; resolves to its JSON answer. */
  async call(op: string, input: Record<string, unknown>, signal: AbortSignal): Promise<Record<string, unknown>> {
    const target = await this.#resolve();
    const body = JSON.stringify(input);
    const { url } = target;
    const unsigned: SignableRequest = {
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      path: url.pathname,
      query: {},
      headers: {
        ...target.headers,
        host: url.host,
        'content-type': 'application/x-amz-json-1.1',
        'content-length': String(Buffer.byteLength(body)),
        'x-amz-target': `TrentService.${op}`,
        'user-agent': userAgent,
        'x-amz-user-agent': `aws-sdk-js/${sdkVersion}`,
      },
      body,
    };
    if (url.port) unsigned.port = Number(url.port);
    const signingDate = new Date(Date.now() + this.#clockOffsetMs);
    const signed = await target.signer.sign(unsigned, {
      signingDate,
      signingRegion: target.region,
      signingService: 'kms',
    });
    const answer = await send(target, signed.headers, body, signal);
    return this.#read(answer, signingDate.getTime());
  }

  #resolve(): Promise<Target> {
    this.#target ??= (async () => {
      const config = this.#config;
      const region = await config.region();
      const endpoint = await getEndpointFromInstructions({}, DecryptCommand, config);
      const headers: Record<string, string> = {};
      for (const [name, values] of Object.entries(endpoint.headers ?? {})) headers[name.toLowerCase()] = values.join(',');
      const signer = (await config.signer()) as unknown as Signer;
      const agentOptions = { keepAlive: true, maxSockets: this.#maxSockets };
      // http: is for a VPC proxy or a local KMS server (the tests'); KMS itself is https.
      return endpoint.url.protocol === 'https:'
        ? { url: endpoint.url, region, signer, headers, agent: new HttpsAgent(agentOptions), send: httpsRequest }
        : { url: endpoint.url, region, signer, headers, agent: new HttpAgent(agentOptions), send: httpRequest };
    })().catch((error: unknown) => {
      // Nothing is kept of a failed resolution: the next call tries again.
      this.#target = undefined;
      throw error;
    });
    return this.#target;
  }

  #read(answer: Answer, signedAtMs: number): Record<string, unknown> {
    const document = parseObject(answer.body);
    if (answer.status >= 200 && answer.status < 300) {
      if (!document) throw new KmsCallError('MalformedAnswer', 'KMS answered with something other than a JSON object', { httpStatusCode: answer.status });
      return document;
    }
    const name = errorName(answer, document);
    const corrected = this.#learnClock(answer, signedAtMs);
    const message = typeof document?.message === 'string' ? document.message : typeof document?.Message === 'string' ? document.Message : '';
    throw new KmsCallError(name, message, { httpStatusCode: answer.status }, corrected && clockSkewErrors.has(name));
  }

  /** Whether the request was signed 5 minutes or more away from the answer's Date; then the
   *  offset is taken from that Date, so the next signing agrees with KMS (as the SDK does it). */
  #learnClock(answer: Answer, signedAtMs: number): boolean {
    const date = answer.headers.date;
    const server = typeof date === 'string' ? Date.parse(date) : Number.NaN;
    if (Number.isNaN(server) || Math.abs(server - signedAtMs) < fiveMinutesMs) return false;
    this.#clockOffsetMs = server - Date.now();
    return true;
  }
}

interface Answer {
  status: number;
  headers: IncomingMessage['headers'];
  body: string;
}

/** One request on the target's agent; resolves to the whole answer, whatever its status. */
function send(target: Target, headers: Record<string, string>, body: string, signal: AbortSignal): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const { url } = target;
    const req: ClientRequest = target.send({
      method: 'POST',
      hostname: url.hostname,
      path: url.pathname,
      headers,
      signal,
      agent: target.agent,
      ...(url.port ? { port: Number(url.port) } : {}),
    });
    req.on('error', reject);
    req.on('socket', (socket) => {
      if (!socket.connecting) return;
      const timer = setTimeout(() => req.destroy(Object.assign(new Error('connection timed out'), { code: 'ETIMEDOUT' })), connectTimeoutMs);
      socket.once('connect', () => clearTimeout(timer));
      socket.once('close', () => clearTimeout(timer));
    });
    req.on('response', (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.end(body);
  });
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The error's short name, as the SDK derives it: x-amzn-errortype, else __type or code, without namespace or URI. */
function errorName(answer: Answer, document: Record<string, unknown> | undefined): string {
  const header = answer.headers['x-amzn-errortype'];
  const raw =
    typeof header === 'string' ? header : typeof document?.__type === 'string' ? document.__type : typeof document?.code === 'string' ? document.code : '';
  const short = (raw.split(':')[0] ?? '').split('#').pop() ?? '';
  return short || `HTTP${answer.status}`;
}
