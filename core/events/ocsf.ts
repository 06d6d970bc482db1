import { isIP } from 'node:net';
import type { TrafficEvent } from './traffic.ts';

/**
 * Egress decisions as OCSF 1.x events (upstream's export shape, shared/reference §7): Network Activity
 * (4001) for connection decisions, HTTP Activity (4002) for per-request (L7) decisions.
 */
export const OCSF_VERSION = '1.8.0';
export const PRODUCT = { name: 'OpenShell Sandbox Supervisor', vendor_name: 'openshell', version: '0.1.0' } as const;

const SEVERITY = { 1: 'Informational', 2: 'Low', 3: 'Medium' } as const;
type SeverityId = keyof typeof SEVERITY;

/** OCSF HTTP Activity activity ids; anything else is 99 Other. */
const HTTP_ACTIVITY: Record<string, [number, string]> = {
  CONNECT: [1, 'Connect'],
  DELETE: [2, 'Delete'],
  GET: [3, 'Get'],
  HEAD: [4, 'Head'],
  OPTIONS: [5, 'Options'],
  POST: [6, 'Post'],
  PUT: [7, 'Put'],
  TRACE: [8, 'Trace'],
};

export interface OcsfEvent {
  readonly class_uid: 4001 | 4002;
  readonly class_name: string;
  readonly category_uid: 4;
  readonly category_name: 'Network Activity';
  readonly activity_id: number;
  readonly activity_name: string;
  readonly type_uid: number;
  readonly type_name: string;
  readonly severity_id: SeverityId;
  readonly severity: string;
  readonly action_id: 1 | 2;
  readonly action: 'Allowed' | 'Denied';
  readonly disposition_id: 1 | 2 | 17;
  readonly disposition: 'Allowed' | 'Blocked' | 'Logged';
  readonly status_id: 1 | 2;
  readonly status: 'Success' | 'Failure';
  readonly status_detail?: string;
  readonly time: number;
  readonly message: string;
  readonly metadata: { readonly version: string; readonly product: typeof PRODUCT; readonly uid: string };
  readonly src_endpoint: { readonly name: string };
  readonly dst_endpoint: { readonly domain?: string; readonly ip?: string; readonly port: number };
  readonly actor: { readonly process: OcsfProcess };
  readonly firewall_rule: { readonly name: string; readonly type: string; readonly desc: string };
  readonly connection_info: { readonly protocol_name: 'tcp'; readonly direction_id: 2; readonly direction: 'Outbound' };
  readonly http_request?: { readonly http_method: string; readonly url: OcsfUrl };
  /** L7: the status the agent got, and how long the upstream took to answer (ms). */
  readonly http_response?: { readonly code: number; readonly latency?: number };
  readonly traffic?: { readonly bytes_in?: number; readonly bytes_out?: number };
  readonly duration?: number;
  readonly unmapped: Readonly<Record<string, unknown>>;
}

interface OcsfProcess {
  readonly name: string;
  readonly pid?: number;
  readonly file: { readonly path: string; readonly name: string };
  readonly cmd_line?: string;
  readonly parent_process?: { readonly file: { readonly path: string } };
}

interface OcsfUrl {
  readonly scheme: string;
  readonly hostname: string;
  readonly port: number;
  readonly path: string;
  readonly url_string: string;
}

const basename = (p: string): string => p.slice(p.lastIndexOf('/') + 1);

function endpoint(e: TrafficEvent): OcsfEvent['dst_endpoint'] {
  if (isIP(e.host)) return { ip: e.host, port: e.port };
  return { domain: e.host, ...(e.ip ? { ip: e.ip } : {}), port: e.port };
}

function url(e: TrafficEvent): OcsfUrl {
  const scheme = e.port === 80 ? 'http' : 'https';
  const path = e.path ?? '/';
  const port = e.port === 80 || e.port === 443 ? '' : `:${e.port}`;
  return { scheme, hostname: e.host, port: e.port, path, url_string: `${scheme}://${e.host}${port}${path}` };
}

