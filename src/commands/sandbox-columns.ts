import type { Sandbox } from '../../core/gateway/types.ts';
import type { Column } from '../output.ts';

export function age(iso: string, now = Date.now()): string {
  const s = Math.max(0, Math.floor((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

export const SANDBOX_COLUMNS: readonly Column<Sandbox>[] = [
  { header: 'NAME', value: (s) => s.name },
  { header: 'PHASE', value: (s) => s.phase },
  { header: 'IMAGE', value: (s) => s.image },
  { header: 'AGE', value: (s) => age(s.createdAt) },
  // The policy revision on the sandbox's state volume; `-` when it cannot be read (no supervisor).
  { header: 'REV', value: (s) => (s.policyRevision === undefined ? '-' : String(s.policyRevision)) },
  { header: 'REASON', value: (s) => s.reason ?? '' },
];
