import { UsageError } from '../errors.ts';
import type { Endpoint, L7Rule } from './schema.ts';

/** The compact `policy update` flag forms, parsed into policy objects. */

export interface EndpointRef {
  readonly host: string;
  readonly port: number;
}

/** Upstream's generated rule name: `allow_<host_with_underscores>_<port>`. */
export function ruleNameFor(host: string, port: number): string {
  return `allow_${host.toLowerCase().replace(/[^a-z0-9]/g, '_')}_${port}`;
}

function splitHostPort(spec: string, flag: string): { host: string; port: number; rest: string[] } {
  let host: string;
  let tail: string;
  if (spec.startsWith('[')) {
    const end = spec.indexOf(']');
    host = spec.slice(1, end);
    tail = spec.slice(end + 2);
  } else {
    const i = spec.indexOf(':');
    host = i < 0 ? spec : spec.slice(0, i);
    tail = i < 0 ? '' : spec.slice(i + 1);
  }
  const [portText = '', ...rest] = tail.split(':');
  const port = Number(portText);
  if (!host || !/^\d+$/.test(portText) || port < 1 || port > 65535)
    throw new UsageError(`\`${flag} ${spec}\`: expected host:port`, `e.g. \`${flag} api.github.com:443\``);
  return { host, port, rest };
}

export function parseEndpointRef(spec: string, flag = '--remove-endpoint'): EndpointRef {
  const { host, port } = splitHostPort(spec, flag);
  return { host, port };
}

/** `host:port[:access[:protocol[:enforcement[:opt,opt=value…]]]]` */
export function parseEndpointSpec(spec: string): Endpoint {
  const { host, port, rest } = splitHostPort(spec, '--add-endpoint');
  const [access, protocol, enforcement, opts] = rest;
  const ep: Endpoint = { host, port };
  if (access) {
    if (!['read-only', 'read-write', 'full'].includes(access))
      throw new UsageError(`unknown access \`${access}\``, 'use read-only, read-write or full');
    ep.access = access as Endpoint['access'];
    ep.protocol = 'rest';
  }
  if (protocol) ep.protocol = protocol as Endpoint['protocol'];
  if (enforcement) ep.enforcement = enforcement as Endpoint['enforcement'];
  for (const opt of (opts ?? '').split(',').filter(Boolean)) {
    const [k, v] = opt.split('=');
    if (k === 'allowed-ip' && v) ep.allowed_ips = [...(ep.allowed_ips ?? []), v];
    else if (k === 'websocket-credential-rewrite') ep.websocket_credential_rewrite = true;
    else if (k === 'request-body-credential-rewrite') ep.request_body_credential_rewrite = true;
    else if (k === 'allow-uninspected-credentials') ep.allow_uninspected_credentials = true;
    else throw new UsageError(`unknown endpoint option \`${opt}\``, 'options: allowed-ip=CIDR, websocket-credential-rewrite, request-body-credential-rewrite, allow-uninspected-credentials');
  }
  return ep;
}

/** `host:port:METHOD:glob` for `--add-allow` / `--add-deny`. */
export function parseRuleSpec(spec: string, flag = '--add-allow'): { ref: EndpointRef; rule: L7Rule } {
  const { host, port, rest } = splitHostPort(spec, flag);
  const [method, ...pathParts] = rest;
  const path = pathParts.join(':');
  if (!method || !path) throw new UsageError(`\`${flag} ${spec}\`: expected host:port:METHOD:path`, `e.g. \`${flag} api.github.com:443:GET:/repos/**\``);
  return { ref: { host, port }, rule: { method: method.toUpperCase(), path } };
}
