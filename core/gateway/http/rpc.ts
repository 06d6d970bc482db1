import type { IncomingMessage, ServerResponse } from 'node:http';
import { NotFoundError, UsageError } from '../../errors.ts';
import type { Gateway } from '../types.ts';
import { NDJSON_TYPE, readJson, sendError, sendJson } from './respond.ts';
import { toWire } from './wire.ts';

/** How one non-streaming Gateway method travels as `POST /api/v1/<method>` with `{"args": [...]}`. */
export interface RpcSpec {
  /** Index of the options argument whose `progress` callback is streamed back as NDJSON lines. */
  readonly progressArg?: number;
  /** Refused to every client with this error (the server's operator does it on the server). */
  readonly refused?: { readonly message: string; readonly hint: string };
}

/** The Gateway methods that return promises of JSON. */
type JsonMethod = { [K in keyof Gateway]: Gateway[K] extends (...args: never[]) => Promise<unknown> ? K : never }[keyof Gateway];

/**
 * The table of JSON methods. Adding a Gateway method whose arguments and result are JSON takes one
 * line here (`myMethod: {},`) and one in HttpGateway (`readonly myMethod = this.call('myMethod');`).
 */
export const RPC = {
  start: { progressArg: 0 },
  status: {},
  stop: {},
  destroy: {
    refused: {
      message: 'a served gateway cannot be destroyed by a client',
      hint: 'run `openshell gateway destroy` on the gateway host itself; `gateway stop` stops every sandbox from here',
    },
  },
  createSandbox: { progressArg: 1 },
  listSandboxes: {},
  getSandbox: {},
  deleteSandbox: {},
  stopSandbox: {},
  startSandbox: {},
  listPolicyRevisions: {},
  getPolicy: {},
  setPolicy: {},
  rollbackPolicy: {},
  createProvider: {},
  listProviders: {},
  getProvider: {},
  deleteProvider: {},
  getInference: {},
  updateInference: {},
  explainInference: {},
} as const satisfies { readonly [K in JsonMethod]?: RpcSpec };

export type RpcMethod = keyof typeof RPC;

export const RPC_PREFIX = '/api/v1/';

export function specOf(method: string): RpcSpec | undefined {
  return Object.hasOwn(RPC, method) ? (RPC as Record<string, RpcSpec>)[method] : undefined;
}

/** Arguments as sent: the progress callback (a function) cannot travel and is dropped. */
export function wireArgs(spec: RpcSpec, args: readonly unknown[]): { args: unknown[]; progress?: (m: string) => void } {
  const out = [...args];
  // Trailing undefined arguments become JSON nulls otherwise, which a method's defaults would not replace.
  while (out.length > 0 && out[out.length - 1] === undefined) out.pop();
  if (spec.progressArg === undefined) return { args: out };
  const opts = out[spec.progressArg] as { progress?: (m: string) => void } | undefined;
  if (opts?.progress === undefined) return { args: out };
  const { progress, ...rest } = opts;
  out[spec.progressArg] = rest;
  return { args: out, progress };
}

/**
 * Serves one JSON method: the answer is `{"result": …}` or `{"error": …}`; with `Accept:
 * application/x-ndjson`, progress lines `{"progress": "…"}` come first and the status is 200.
 */
export async function serveRpc(gateway: Gateway, method: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const spec = specOf(method);
  try {
    if (req.method !== 'POST') throw new UsageError(`use POST for ${RPC_PREFIX}${method}`);
    if (spec === undefined) throw new NotFoundError(`no such gateway method \`${method}\``, { exitCode: 2, hint: 'client and server versions may differ' });
    if (spec.refused) return sendJson(res, 403, { error: toWire(new UsageError(spec.refused.message, spec.refused.hint)) });
    const body = await readJson(req);
    const args = body.args ?? [];
    if (!Array.isArray(args)) throw new UsageError('`args` must be an array');
    const fn = (gateway[method as RpcMethod] as (...a: unknown[]) => Promise<unknown>).bind(gateway);
    const streaming = spec.progressArg !== undefined && (req.headers.accept ?? '').includes(NDJSON_TYPE);
    if (!streaming) {
      const result = await fn(...(args as unknown[]));
      sendJson(res, 200, result === undefined ? {} : { result });
      return;
    }
    res.writeHead(200, { 'Content-Type': NDJSON_TYPE, 'Cache-Control': 'no-store' });
    const line = (v: unknown): void => void res.write(JSON.stringify(v) + '\n');
    const i = spec.progressArg;
    const callArgs = [...(args as unknown[])];
    callArgs[i] = { ...(callArgs[i] as object | undefined), progress: (m: string) => line({ progress: m }) };
    try {
      const result = await fn(...callArgs);
      line(result === undefined ? {} : { result });
    } catch (err) {
      line({ error: toWire(err) });
    }
    res.end();
  } catch (err) {
    sendError(res, err);
  }
}
