import type { DenyBody } from '../deny.ts';
import type { RequestEventFields, Refusal } from './types.ts';

/** A request the stage answers itself (with `refusal`) instead of forwarding; `upstream()` may reject with one. */
export class Refused extends Error {
  constructor(readonly refusal: Refusal, readonly event?: RequestEventFields) {
    super(refusal.body.detail);
  }
}

export const refusal = (status: number, body: DenyBody): Refusal => ({ ok: false, status, body });
