import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compilePolicy, type Decision, type L4Request, type L7Request } from '../policy/index.ts';
import type { EventSink } from './events.ts';
import type { FlowRegistry } from './flows.ts';
import { judgeAddresses } from './guard.ts';
import { POLICY_STATUS_FILE, type ActivePolicy } from './policy-file.ts';
import type { PolicyChange } from './policy-watch.ts';

/** No revision yet (or none valid): an empty policy denies every connection with the engine's reason. */
const DENY_ALL = compilePolicy({ version: 1 });

/** The revision in force, its status reports, and revoking open flows that a new revision denies. */
export class Enforcer {
  private active: ActivePolicy | null = null;

  constructor(
    private readonly stateDir: string,
    private readonly events: EventSink,
    private readonly flows: FlowRegistry,
  ) {}

  get version(): number | undefined {
    return this.active?.version;
  }

  decide(req: L4Request): Decision {
    const d = (this.active?.compiled ?? DENY_ALL).decideL4(req);
    if (this.active || d.action === 'allow') return d;
    return { ...d, reason: `${d.reason} (no policy revision is loaded: all egress is denied)` };
  }

  /** One HTTP request on an inspected connection, against the revision in force now. */
  decideL7(req: L7Request): Decision {
    return (this.active?.compiled ?? DENY_ALL).decideL7(req);
  }

  apply(change: PolicyChange): void {
    const status =
      change.status === 'loaded'
        ? { type: 'policy', version: change.revision.version, hash: change.revision.hash, status: 'loaded' }
        : { type: 'policy', version: change.version, status: 'failed', error: change.error };
    if (change.status === 'loaded') this.active = change.revision;
    this.events.line(status, true);
    this.writeStatus({ ...status, time: new Date().toISOString(), inForce: this.active?.version ?? null });
    if (change.status === 'loaded') this.revokeDenied();
  }

  /** Open tunnels and keep-alive connections are re-judged; those the new revision refuses are closed. */
  private revokeDenied(): void {
    const version = this.active?.version;
    this.flows.revoke((flow) => {
      const d = this.decide({ host: flow.host, port: flow.port, binary: flow.binary, ancestors: flow.ancestors });
      if (d.action === 'deny') return `policy revision ${version} denies it: ${d.reason}`;
      const g = judgeAddresses(flow.host, flow.port, d.endpoint, [flow.ip]);
      return g.ok ? null : `policy revision ${version}: ${g.detail}`;
    });
  }

  private writeStatus(status: Record<string, unknown>): void {
    try {
      const file = join(this.stateDir, POLICY_STATUS_FILE);
      writeFileSync(`${file}.tmp`, JSON.stringify(status) + '\n');
      renameSync(`${file}.tmp`, file);
    } catch {
      // The stdout line is the primary report; the file is a convenience for readers without logs.
    }
  }
}
