import { createHash } from 'node:crypto';
import { UsageError } from '../errors.ts';
import type { ProviderDelivery } from './providers-deliver.ts';

/**
 * Providers: named credential bundles stored on the gateway. A sandbox bound to one gets placeholders in
 * its environment; its supervisor swaps them for the secrets only on requests to the declared hosts.
 * Everything a client may see (`ProviderView`) carries key names, hosts and fingerprints, never values.
 */

export const PROVIDER_TYPES = ['openai', 'anthropic', 'github', 'generic'] as const;
export type ProviderType = (typeof PROVIDER_TYPES)[number];

/** Where each type's credentials may be sent unless `--host` says otherwise. */
export const DEFAULT_HOSTS: Readonly<Record<ProviderType, readonly string[]>> = {
  openai: ['api.openai.com'],
  anthropic: ['api.anthropic.com'],
  github: ['api.github.com', 'github.com'],
  generic: [],
};

/** What `createProvider` takes (plain JSON, so it travels over the served gateway unchanged). */
export interface ProviderInput {
  readonly name: string;
  readonly type: ProviderType;
  /** KEY → secret value. */
  readonly credentials: Readonly<Record<string, string>>;
  /** Replaces the type's default hosts; required for `generic`. `HOST`, `HOST:PORT` or `*.DOMAIN`. */
  readonly hosts?: readonly string[];
  /** Overwrite an existing provider of that name. */
  readonly replace?: boolean;
}

/** The stored record, secrets included: never leaves the gateway core except into a supervisor's state volume. */
export interface ProviderRecord {
  readonly name: string;
  readonly type: ProviderType;
  readonly credentials: Readonly<Record<string, string>>;
  readonly hosts: readonly string[];
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** What clients see. */
export interface ProviderView {
  readonly name: string;
  readonly type: ProviderType;
  readonly keys: readonly string[];
  readonly hosts: readonly string[];
  /** KEY → `sha256:<12 hex>…` of the value, to tell two values apart without showing either. */
  readonly fingerprints: Readonly<Record<string, string>>;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** After `--replace`: the sandboxes bound to it that got the new values (providers-deliver.ts). */
  readonly sandboxes?: ProviderDelivery;
}

export function fingerprint(value: string): string {
  return `sha256:${createHash('sha256').update(value).digest('hex').slice(0, 12)}…`;
}

export function toView(r: ProviderRecord): ProviderView {
  const keys = Object.keys(r.credentials).sort();
  return {
    name: r.name,
    type: r.type,
    keys,
    hosts: [...r.hosts],
    fingerprints: Object.fromEntries(keys.map((k) => [k, fingerprint(r.credentials[k]!)])),
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}

export function validateProviderName(name: string): string {
  if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(name)) {
    throw new UsageError(`invalid provider name \`${name}\``, 'use lower-case letters, digits and dashes (at most 63), e.g. `github-work`');
  }
  return name;
}

/** Variables openshell sets itself in the agent; a credential may not shadow them. */
const RESERVED_KEYS = /^(OPENSHELL_.*|HOME|(HTTPS?|ALL|NO)_PROXY|(https?|all|no)_proxy)$/;

function validateKey(key: string): void {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,127}$/.test(key)) {
    throw new UsageError(`invalid credential key \`${key}\``, 'a key is an environment variable name: letters, digits and _, not starting with a digit');
  }
  if (RESERVED_KEYS.test(key)) throw new UsageError(`credential key \`${key}\` is reserved by openshell`, 'pick another variable name');
}

// The key is named, never the value, in every message below.
function validateValue(key: string, value: string): void {
  if (value === '') throw new UsageError(`credential \`${key}\` is empty`, `set it in your environment or pass --credential ${key}=VALUE`);
  if (Buffer.byteLength(value) > 8192) throw new UsageError(`credential \`${key}\` is longer than 8 KiB`);
  // It is sent in HTTP header and query values, where control characters (but tab) cannot travel.
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x08\x0a-\x1f\x7f]/.test(value)) {
    throw new UsageError(`credential \`${key}\` contains a line break or another control character, which cannot be sent in a header`);
  }
}

const HOST_RE = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** `HOST`, `HOST:PORT` or `*.DOMAIN[:PORT]`, lower-cased. */
export function normalizeHost(value: string): string {
  const v = value.trim().toLowerCase().replace(/\.$/, '');
  const m = /^(.+?)(?::(\d{1,5}))?$/.exec(v);
  const host = m?.[1] ?? '';
  const port = m?.[2] === undefined ? undefined : Number(m[2]);
  const ok = HOST_RE.test(host) && !/^\*\.[a-z0-9-]+$/.test(host) && (port === undefined || (port >= 1 && port <= 65535));
  if (!ok) throw new UsageError(`invalid --host \`${value}\``, 'use a host name such as api.example.com, api.example.com:8443 or *.example.com');
  return port === undefined ? host : `${host}:${port}`;
}

/** A checked record from `input`; `now` and the previous `createdAt` come from the caller. */
export function recordFrom(input: ProviderInput, now: string, createdAt = now): ProviderRecord {
  const name = validateProviderName(input.name);
  if (!(PROVIDER_TYPES as readonly string[]).includes(input.type)) {
    throw new UsageError(`unknown provider type \`${String(input.type)}\``, `use one of: ${PROVIDER_TYPES.join(', ')}`);
  }
  const entries = Object.entries(input.credentials);
  if (entries.length === 0) throw new UsageError('a provider needs at least one --credential KEY[=VALUE]');
  for (const [k, v] of entries) {
    validateKey(k);
    validateValue(k, v);
  }
  const given = input.hosts ?? [];
  const hosts = [...new Set((given.length > 0 ? given : DEFAULT_HOSTS[input.type]).map(normalizeHost))];
  if (hosts.length === 0) {
    throw new UsageError(`a ${input.type} provider needs --host`, 'name each host the credential may be sent to, e.g. --host api.example.com');
  }
  return { name, type: input.type, credentials: Object.fromEntries(entries), hosts, createdAt, updatedAt: now };
}
