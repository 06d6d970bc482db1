import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { joinedGlobRegExp, partsGlob } from '../../../core/policy/glob.ts';
import { BinaryMatcher, HostMatcher, MethodMatcher, PathMatcher } from '../../../core/policy/index.ts';

describe('globs', () => {
  it('the regular-expression form agrees with the segment matcher on absolute paths', () => {
    const comp = fc.constantFrom('a', 'b', '*', '**', 'a*', 'x.y');
    const part = fc.constantFrom('a', 'b', 'ab', 'x.y', 'q');
    fc.assert(
      fc.property(fc.array(comp, { minLength: 1, maxLength: 5 }), fc.array(part, { minLength: 1, maxLength: 6 }), (pat, parts) => {
        const p = '/' + pat.join('/');
        const s = '/' + parts.join('/');
        expect(joinedGlobRegExp(p, '/', 0).test(s)).toBe(partsGlob(p.split('/'), 0)(['', ...parts]));
      }),
      { numRuns: 5000 },
    );
  });

  it('matchers explain themselves in words', () => {
    expect(new HostMatcher('*.GitHub.com').explain()).toBe('hosts matching `*.github.com` (`*` is one label, `**` one or more)');
    expect(new BinaryMatcher(['/usr/bin/git', '/opt/*/bin/x', '/a', '/b']).explain()).toBe('`/usr/bin/git`, `/opt/*/bin/x`, `/a` and 1 more');
    expect(new MethodMatcher('get').explain()).toBe('GET (and HEAD)');
    expect(new PathMatcher('/repos/*/issues').explain()).toBe('path `/repos/*/issues`');
    expect(new PathMatcher('/repos/*/issues').matches(['repos', 'a', 'b', 'issues'])).toBe(false);
    expect(new BinaryMatcher(['/opt/venv/**/bin/pip']).matches({ binary: '/opt/venv/bin/pip', ancestors: [] })).toBe(true);
  });
});
