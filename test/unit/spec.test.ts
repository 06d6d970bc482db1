import { describe, expect, it } from 'vitest';
import { parseCpu, parseMemory, parsePairs, parseSelector } from '../../core/gateway/spec.ts';
import { randomName, validateName } from '../../core/gateway/names.ts';

describe('sandbox create flags', () => {
  it('reads memory sizes the way users write them', () => {
    expect(parseMemory('512m')).toBe(512 * 1024 ** 2);
    expect(parseMemory('2g')).toBe(2 * 1024 ** 3);
    expect(parseMemory('1.5GiB')).toBe(1.5 * 1024 ** 3);
    expect(parseMemory('104857600')).toBe(104857600);
  });
  it('refuses nonsense and too-small memory with a hint', () => {
    expect(() => parseMemory('lots')).toThrow(/invalid --memory `lots`/);
    expect(() => parseMemory('1k')).toThrow(/too small/);
    expect(() => parseMemory('-5m')).toThrow(/invalid --memory/);
  });
  it('reads CPUs and refuses zero or words', () => {
    expect(parseCpu('0.5')).toBe(0.5);
    expect(() => parseCpu('0')).toThrow(/invalid --cpu/);
    expect(() => parseCpu('two')).toThrow(/invalid --cpu/);
  });
  it('reads K=V pairs, keeping = inside values', () => {
    expect(parsePairs(['A=1', 'B=x=y', 'C='], '--env')).toEqual({ A: '1', B: 'x=y', C: '' });
    expect(() => parsePairs(['=v'], '--label')).toThrow(/invalid --label `=v`/);
    expect(parseSelector('team=a,tier=b')).toEqual({ team: 'a', tier: 'b' });
    expect(parseSelector(undefined)).toBeUndefined();
  });
});

describe('sandbox names', () => {
  it('makes two random words that are valid names', () => {
    for (let i = 0; i < 50; i++) {
      const n = randomName();
      expect(n).toMatch(/^[a-z]+-[a-z]+$/);
      expect(validateName(n)).toBe(n);
    }
  });
  it('refuses names Docker or DNS would choke on', () => {
    for (const bad of ['', 'UPPER', '-lead', 'trail-', 'has space', 'a'.repeat(49), 'dot.ted']) {
      expect(() => validateName(bad)).toThrow(/invalid sandbox name/);
    }
  });
});
