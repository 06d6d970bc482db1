import type { Socket } from 'node:net';

/** The JSON body the agent sees when the proxy refuses a request (upstream's shape). */
export interface DenyBody {
  readonly error: string;
  readonly detail: string;
  readonly reason?: string;
  readonly [extra: string]: unknown;
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  403: 'Forbidden',
  408: 'Request Timeout',
  431: 'Request Header Fields Too Large',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

export function denyResponse(status: number, body: DenyBody): string {
  const json = JSON.stringify(body);
  return (
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\n` +
    'Content-Type: application/json\r\n' +
    `Content-Length: ${Buffer.byteLength(json)}\r\n` +
    'Connection: close\r\n\r\n' +
    json
  );
}

/** Answers and closes; unread client bytes are drained so a half-open client cannot pin the socket. */
export function sendDeny(socket: Socket, status: number, body: DenyBody): void {
  socket.end(denyResponse(status, body));
  socket.resume();
  socket.setTimeout(5_000, () => socket.destroy());
}
