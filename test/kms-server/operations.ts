/**
 * Key store and the KMS operations (AWS JSON 1.1 bodies in, bodies out).
 * Everything HTTP- and fault-related lives in server.ts; this file only knows
 * KMS semantics, so it can be read against the KMS API reference.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { BlobError, KEY_MATERIAL_BYTES, openBlob, parseBlob, sealBlob, type EncryptionContext, type ParsedBlob } from './crypto.js';

export type JsonBody = Record<string, unknown>;

/** A KMS error as it goes on the wire: `__type` name, message, HTTP status. */
export class KmsError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = type;
  }
}

export interface PolicyRequest {
  op: string;
  keyArn: string;
  encryptionContext: Record<string, string>;
  principal: string;
}

export interface KmsKey {
  id: string;
  arn: string;
  material: Buffer;
  enabled: boolean;
  description: string;
  createdAt: Date;
}

const SYMMETRIC_DEFAULT = 'SYMMETRIC_DEFAULT';
const MAX_PLAINTEXT_BYTES = 4096;
const MAX_DATA_KEY_BYTES = 1024;
const DATA_KEY_SPECS: Record<string, number> = { AES_256: 32, AES_128: 16 };

export class KeyStore {
  private readonly keys = new Map<string, KmsKey>();
  /** alias name ("alias/x") -> key id */
  private readonly aliases = new Map<string, string>();

  constructor(
    readonly region: string,
    readonly account: string,
  ) {}

  /** `id` and `material` make a known key (like KMS's imported key material), so that
   *  committed example tokens decrypt against a fresh server. */
  createKey(description = '', id: string = randomUUID(), material: Buffer = randomBytes(KEY_MATERIAL_BYTES)): KmsKey {
    const key: KmsKey = {
      id,
      arn: `arn:aws:kms:${this.region}:${this.account}:key/${id}`,
      material,
      enabled: true,
      description,
      createdAt: new Date(),
    };
    this.keys.set(id, key);
    return key;
  }

  createAlias(aliasName: string, target: KmsKey): void {
    if (!/^alias\/[a-zA-Z0-9/_-]{1,250}$/.test(aliasName)) {
      throw new KmsError('ValidationException', `Alias name ${aliasName} must begin with 'alias/' and contain only [a-zA-Z0-9/_-].`);
    }
    if (aliasName.startsWith('alias/aws/')) {
      throw new KmsError('NotAuthorizedException', `Cannot create alias with prefix 'alias/aws/'`);
    }
    if (this.aliases.has(aliasName)) {
      throw new KmsError('AlreadyExistsException', `An alias with the name ${this.aliasArn(aliasName)} already exists`);
    }
    this.aliases.set(aliasName, target.id);
  }

  aliasArn(aliasName: string): string {
    return `arn:aws:kms:${this.region}:${this.account}:${aliasName}`;
  }

  listAliases(): Array<{ aliasName: string; key: KmsKey }> {
    const out: Array<{ aliasName: string; key: KmsKey }> = [];
    for (const [aliasName, keyId] of this.aliases) {
      const key = this.keys.get(keyId);
      if (key) out.push({ aliasName, key });
    }
    return out;
  }

  byId(id: string): KmsKey | undefined {
    return this.keys.get(id);
  }

  /**
   * Resolve a key id, key ARN, alias name or alias ARN. KMS answers
   * NotFoundException both for unknown keys and for identifiers it cannot parse.
   * Some operations (EnableKey, CreateAlias's target, ...) accept only key ids
   * and key ARNs, hence `allowAlias`.
   */
  resolve(identifier: string, allowAlias = true): KmsKey {
    let rest = identifier;
    if (identifier.startsWith('arn:')) {
      const parts = identifier.split(':');
      if (parts.length !== 6 || parts[2] !== 'kms' || parts[3] !== this.region || parts[4] !== this.account) {
        throw new KmsError('NotFoundException', `Invalid arn ${identifier}`);
      }
      rest = parts[5] ?? '';
      if (rest.startsWith('key/')) rest = rest.slice('key/'.length);
      else if (!rest.startsWith('alias/')) throw new KmsError('NotFoundException', `Invalid arn ${identifier}`);
    }
    if (rest.startsWith('alias/')) {
      const keyId = allowAlias ? this.aliases.get(rest) : undefined;
      const key = keyId === undefined ? undefined : this.keys.get(keyId);
      if (!key) throw new KmsError('NotFoundException', `Alias ${this.aliasArn(rest)} is not found.`);
      return key;
    }
    const key = this.keys.get(rest);
    if (!key) {
      throw new KmsError('NotFoundException', `Key 'arn:aws:kms:${this.region}:${this.account}:key/${rest}' does not exist`);
    }
    return key;
  }

