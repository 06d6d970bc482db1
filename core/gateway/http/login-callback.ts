import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RemoteError } from '../../errors.ts';
import { messagePage, pageCsp } from './auth-pages.ts';

export interface Callback {
  readonly port: number;
  /** The one-time code the gateway sent back through the browser. */
  readonly code: Promise<string>;
  close(): void;
}

const answer = (res: ServerResponse, status: number, title: string, message: string): void => {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': pageCsp(), 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' });
  res.end(messagePage(title, message));
};

/**
 * The loopback listener the browser is sent back to (127.0.0.1, random port). It takes exactly one
 * `/callback` carrying our `state`, then stops listening; anything else (a favicon) gets a 404.
 */
export async function startCallback(state: string, timeoutMs: number): Promise<Callback> {
  let settle!: { resolve: (code: string) => void; reject: (err: Error) => void };
  const code = new Promise<string>((resolve, reject) => (settle = { resolve, reject }));
  // Nobody may be awaiting yet when it fails (e.g. the browser never opened): avoid an unhandled rejection.
  code.catch(() => undefined);
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method !== 'GET' || url.pathname !== '/callback') return answer(res, 404, 'Not found', 'Nothing here.');
    if (url.searchParams.get('state') !== state) {
      return answer(res, 400, 'Sign-in failed', 'This answer does not belong to the sign-in the terminal is waiting for.');
    }
    const error = url.searchParams.get('error');
    const got = url.searchParams.get('code');
    if (error !== null || got === null) {
      answer(res, 200, 'Sign-in denied', 'The gateway operator denied this sign-in. You can close this tab.');
      // Stop listening once the page went out, not before.
      res.once('finish', () =>
        finish(() => settle.reject(new RemoteError('the sign-in was denied in the browser', { exitCode: 4, hint: 'ask the gateway operator to approve it' })),
        ),
      );
    } else {
      answer(res, 200, 'Signed in', 'openshell received the sign-in. You can close this tab and go back to the terminal.');
      res.once('finish', () => finish(() => settle.resolve(got)));
    }
  });
  const timer = setTimeout(() => {
    finish(() =>
      settle.reject(
        new RemoteError(`no answer from the browser within ${Math.round(timeoutMs / 1000)} s`, {
          exitCode: 4,
          hint: 'approve the sign-in in the browser, or retry with --no-browser to use a device code',
        }),
      ),
    );
  }, timeoutMs);
  timer.unref();
  let done = false;
  function finish(then: () => void): void {
    if (done) return;
    done = true;
    clearTimeout(timer);
    server.close();
    server.closeAllConnections();
    then();
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    code,
    close: () => finish(() => settle.reject(new RemoteError('sign-in cancelled'))),
  };
}
