import type { EndpointInfo } from './compiled.ts';

export interface L4Request {
  readonly host: string;
  readonly port: number;
  /** Kernel-resolved executable of the calling process. */
  readonly binary: string;
  /** Executables of its ancestors, nearest first. */
  readonly ancestors?: readonly string[];
}

export interface L7Request extends L4Request {
  readonly method: string;
  /** Raw request path as sent (may include `?query`). */
  readonly path: string;
  /** Raw query string without `?`; overrides a query embedded in `path`. */
  readonly query?: string;
}

/** The narrowest rule that would have allowed a denied request (the 403 body's `rule_missing`). */
export type RuleMissing =
  | { readonly type: 'l4_allow'; readonly layer: 'l4'; readonly host: string; readonly port: number; readonly binary: string }
  | {
      readonly type: 'rest_allow';
      readonly layer: 'l7';
      readonly method: string;
      readonly path: string;
      readonly host: string;
      readonly port: number;
      readonly binary: string;
    };

export interface AllowDecision {
  readonly action: 'allow';
  readonly layer: 'l4' | 'l7';
  readonly rule: string;
  readonly reason: string;
  /** The executable or ancestor path that the rule's `binaries` matched. */
  readonly matchedBinary: string;
  readonly endpoint: EndpointInfo;
  /** L4 only: some allowed endpoint wants each HTTP request decided with decideL7. */
  readonly inspect: boolean;
  /** L7 only: the allow rule that matched, e.g. `GET /repos/**`; null for a passthrough endpoint. */
  readonly l7Rule: string | null;
}

export interface DenyDecision {
  readonly action: 'deny';
  readonly layer: 'l4' | 'l7';
  /** The rule that denied or came closest; null when none applies to this host and port. */
  readonly rule: string | null;
  readonly reason: string;
  /** `audit`: log the deny but forward the request (L7 only; L4 denies always enforce). */
  readonly enforcement: 'enforce' | 'audit';
  readonly ruleMissing: RuleMissing | null;
}

export type Decision = AllowDecision | DenyDecision;