/** One decision as one OCSF event. An audit-mode deny was logged and let through: action Allowed, disposition Logged. */
export function toOcsf(e: TrafficEvent): OcsfEvent {
  const http = e.layer !== 'l4' && e.method !== undefined;
  const audit = e.action === 'deny' && e.enforcement === 'audit';
  const allowed = e.action === 'allow' || audit;
  const [activity_id, activity_name] = http ? (HTTP_ACTIVITY[e.method.toUpperCase()] ?? [99, 'Other']) : [1, 'Open'];
  const class_uid = http ? 4002 : 4001;
  const class_name = http ? 'HTTP Activity' : 'Network Activity';
  const severity_id: SeverityId = e.action === 'allow' ? 1 : audit ? 2 : 3;
  const verb = e.action === 'allow' ? 'allowed' : audit ? 'denied (audit, let through)' : 'denied';
  const message = http ? `${e.method} ${url(e).url_string} ${verb}` : `CONNECT ${verb} ${e.host}:${e.port}`;
  const binary = e.binary || '-';
  return {
    class_uid,
    class_name,
    category_uid: 4,
    category_name: 'Network Activity',
    activity_id,
    activity_name,
    type_uid: class_uid * 100 + activity_id,
    type_name: `${class_name}: ${activity_name}`,
    severity_id,
    severity: SEVERITY[severity_id],
    action_id: allowed ? 1 : 2,
    action: allowed ? 'Allowed' : 'Denied',
    disposition_id: e.action === 'allow' ? 1 : audit ? 17 : 2,
    disposition: e.action === 'allow' ? 'Allowed' : audit ? 'Logged' : 'Blocked',
    status_id: e.action === 'allow' ? 1 : 2,
    status: e.action === 'allow' ? 'Success' : 'Failure',
    ...(e.action === 'deny' ? { status_detail: e.reason } : {}),
    time: Date.parse(e.time),
    message,
    metadata: { version: OCSF_VERSION, product: PRODUCT, uid: `${e.sandbox}:${e.seq}` },
    src_endpoint: { name: e.sandbox },
    dst_endpoint: endpoint(e),
    actor: {
      process: {
        name: basename(binary),
        ...(e.pid === undefined ? {} : { pid: e.pid }),
        file: { path: binary, name: basename(binary) },
        ...(e.cmdline?.length ? { cmd_line: e.cmdline.join(' ') } : {}),
        ...(e.ancestors?.[0] ? { parent_process: { file: { path: e.ancestors[0] } } } : {}),
      },
    },
    firewall_rule: { name: e.rule ?? '-', type: e.error === 'ssrf_denied' ? 'ssrf' : 'policy', desc: e.reason },
    connection_info: { protocol_name: 'tcp', direction_id: 2, direction: 'Outbound' },
    ...(http ? { http_request: { http_method: e.method.toUpperCase(), url: url(e) } } : {}),
    ...(http && e.status ? { http_response: { code: e.status, ...(e.upstreamMs === undefined ? {} : { latency: e.upstreamMs }) } } : {}),
    ...(e.bytesIn !== undefined || e.bytesOut !== undefined
      ? { traffic: { ...(e.bytesIn === undefined ? {} : { bytes_in: e.bytesIn }), ...(e.bytesOut === undefined ? {} : { bytes_out: e.bytesOut }) } }
      : {}),
    ...(e.durationMs === undefined ? {} : { duration: e.durationMs }),
    unmapped: {
      seq: e.seq,
      layer: e.layer,
      ...(e.policyVersion === undefined ? {} : { policy_version: e.policyVersion }),
      ...(e.enforcement === undefined ? {} : { enforcement: e.enforcement }),
      ...(e.ruleMissing ? { rule_missing: e.ruleMissing } : {}),
      ...(e.l7Rule ? { l7_rule: e.l7Rule } : {}),
    },
  };
}