  /** Like resolve, but never throws; used to label recorded calls. */
  tryResolve(identifier: string | undefined): KmsKey | undefined {
    if (identifier === undefined) return undefined;
    try {
      return this.resolve(identifier);
    } catch {
      return undefined;
    }
  }
}

/** What a handler needs besides the body: who is asking, and the policy hook. */
export interface OperationContext {
  store: KeyStore;
  principal: string;
  policy: ((req: PolicyRequest) => boolean) | undefined;
}

export type Operation = (body: JsonBody, ctx: OperationContext) => JsonBody;

// ---------------------------------------------------------------------------
// Input readers: they throw the errors KMS throws for bad input.

function validation(message: string): KmsError {
  return new KmsError('ValidationException', message);
}

function optString(body: JsonBody, name: string): string | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new KmsError('SerializationException', `${name} must be a string`);
  return value;
}

function reqString(body: JsonBody, name: string): string {
  const value = optString(body, name);
  if (value === undefined || value === '') {
    throw validation(`1 validation error detected: Value at '${lowerFirst(name)}' failed to satisfy constraint: Member must not be null`);
  }
  return value;
}

function optInt(body: JsonBody, name: string): number | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new KmsError('SerializationException', `${name} must be an integer`);
  }
  return value;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function reqBlob(body: JsonBody, name: string, min: number, max: number): Buffer {
  const value = optString(body, name);
  if (value === undefined)
    throw validation(`1 validation error detected: Value at '${lowerFirst(name)}' failed to satisfy constraint: Member must not be null`);
  if (!BASE64.test(value)) throw new KmsError('SerializationException', `${name} is not valid base64`);
  const bytes = Buffer.from(value, 'base64');
  if (bytes.length < min || bytes.length > max) {
    throw validation(
      `1 validation error detected: Value at '${lowerFirst(name)}' failed to satisfy constraint: Member must have length between ${min} and ${max}`,
    );
  }
  return bytes;
}

function optContext(body: JsonBody, name: string): EncryptionContext {
  const value = body[name];
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new KmsError('SerializationException', `${name} must be a map of strings`);
  }
  const out: EncryptionContext = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw new KmsError('SerializationException', `${name} values must be strings`);
    out[k] = v;
  }
  return out;
}

