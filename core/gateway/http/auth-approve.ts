import type { IncomingMessage, ServerResponse } from 'node:http';
import { type OperatorGate, SESSION_COOKIE } from './auth-operator.ts';
import { cookie, readFields, redirect, sameOrigin, sendHtml } from './auth-http.ts';
import { FIELD, type PendingFlows } from './auth-flows.ts';
import { connectPage, devicePage, messagePage, pageCsp } from './auth-pages.ts';

/** What the approval pages need from the server: the operator gate, the pending flows and a display name. */
export interface ApproveContext {
  readonly gate: OperatorGate;
  readonly flows: PendingFlows;
  readonly gateway: string;
}

type Authorized = { ok: true; setCookie?: string } | { ok: false; status: number; error: string };

/** The operator is either already signed in (cookie) or types the key now, which opens a session. */
function authorize(ctx: ApproveContext, req: IncomingMessage, key: string | undefined): Authorized {
  if (ctx.gate.hasSession(cookie(req, SESSION_COOKIE))) return { ok: true };
  if (key === undefined || key === '') return { ok: false, status: 401, error: 'Enter the operator key.' };
  const verdict = ctx.gate.checkKey(key);
  if (verdict === 'locked') return { ok: false, status: 429, error: 'Too many wrong keys: wait a minute and try again.' };
  if (verdict === 'wrong') return { ok: false, status: 401, error: 'That is not the operator key.' };
  const s = ctx.gate.openSession();
  return { ok: true, setCookie: `${SESSION_COOKIE}=${s.cookie}; Path=/auth; Max-Age=${s.maxAgeSeconds}; HttpOnly; Secure; SameSite=Strict` };
}

const signedIn = (ctx: ApproveContext, req: IncomingMessage): boolean => ctx.gate.hasSession(cookie(req, SESSION_COOKIE));

/** GET /auth/connect: the CLI's browser sign-in lands here; the operator sees who asks and the code. */
export function showConnect(ctx: ApproveContext, req: IncomingMessage, res: ServerResponse, url: URL): void {
  const q = url.searchParams;
  const port = Number(q.get('callback_port'));
  const fields = { challenge: q.get('challenge') ?? '', state: q.get('state') ?? '', code: q.get('code') ?? '', client: q.get('client') ?? 'openshell CLI' };
  const bad = (Object.keys(fields) as (keyof typeof fields)[]).find((k) => !FIELD[k].test(fields[k]));
  if (!Number.isInteger(port) || port < 1024 || port > 65535 || bad !== undefined) {
    const what = bad ?? 'callback_port';
    sendHtml(res, 400, messagePage('Invalid sign-in link', `The sign-in link has a bad \`${what}\`: start again with \`openshell gateway login\`.`), pageCsp());
    return;
  }
  const pending = ctx.flows.startConnect({ ...fields, callbackPort: port });
  sendHtml(res, 200, connectPage({ ...pending, gateway: ctx.gateway, nonce: ctx.gate.nonce(), needKey: !signedIn(ctx, req) }), pageCsp(port));
}

/** POST /auth/connect/approve: approve or deny, then send the browser back to the CLI's loopback callback. */
export async function approveConnect(ctx: ApproveContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const f = await readFields(req);
  const pending = ctx.flows.connect(f.request);
  if (!pending) {
    sendHtml(res, 410, messagePage('Sign-in expired', 'This sign-in is over or expired. Start again from the terminal.'), pageCsp());
    return;
  }
  if (!sameOrigin(req) || !ctx.gate.consumeNonce(f.csrf)) {
    sendHtml(res, 403, messagePage('Form expired', 'This form is stale or was not sent from this page. Reload the sign-in link and try again.'), pageCsp());
    return;
  }
  const auth = authorize(ctx, req, f.key);
  if (!auth.ok) {
    const again = connectPage({ ...pending, gateway: ctx.gateway, nonce: ctx.gate.nonce(), needKey: true, error: auth.error });
    sendHtml(res, auth.status, again, pageCsp(pending.callbackPort));
    return;
  }
  const headers: Record<string, string> = auth.setCookie === undefined ? {} : { 'set-cookie': auth.setCookie };
  const code = ctx.flows.decideConnect(pending.id, f.decision === 'approve');
  const back = new URL(`http://127.0.0.1:${pending.callbackPort}/callback`);
  back.searchParams.set('state', pending.state);
  if (code === undefined) back.searchParams.set('error', 'access_denied');
  else back.searchParams.set('code', code);
  redirect(res, back.toString(), headers);
}

/** GET /auth/device: where a user types the code a browser-less CLI printed. */
export function showDevice(ctx: ApproveContext, req: IncomingMessage, res: ServerResponse, url: URL): void {
  const userCode = (url.searchParams.get('user_code') ?? '').slice(0, 16);
  sendHtml(res, 200, devicePage({ userCode, gateway: ctx.gateway, nonce: ctx.gate.nonce(), needKey: !signedIn(ctx, req) }), pageCsp());
}

/** POST /auth/device/approve: binds the operator's decision to the device request with that user code. */
export async function approveDevice(ctx: ApproveContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const f = await readFields(req);
  const userCode = (f.user_code ?? '').slice(0, 16);
  if (!sameOrigin(req) || !ctx.gate.consumeNonce(f.csrf)) {
    sendHtml(res, 403, messagePage('Form expired', 'This form is stale or was not sent from this page. Reload it and try again.'), pageCsp());
    return;
  }
  const again = (status: number, error: string): void =>
    sendHtml(res, status, devicePage({ userCode, gateway: ctx.gateway, nonce: ctx.gate.nonce(), needKey: !signedIn(ctx, req), error }), pageCsp());
  const auth = authorize(ctx, req, f.key);
  if (!auth.ok) return again(auth.status, auth.error);
  const headers: Record<string, string> = auth.setCookie === undefined ? {} : { 'set-cookie': auth.setCookie };
  const pending = ctx.flows.deviceByUserCode(userCode);
  if (!pending) {
    const page = devicePage({ userCode, gateway: ctx.gateway, nonce: ctx.gate.nonce(), needKey: false, error: 'No sign-in is waiting for that code (it may have expired).' });
    sendHtml(res, 404, page, pageCsp(), headers);
    return;
  }
  const approved = f.decision === 'approve';
  pending.status = approved ? 'approved' : 'denied';
  const message = approved
    ? `Signed in ${pending.client}. You can close this tab; the terminal continues on its own.`
    : `The sign-in of ${pending.client} was denied.`;
  sendHtml(res, 200, messagePage(approved ? 'Approved' : 'Denied', message), pageCsp(), headers);
}
