import type { IncomingMessage, ServerResponse } from 'node:http';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { approveConnect, approveDevice, showConnect, showDevice, type ApproveContext } from './auth-approve.ts';
import { DEVICE_GRANT_TYPE, FIELD, PendingFlows } from './auth-flows.ts';
import { BodyError, bearer, readFields, sendJson } from './auth-http.ts';
import { authDir, loadOperatorKey, OperatorGate } from './auth-operator.ts';
import { DEFAULT_TOKEN_TTL_MS, TokenStore } from './tokens.ts';

export type Verified = { ok: true; tokenId: string; subject: string } | { ok: false; reason: string };

/** The served gateway's authentication: `/auth/*` routes, bearer checks for `/api/*`, and revocation. */
export interface ServerAuth {
  /** Answers a request under `/auth/`; false when the path is not one of ours (the server answers 404). */
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean>;
  /** Checks `Authorization: Bearer <token>`; the server answers 401 itself when not ok. */
  verify(req: IncomingMessage): Verified;
  close(): void;
  /** Lines for `gateway serve` to print at start: how the operator approves sign-ins (never the key, only its file). */
  readonly banner: readonly string[];
}

export interface AuthOptions {
  readonly stateDir: string;
  /** The gateway's URL as clients reach it (`https://host:port`), for device-flow verification links. */
  readonly publicUrl: string;
  readonly tokenTtlMs?: number;
  /** Seconds between device-flow polls (RFC 8628 `interval`). */
  readonly pollIntervalSeconds?: number;
  readonly now?: () => number;
}

/**
 * Where `gateway serve` keeps its state (certificate, operator key, tokens) unless --state-dir says
 * otherwise: $XDG_STATE_HOME/openshell/serve, else ~/.local/state/openshell/serve.
 */
export function defaultServeStateDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_STATE_HOME ? env.XDG_STATE_HOME : join(homedir(), '.local', 'state'), 'openshell', 'serve');
}

/** The token store of a serve state dir, for the server and for `openshell gateway tokens`. */
export const tokenStoreFor = (stateDir: string, now?: () => number): TokenStore =>
  new TokenStore(join(authDir(stateDir), 'tokens.json'), now);

export function createAuth(opts: AuthOptions): ServerAuth {
  const now = opts.now ?? Date.now;
  const operator = loadOperatorKey(opts.stateDir);
  const tokens = tokenStoreFor(opts.stateDir, now);
  const flows = new PendingFlows(now, opts.pollIntervalSeconds ?? 2);
  const publicUrl = opts.publicUrl.replace(/\/+$/, '');
  const ctx: ApproveContext = { gate: new OperatorGate(operator.key, now), flows, gateway: new URL(publicUrl).host };
  const ttl = opts.tokenTtlMs ?? DEFAULT_TOKEN_TTL_MS;

  const grant = (res: ServerResponse, subject: string): void => {
    const { token, record } = tokens.issue(subject, ttl);
    sendJson(res, 200, { access_token: token, token_type: 'Bearer', token_id: record.id, subject, expires_in: Math.floor(ttl / 1000), expires_at: record.expiresAt });
  };
  const oauthError = (res: ServerResponse, error: string, description: string, status = 400): void =>
    sendJson(res, status, { error, error_description: description });

  const verify = (req: IncomingMessage): Verified => {
    const token = bearer(req);
    if (token === undefined) return { ok: false, reason: 'no bearer token' };
    const check = tokens.verify(token);
    return check.ok ? { ok: true, tokenId: check.record.id, subject: check.record.subject } : check;
  };

  type Route = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> | void;
  const routes: Record<string, Route> = {
    'GET /auth/info': (_req, res) => sendJson(res, 200, { service: 'openshell-gateway', auth: ['browser', 'device'] }),
    'GET /auth/connect': (req, res, url) => showConnect(ctx, req, res, url),
    'POST /auth/connect/approve': (req, res) => approveConnect(ctx, req, res),
    'POST /auth/token': async (req, res) => {
      const f = await readFields(req);
      if (f.grant_type !== 'authorization_code') return oauthError(res, 'unsupported_grant_type', 'use authorization_code here');
      const done = flows.exchange(f.code ?? '', f.code_verifier ?? '');
      if (!done.ok) return oauthError(res, 'invalid_grant', done.error);
      grant(res, done.client);
    },
    'POST /auth/device': async (req, res) => {
      const client = (await readFields(req)).client ?? 'openshell CLI';
      if (!FIELD.client.test(client)) return oauthError(res, 'invalid_request', 'client label must be 1-64 printable characters');
      const d = flows.startDevice(client);
      const verification = `${publicUrl}/auth/device`;
      sendJson(res, 200, {
        device_code: d.deviceCode,
        user_code: d.userCode,
        verification_uri: verification,
        verification_uri_complete: `${verification}?user_code=${d.userCode}`,
        expires_in: Math.round((d.expires - now()) / 1000),
        interval: flows.pollIntervalSeconds,
      });
    },
    'GET /auth/device': (req, res, url) => showDevice(ctx, req, res, url),
    'POST /auth/device/approve': (req, res) => approveDevice(ctx, req, res),
    'POST /auth/device/token': async (req, res) => {
      const f = await readFields(req);
      if (f.grant_type !== undefined && f.grant_type !== DEVICE_GRANT_TYPE) return oauthError(res, 'unsupported_grant_type', `use ${DEVICE_GRANT_TYPE}`);
      const poll = flows.pollDevice(f.device_code ?? '');
      if (!poll.ok) return oauthError(res, poll.error, poll.error.replace(/_/g, ' '));
      grant(res, poll.client);
    },
    'GET /auth/whoami': (req, res) => {
      const v = verify(req);
      if (!v.ok) return sendJson(res, 401, { error: 'unauthorized', reason: v.reason }, { 'www-authenticate': 'Bearer' });
      const record = tokens.list().find((r) => r.id === v.tokenId);
      sendJson(res, 200, { token_id: v.tokenId, subject: v.subject, expires_at: record?.expiresAt });
    },
    'POST /auth/logout': (req, res) => {
      const v = verify(req);
      if (!v.ok) return sendJson(res, 401, { error: 'unauthorized', reason: v.reason }, { 'www-authenticate': 'Bearer' });
      tokens.revoke(v.tokenId);
      sendJson(res, 200, { revoked: v.tokenId });
    },
  };

  return {
    banner: [
      operator.created ? `created the operator key for approving sign-ins: ${operator.path}` : `operator key for approving sign-ins: ${operator.path}`,
      `clients sign in with \`openshell gateway add ${publicUrl}\`; approve them in the browser with that key (\`cat ${operator.path}\`)`,
      `device sign-ins (no browser): ${publicUrl}/auth/device`,
    ],
    verify,
    close: () => undefined,
    async handle(req, res, url) {
      const route = routes[`${req.method ?? 'GET'} ${url.pathname.replace(/\/+$/, '') || '/'}`];
      if (!route) return false;
      try {
        await route(req, res, url);
      } catch (err) {
        if (res.headersSent) res.destroy();
        else if (err instanceof BodyError) sendJson(res, err.status, { error: 'invalid_request', error_description: err.message });
        else sendJson(res, 500, { error: 'server_error', error_description: 'internal error in the sign-in service' });
      }
      return true;
    },
  };
}
