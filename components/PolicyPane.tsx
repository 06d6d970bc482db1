import { useState } from 'react';
import { Text } from 'ink';
import { diffPolicies, loadPolicy, policyToYaml, toggleRule, type NetworkRule } from '../core/policy/index.ts';
import { endpointLabel } from '../core/policy/diff.ts';
import { attempt, clamp, fit, scrollTop } from './attempt.ts';
import { usePolicy } from './hooks/usePolicy.ts';
import { innerColumns, innerRows, type Rect } from './layout.ts';
import { Pane } from './Pane.tsx';
import { changeMeta, confirmAndSet, diffLines, problemLines } from './policy-actions.ts';
import { theme } from './theme.ts';
import { useKeys } from './hooks/useKeys.ts';
import { useUi } from './ui-context.ts';

interface Props {
  readonly rect: Rect;
  readonly focused: boolean;
  readonly active: boolean;
}

const describe = (r: NetworkRule) => `${r.endpoints.map(endpointLabel).join(', ') || '(no endpoints)'} ← ${r.binaries.map((b) => b.path).join(', ') || '(no binary)'}`;

/** The selected sandbox's network blocks: toggle one, edit the whole file, or undo the last change. */
export function PolicyPane({ rect, focused, active }: Props) {
  const ui = useUi();
  const { gateway, selected } = ui;
  const { revision, error, reload } = usePolicy(gateway, selected);
  const [cursor, setCursor] = useState(0);
  // A draft that failed validation is reopened by the next `e`, so the user's edits are not lost.
  const [draft, setDraft] = useState<string | null>(null);
  const rules = Object.entries(revision?.policy.network_policies ?? {});
  const at = clamp(cursor, rules.length);

  useKeys(
    'policy',
    (action) => {
      if (action === 'up') return setCursor(clamp(at - 1, rules.length));
      if (action === 'down') return setCursor(clamp(at + 1, rules.length));
      // Keys this pane does not bind (Tab, z, …) belong to the global scope: no message for them.
      if (action === undefined) return;
      if (!selected || !revision) return ui.notify(selected ? `no policy loaded for ${selected}` : 'select a sandbox first (Enter in Sandboxes)', 'error');
      const policy = revision.policy;
      if (action === 'toggle' && rules[at]) {
        const [name, rule] = rules[at];
        attempt(ui, async () => {
          const title = `Turn block ${name} ${rule.enabled === false ? 'on' : 'off'} in ${selected}?`;
          if (await confirmAndSet(ui, gateway, selected, title, toggleRule(policy, name))) reload();
        });
      } else if (action === 'edit') {
        attempt(ui, async () => {
          const file = `${selected}-policy.yaml`;
          const text = await ui.editText(draft ?? policyToYaml(policy), file);
          const loaded = loadPolicy(text, file);
          if (!loaded.ok) {
            setDraft(text);
            ui.show(`${file} has problems — press e to fix them (nothing was applied)`, problemLines(loaded.problems));
            return;
          }
          setDraft(null);
          if (await confirmAndSet(ui, gateway, selected, `Apply your edit to ${selected}?`, { policy: loaded.policy, diff: diffPolicies(policy, loaded.policy) }, text)) reload();
        });
      } else if (action === 'undo') {
        attempt(ui, async () => {
          const revisions = await gateway.listPolicyRevisions(selected);
          const previous = revisions.at(-2);
          const latest = revisions.at(-1);
          if (!previous || !latest) return ui.notify(`${selected} has no earlier policy revision to go back to`, 'error');
          const lines = diffLines(diffPolicies(latest.policy, previous.policy));
          if (!(await ui.confirm(`Roll ${selected} back to revision ${previous.version}?`, lines))) return ui.notify('cancelled: the policy is unchanged');
          const result = await gateway.rollbackPolicy(selected, previous.version, changeMeta());
          if (!result.ok) return ui.show(`The gateway refused the rollback for ${selected}`, problemLines(result.problems));
          ui.notify(`${selected}: policy revision ${result.revision.version} (= revision ${previous.version})`);
          reload();
        });
      }
    },
    active,
  );

  const rows = innerRows(rect);
  const width = innerColumns(rect);
  const top = scrollTop(at, rows, rules.length);
  const status = revision ? `${selected} · revision ${revision.version} (${revision.status})${draft ? ' · unsaved draft' : ''}` : (selected ?? '');
  return (
    <Pane title="Policy" status={status} rect={rect} focused={focused}>
      {!selected ? <Text color={theme.muted}>select a sandbox (Enter in Sandboxes) to see its policy</Text> : null}
      {selected && error ? (
        <Text color={theme.warning} wrap="truncate">
          {error}
        </Text>
      ) : null}
      {revision && rules.length === 0 ? <Text color={theme.muted}>no network blocks: every connection is denied</Text> : null}
      {rules.slice(top, top + rows).map(([name, rule], i) => {
        const on = rule.enabled !== false;
        return (
          <Text key={name} wrap="truncate" inverse={focused && top + i === at}>
            <Text color={on ? theme.allow : theme.muted}>{on ? '[on] ' : '[off]'}</Text> <Text bold>{fit(name, Math.min(18, Math.max(width / 3, 6)))}</Text>{' '}
            <Text color={on ? theme.text : theme.muted}>{describe(rule)}</Text>
          </Text>
        );
      })}
    </Pane>
  );
}
