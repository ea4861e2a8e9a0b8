// One AWS KMS region, called over HTTP in KMS's JSON protocol (awsJson1_1): a POST
// of a small JSON document, signed with SigV4. The SDK's KMSClient supplies what
// is hard to get right and must match every other AWS tool: the region, the
// endpoint (its rules: partitions, FIPS, dual-stack, AWS_ENDPOINT_URL_KMS and
// endpoint_url in the profile), the credential chain and the SigV4 signer. The
// request and its answer are kmsecret's: through the SDK's middleware stack and
// schema serde a Decrypt cost 1.8 ms of CPU, this way 0.75 ms (bench/sdk-cpu.ts,
// README Performance).
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

/** A KMS error answer, or an answer that is not KMS speaking, in the fields classify() (aws-kms.ts)
 *  reads. KMS's own message is not kept: a proxy that echoes the request (an Encrypt holds a data
 *  key) must not reach a log. */
export class KmsCallError extends Error {
  constructor(
    override readonly name: string,
    readonly $metadata: { httpStatusCode?: number } = {},
    /** The clock offset moved by 4 minutes or more with this answer: worth another try. */
    readonly clockCorrected = false,
  ) {
    super(name);
  }
}

// As the SDK samples the clock: an answer's Date (unless it carries Age, i.e. came from a cache)
// gives the offset; a change of 4 minutes or more on an error answer makes the call worth another try.
const skewWorthRetryingMs = 240_000;
const sampleWithinMs = 900_000;
const connectTimeoutMs = 5_000;
/** A KMS answer is a few hundred bytes; anything far larger is not KMS speaking. */
const maxAnswerBytes = 1 << 20;

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
  /** The pipeline turned the clock correction off (AWS_DISABLE_CLOCK_SKEW_CORRECTION, or its profile setting). */
  fixedClock: boolean;
  /** Keeps connections open between calls; https or http as the endpoint says. */
  agent: HttpAgent;
  send: typeof httpRequest;
}

export class KmsRegionClient {
  readonly #config: KMSClient['config'];
  readonly #maxSockets: number;
  #target: Promise<Target> | undefined;
  /** Server time minus local time, from the Date of KMS's last answer (the SDK's systemClockOffset). */
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
      query: Object.fromEntries(url.searchParams),
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
    const offsetBefore = this.#clockOffsetMs;
    const signed = await target.signer.sign(unsigned, {
      signingDate: new Date(target.fixedClock ? Date.now() : Date.now() + offsetBefore),
      signingRegion: target.region,
      signingService: 'kms',
    });
    const sentAt = Date.now();
    const answer = await send(target, signed.headers, body, signal);
    if (!target.fixedClock) this.#sampleClock(answer, sentAt);
    if (answer.status >= 200 && answer.status < 300) {
      const document = parseObject(answer.body);
      if (!document) throw new KmsCallError('MalformedAnswer', { httpStatusCode: answer.status });
      return document;
    }
    const corrected = Math.abs(this.#clockOffsetMs) >= skewWorthRetryingMs && this.#clockOffsetMs !== offsetBefore;
    throw new KmsCallError(errorName(answer), { httpStatusCode: answer.status }, corrected);
  }

  /** The SDK's getUpdatedSystemClockOffset: the answer's Date, unless a cache answered (Age) or
   *  the answer took longer than 15 minutes to come. */
  #sampleClock(answer: Answer, sentAt: number): void {
    const { date, age } = answer.headers;
    if (age !== undefined || typeof date !== 'string') return;
    const server = Date.parse(date);
    const now = Date.now();
    if (Number.isNaN(server) || now - sentAt > sampleWithinMs) return;
    this.#clockOffsetMs = server - now;
  }

  #resolve(): Promise<Target> {
    this.#target ??= (async () => {
      const config = this.#config;
      const region = await config.region();
      const endpoint = await getEndpointFromInstructions({}, DecryptCommand, config);
      const headers: Record<string, string> = {};
      for (const [name, values] of Object.entries(endpoint.headers ?? {})) headers[name.toLowerCase()] = values.join(',');
      const signer = (await config.signer()) as unknown as Signer;
      const fixedClock = (await config.disableClockSkewCorrection()) === true;
      const agentOptions = { keepAlive: true, maxSockets: this.#maxSockets };
      const common = { url: endpoint.url, region, signer, headers, fixedClock };
      // http: is for a VPC proxy or a local KMS server (the tests'); KMS itself is https.
      return endpoint.url.protocol === 'https:'
        ? { ...common, agent: new HttpsAgent(agentOptions), send: httpsRequest }
        : { ...common, agent: new HttpAgent(agentOptions), send: httpRequest };
    })().catch((error: unknown) => {
      // Nothing is kept of a failed resolution: the next call tries again.
      this.#target = undefined;
      throw error;
    });
    return this.#target;
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
      // An IPv6 literal is bracketed in a URL, not in a socket address.
      hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      path: `${url.pathname}${url.search}`,
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
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxAnswerBytes) req.destroy(new KmsCallError('MalformedAnswer', { httpStatusCode: res.statusCode ?? 0 }));
        else chunks.push(chunk);
      });
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

/** The error's short name, as the SDK derives it: x-amzn-errortype, else __type or code, without
 *  namespace or URI; anything but a plain name (it reaches stderr) becomes HTTP<status>. */
function errorName(answer: Answer): string {
  const document = parseObject(answer.body);
  const header = answer.headers['x-amzn-errortype'];
  const raw =
    typeof header === 'string' ? header : typeof document?.__type === 'string' ? document.__type : typeof document?.code === 'string' ? document.code : '';
  const short = (raw.split(':')[0] ?? '').split('#').pop() ?? '';
  return /^[A-Za-z][A-Za-z0-9]{0,63}$/.test(short) ? short : `HTTP${answer.status}`;
}
