import type { RuleMissing } from '../policy/index.ts';
import type { InferenceDetails } from './inference.ts';

/**
 * One egress decision, as the supervisor writes it (one JSON line with `type: "decision"` on its stdout
 * and in its bounded event file) and as the gateway re-emits it on its bus as `traffic`.
 */
export interface TrafficEvent {
  /** Per-sandbox sequence number, strictly increasing across supervisor restarts: the resume cursor. */
  readonly seq: number;
  readonly time: string;
  readonly sandbox: string;
  readonly layer: 'l4' | 'l7' | 'inference';
  readonly action: 'allow' | 'deny';
  /** Kernel-resolved executable of the calling process ('' when it could not be identified). */
  readonly binary: string;
  readonly pid?: number;
  readonly ancestors?: readonly string[];
  /** The command line (argv[0], script paths, …), at most its first 1 KiB: logged, never trusted. */
  readonly cmdline?: readonly string[];
  readonly host: string;
  /** The address actually dialed (allowed) or refused by the destination guard. */
  readonly ip?: string;
  readonly port: number;
  readonly method?: string;
  readonly path?: string;
  readonly rule: string | null;
  readonly reason: string;
  /** The 403 body's `error` (policy_denied, ssrf_denied, …) for denies. */
  readonly error?: string;
  readonly enforcement?: 'enforce' | 'audit';
  readonly ruleMissing?: RuleMissing | null;
  readonly policyVersion?: number;
  readonly bytesIn?: number;
  readonly bytesOut?: number;
  readonly durationMs?: number;
  /** L7: the response status the agent got (the proxy's own 403/400/502 when it refused). */
  readonly status?: number;
  /** L7: from forwarding the request head to the upstream's response head. */
  readonly upstreamMs?: number;
  /** L7: the allow rule that matched (`GET /repos/**`), or for a deny the endpoint's `access` preset. */
  readonly l7Rule?: string | null;
  /** Calls through the privacy router (`layer: "inference"`). */
  readonly inference?: InferenceDetails;
}

/** A policy revision's fate in the supervisor (`type: "policy"` lines). */
export interface PolicyStatusEvent {
  readonly sandbox: string;
  readonly time: string;
  readonly version: number;
  readonly status: 'loaded' | 'failed';
  readonly error?: string;
}