function checkAlgorithm(body: JsonBody, name: string): void {
  const algorithm = optString(body, name);
  if (algorithm !== undefined && algorithm !== SYMMETRIC_DEFAULT) {
    throw new KmsError('InvalidKeyUsageException', `${algorithm} is not supported for a symmetric key`);
  }
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

// ---------------------------------------------------------------------------
// Checks shared by the cryptographic operations.

/** Consult the policy hook; the message follows the shape of KMS's own denial. */
function authorize(ctx: OperationContext, action: string, key: KmsKey, context: EncryptionContext): void {
  const allowed = ctx.policy?.({ op: action, keyArn: key.arn, encryptionContext: { ...context }, principal: ctx.principal }) ?? true;
  if (!allowed) {
    throw new KmsError(
      'AccessDeniedException',
      `User: ${ctx.principal} is not authorized to perform: kms:${action} on resource: ${key.arn} ` +
        `because no resource-based policy allows the kms:${action} action`,
    );
  }
}

function requireEnabled(key: KmsKey): void {
  if (!key.enabled) throw new KmsError('DisabledException', `${key.arn} is disabled.`);
}

function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

function parseOrInvalid(blob: Buffer): ParsedBlob {
  try {
    return parseBlob(blob);
  } catch (err) {
    if (err instanceof BlobError) throw new KmsError('InvalidCiphertextException', '');
    throw err;
  }
}

/**
 * Shared by Decrypt and ReEncrypt: find the key that sealed the blob, check a
 * caller-supplied key id against it, authorize, then authenticate and decrypt.
 */
function unseal(
  ctx: OperationContext,
  action: string,
  blob: Buffer,
  claimedKeyId: string | undefined,
  context: EncryptionContext,
): { key: KmsKey; plaintext: Buffer } {
  const parsed = parseOrInvalid(blob);
  const key = ctx.store.byId(parsed.keyId);
  if (!key) throw new KmsError('NotFoundException', `Key 'arn:aws:kms:${ctx.store.region}:${ctx.store.account}:key/${parsed.keyId}' does not exist`);
  if (claimedKeyId !== undefined && ctx.store.resolve(claimedKeyId).id !== key.id) {
    throw new KmsError('IncorrectKeyException', 'The key ID in the request does not identify a CMK that can perform this operation.');
  }
  authorize(ctx, action, key, context);
  requireEnabled(key);
  try {
    return { key, plaintext: openBlob(parsed, key.material, context) };
  } catch (err) {
    if (err instanceof BlobError) throw new KmsError('InvalidCiphertextException', '');
    throw err;
  }
}

function keyMetadata(store: KeyStore, key: KmsKey): JsonBody {
  return {
    AWSAccountId: store.account,
    KeyId: key.id,
    Arn: key.arn,
    // AWS JSON 1.1 sends timestamps as epoch seconds.
    CreationDate: key.createdAt.getTime() / 1000,
    Enabled: key.enabled,
    Description: key.description,
    KeyUsage: 'ENCRYPT_DECRYPT',
    KeyState: key.enabled ? 'Enabled' : 'Disabled',
    Origin: 'AWS_KMS',
    KeyManager: 'CUSTOMER',
    CustomerMasterKeySpec: SYMMETRIC_DEFAULT,
    KeySpec: SYMMETRIC_DEFAULT,
    EncryptionAlgorithms: [SYMMETRIC_DEFAULT],
    MultiRegion: false,
  };
}

// ---------------------------------------------------------------------------
// Operations.

const createKey: Operation = (body, { store }) => {
  const keySpec = optString(body, 'KeySpec') ?? optString(body, 'CustomerMasterKeySpec') ?? SYMMETRIC_DEFAULT;
  const keyUsage = optString(body, 'KeyUsage') ?? 'ENCRYPT_DECRYPT';
  if (keySpec !== SYMMETRIC_DEFAULT || keyUsage !== 'ENCRYPT_DECRYPT') {
    throw new KmsError('UnsupportedOperationException', 'This test server only supports SYMMETRIC_DEFAULT ENCRYPT_DECRYPT keys');
  }
  const key = store.createKey(optString(body, 'Description') ?? '');
  return { KeyMetadata: keyMetadata(store, key) };
};

const createAlias: Operation = (body, { store }) => {
  const aliasName = reqString(body, 'AliasName');
  const target = store.resolve(reqString(body, 'TargetKeyId'), false);
  store.createAlias(aliasName, target);
  return {};
};

const describeKey: Operation = (body, { store }) => ({
  KeyMetadata: keyMetadata(store, store.resolve(reqString(body, 'KeyId'))),
});

const listAliases: Operation = (body, { store }) => {
  const filter = optString(body, 'KeyId');
  const only = filter === undefined ? undefined : store.resolve(filter, false);
  const aliases = store
    .listAliases()
    .filter(({ key }) => only === undefined || key.id === only.id)
    .map(({ aliasName, key }) => ({ AliasName: aliasName, AliasArn: store.aliasArn(aliasName), TargetKeyId: key.id }));
  return { Aliases: aliases, Truncated: false };
};

function setEnabled(enabled: boolean): Operation {
  return (body, { store }) => {
    store.resolve(reqString(body, 'KeyId'), false).enabled = enabled;
    return {};
  };
}

const encrypt: Operation = (body, ctx) => {
  const key = ctx.store.resolve(reqString(body, 'KeyId'));
  const plaintext = reqBlob(body, 'Plaintext', 1, MAX_PLAINTEXT_BYTES);
  const context = optContext(body, 'EncryptionContext');
  checkAlgorithm(body, 'EncryptionAlgorithm');
  authorize(ctx, 'Encrypt', key, context);
  requireEnabled(key);
  return {
    CiphertextBlob: b64(sealBlob(key.id, key.material, plaintext, context)),
    KeyId: key.arn,
    EncryptionAlgorithm: SYMMETRIC_DEFAULT,
  };
};

const decrypt: Operation = (body, ctx) => {
  const blob = reqBlob(body, 'CiphertextBlob', 1, 6144);
  checkAlgorithm(body, 'EncryptionAlgorithm');
  const { key, plaintext } = unseal(ctx, 'Decrypt', blob, optString(body, 'KeyId'), optContext(body, 'EncryptionContext'));
  return { Plaintext: b64(plaintext), KeyId: key.arn, EncryptionAlgorithm: SYMMETRIC_DEFAULT };
};

function dataKeyLength(body: JsonBody): number {
  const keySpec = optString(body, 'KeySpec');
  const numberOfBytes = optInt(body, 'NumberOfBytes');
  if ((keySpec === undefined) === (numberOfBytes === undefined)) {
    throw validation('Please specify either number of bytes or key spec.');
  }
  if (keySpec !== undefined) {
    const length = DATA_KEY_SPECS[keySpec];
    if (length === undefined) {
      throw validation(
        `1 validation error detected: Value '${keySpec}' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: [AES_256, AES_128]`,
      );
    }
    return length;
  }
  const n = numberOfBytes ?? 0;
  if (n < 1 || n > MAX_DATA_KEY_BYTES) {
    throw validation(
      `1 validation error detected: Value '${n}' at 'numberOfBytes' failed to satisfy constraint: Member must have value between 1 and ${MAX_DATA_KEY_BYTES}`,
    );
  }
  return n;
}

const generateDataKey: Operation = (body, ctx) => {
  const key = ctx.store.resolve(reqString(body, 'KeyId'));
  const length = dataKeyLength(body);
  const context = optContext(body, 'EncryptionContext');
  authorize(ctx, 'GenerateDataKey', key, context);
  requireEnabled(key);
  const plaintext = randomBytes(length);
  return {
    Plaintext: b64(plaintext),
    CiphertextBlob: b64(sealBlob(key.id, key.material, plaintext, context)),
    KeyId: key.arn,
  };
};

/**
 * ReEncrypt decrypts and re-encrypts inside KMS. AWS authorizes it with the
 * kms:ReEncryptFrom (source key) and kms:ReEncryptTo (destination key)
 * permissions, not kms:Decrypt, so those are the actions the policy hook sees.
 */
const reEncrypt: Operation = (body, ctx) => {
  const blob = reqBlob(body, 'CiphertextBlob', 1, 6144);
  const destination = ctx.store.resolve(reqString(body, 'DestinationKeyId'));
  const destinationContext = optContext(body, 'DestinationEncryptionContext');
  checkAlgorithm(body, 'SourceEncryptionAlgorithm');
  checkAlgorithm(body, 'DestinationEncryptionAlgorithm');
  const source = unseal(ctx, 'ReEncryptFrom', blob, optString(body, 'SourceKeyId'), optContext(body, 'SourceEncryptionContext'));
  authorize(ctx, 'ReEncryptTo', destination, destinationContext);
  requireEnabled(destination);
  return {
    CiphertextBlob: b64(sealBlob(destination.id, destination.material, source.plaintext, destinationContext)),
    SourceKeyId: source.key.arn,
    KeyId: destination.arn,
    SourceEncryptionAlgorithm: SYMMETRIC_DEFAULT,
    DestinationEncryptionAlgorithm: SYMMETRIC_DEFAULT,
  };
};

export const operations: Readonly<Record<string, Operation>> = {
  CreateKey: createKey,
  CreateAlias: createAlias,
  DescribeKey: describeKey,
  ListAliases: listAliases,
  DisableKey: setEnabled(false),
  EnableKey: setEnabled(true),
  Encrypt: encrypt,
  Decrypt: decrypt,
  GenerateDataKey: generateDataKey,
  ReEncrypt: reEncrypt,
};

export interface RequestSummary {
  keyId?: string;
  keyArn?: string;
  encryptionContext?: EncryptionContext;
  sourceKeyArn?: string;
  sourceEncryptionContext?: EncryptionContext;
}

/**
 * The key and context a request is about, for the call log. Read before any
 * fault is applied, so it never throws and resolves identifiers best-effort.
 * For ReEncrypt the "key" is the destination and the source is kept apart.
 */
export function describeRequest(op: string, body: JsonBody, store: KeyStore): RequestSummary {
  const str = (name: string): string | undefined => {
    const value = body[name];
    return typeof value === 'string' ? value : undefined;
  };
  const context = (name: string): EncryptionContext | undefined => {
    try {
      return body[name] === undefined ? undefined : optContext(body, name);
    } catch {
      return undefined;
    }
  };
  if (op === 'ReEncrypt') {
    const keyId = str('DestinationKeyId');
    return {
      keyId,
      keyArn: store.tryResolve(keyId)?.arn,
      encryptionContext: context('DestinationEncryptionContext'),
      sourceKeyArn: blobKeyArn(str('CiphertextBlob'), store),
      sourceEncryptionContext: context('SourceEncryptionContext'),
    };
  }
  const keyId = op === 'CreateAlias' ? str('TargetKeyId') : str('KeyId');
  let keyArn = store.tryResolve(keyId)?.arn;
  if (keyArn === undefined && op === 'Decrypt') keyArn = blobKeyArn(str('CiphertextBlob'), store);
  return { keyId, keyArn, encryptionContext: context('EncryptionContext') };
}

/** The ARN of the key a blob was sealed with, if the blob parses and the key exists. */
function blobKeyArn(base64: string | undefined, store: KeyStore): string | undefined {
  if (base64 === undefined) return undefined;
  try {
    return store.byId(parseBlob(Buffer.from(base64, 'base64')).keyId)?.arn;
  } catch {
    return undefined;
  }
}
