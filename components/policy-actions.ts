import { userInfo } from 'node:os';
import type { Gateway } from '../core/gateway/types.ts';
import { policyToYaml, type Policy, type PolicyDiff, type Problem } from '../core/policy/index.ts';
import type { Line, Ui } from './ui-context.ts';

const TONE = { '+': 'diffAdd', '-': 'diffRemove', '~': 'diffChange' } as const;

export function diffLines(diff: PolicyDiff): Line[] {
  if (diff.lines.length === 0) return [{ text: '(no changes)', tone: 'muted' }];
  return diff.lines.map((l) => ({ text: `${l.op} ${l.scope}: ${l.text}`, tone: TONE[l.op] }));
}

/** Problems as `line:column message`, so they can be found in the file just edited. */
export function problemLines(problems: readonly Problem[]): Line[] {
  return problems.map((p) => ({
    text: `${p.line}:${p.column} ${p.severity} ${p.path ? `${p.path}: ` : ''}${p.message}${p.suggestion ? ` (${p.suggestion})` : ''}`,
    tone: p.severity === 'error' ? 'error' : 'warning',
  }));
}

export function changeMeta(): { author: string; source: string } {
  let author = process.env.USER ?? '';
  try {
    author ||= userInfo().username;
  } catch {
    author ||= 'unknown';
  }
  return { author, source: 'tui' };
}

/** Shows the diff, and on `y` stores the new policy as a revision; says what happened either way. */
export async function confirmAndSet(
  ui: Pick<Ui, 'confirm' | 'notify' | 'show'>,
  gateway: Gateway,
  sandbox: string,
  title: string,
  change: { readonly policy: Policy; readonly diff: PolicyDiff },
  yaml = policyToYaml(change.policy),
): Promise<boolean> {
  if (change.diff.lines.length === 0) {
    ui.notify(`${title}: the policy already says so (no changes)`);
    return false;
  }
  if (!(await ui.confirm(title, diffLines(change.diff)))) {
    ui.notify('cancelled: the policy is unchanged');
    return false;
  }
  const result = await gateway.setPolicy(sandbox, yaml, changeMeta());
  if (!result.ok) {
    ui.show(`The gateway refused the policy for ${sandbox}`, problemLines(result.problems));
    return false;
  }
  ui.notify(`${sandbox}: policy revision ${result.revision.version}${result.changed ? '' : ' (unchanged)'}`);
  return true;
}
