import { describe, expect, it } from 'vitest';
import { formatTarget, parseTarget } from '../../../core/ssh/target.ts';
import { UsageError } from '../../../core/errors.ts';

describe('SSH targets', () => {
  it('reads user@host[:port], ssh:// URLs, bare aliases and bracketed IPv6', () => {
    expect(parseTarget('root@10.231.0.2')).toEqual({ user: 'root', host: '10.231.0.2' });
    expect(parseTarget('ci@build:2222')).toEqual({ user: 'ci', host: 'build', port: 2222 });
    expect(parseTarget('ssh://me@box:22/')).toEqual({ user: 'me', host: 'box', port: 22 });
    expect(parseTarget('my-alias')).toEqual({ host: 'my-alias' });
    expect(parseTarget('u@[fd00::1]:2200')).toEqual({ user: 'u', host: 'fd00::1', port: 2200 });
    expect(formatTarget({ user: 'u', host: 'fd00::1', port: 2200 })).toBe('u@[fd00::1]:2200');
  });

  it('refuses what is not a target, saying how to write one', () => {
    for (const bad of ['', '@host', 'u@', 'u@h:0', 'u@h:99999', 'u@h:x']) {
      expect(() => parseTarget(bad), bad).toThrow(UsageError);
    }
  });
});
