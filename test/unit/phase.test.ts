import { describe, expect, it } from 'vitest';
import type Docker from 'dockerode';
import { phaseOf, PROVISIONING_GRACE_MS } from '../../core/docker/inventory.ts';

const NOW = 1_700_000_000_000;
const c = (State: string, Status: string, ageMs = 120_000): Docker.ContainerInfo =>
  ({ State, Status, Created: (NOW - ageMs) / 1000, Labels: {} }) as unknown as Docker.ContainerInfo;

describe('the phase of a pod, from its containers alone', () => {
  it('is ready when both run', () => {
    expect(phaseOf({ name: 'x', supervisor: c('running', 'Up'), agent: c('running', 'Up') }, NOW)).toEqual({ phase: 'ready' });
  });
  it('is stopped when the supervisor exited cleanly and the agent is down', () => {
    expect(phaseOf({ name: 'x', supervisor: c('exited', 'Exited (0) 1 minute ago'), agent: c('exited', 'Exited (137) 1 minute ago') }, NOW).phase).toBe('stopped');
  });
  it('is error, saying what happened and what to do, when the supervisor was killed', () => {
    const p = phaseOf({ name: 'box', supervisor: c('exited', 'Exited (137) 3 seconds ago'), agent: c('exited', 'Exited (137) 3 seconds ago') }, NOW);
    expect(p.phase).toBe('error');
    expect(p.reason).toBe('the supervisor was killed by signal 9 (exit code 137); the agent has no egress. Run `openshell sandbox start box`');
  });
  it("is error when the agent's main process ended", () => {
    expect(phaseOf({ name: 'x', supervisor: c('running', 'Up'), agent: c('exited', 'Exited (5) now') }, NOW)).toEqual({
      phase: 'error',
      reason: "the agent's main process exited with code 5",
    });
  });
  it('is provisioning while young and half-made, error once the grace period is over', () => {
    expect(phaseOf({ name: 'x', supervisor: c('running', 'Up', 1000) }, NOW).phase).toBe('provisioning');
    expect(phaseOf({ name: 'x', supervisor: c('running', 'Up', PROVISIONING_GRACE_MS + 1) }, NOW).phase).toBe('error');
    expect(phaseOf({ name: 'x', supervisor: c('running', 'Up'), agent: c('created', 'Created') }, NOW).phase).toBe('provisioning');
  });
});
