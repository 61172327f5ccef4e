import { describe, expect, it } from 'vitest';
import { DURATION_RULE, parseDuration } from '../../core/duration.js';

const S = 1_000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;
const W = 7 * D;

describe('parseDuration', () => {
  it.each([
    ['1s', S],
    ['90s', 90 * S],
    ['30m', 30 * M],
    ['36h', 36 * H],
    ['7d', 7 * D],
    ['2w', 2 * W],
    ['1w', 604_800_000],
  ])('parses the single unit %s', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each([
    ['1d12h', D + 12 * H],
    ['1h30m', H + 30 * M],
    ['2m30s', 2 * M + 30 * S],
    ['1w2d3h4m5s', W + 2 * D + 3 * H + 4 * M + 5 * S],
  ])('parses the combination %s as the sum of its groups', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it('sums groups whatever their order or repetition', () => {
    expect(parseDuration('12h1d')).toBe(parseDuration('1d12h'));
    expect(parseDuration('1h1h')).toBe(2 * H);
  });

  it('parses multi-digit amounts and leading zeros as decimal', () => {
    expect(parseDuration('120m')).toBe(2 * H);
    expect(parseDuration('007m')).toBe(7 * M);
  });

  it('parses zero', () => {
    expect(parseDuration('0s')).toBe(0);
  });

  it('gives the same answer when called repeatedly (no regex state between calls)', () => {
    expect([parseDuration('7d'), parseDuration('7d'), parseDuration('7d')]).toEqual([7 * D, 7 * D, 7 * D]);
    expect([parseDuration('7x'), parseDuration('7d')]).toEqual([undefined, 7 * D]);
  });

  it.each([
    ['empty', ''],
    ['number without unit', '7'],
    ['unit without number', 'd'],
    ['fraction', '1.5h'],
    ['negative', '-1h'],
    ['plus sign', '+1h'],
    ['unit spelled out', '7days'],
    ['leading space', ' 7d'],
    ['trailing space', '7d '],
    ['space between number and unit', '7 d'],
    ['space between groups', '1d 12h'],
    ['uppercase unit', '7D'],
    ['unknown unit (years)', '1y'],
    ['milliseconds', '100ms'],
    ['unit before number', 'h1'],
    ['trailing number', '1h30'],
    ['ISO 8601', 'PT1H'],
    ['trailing newline', '7d\n'],
  ])('rejects %s: %j', (_, text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it('names the accepted forms in DURATION_RULE', () => {
    expect(DURATION_RULE).toBe('a duration such as 90s, 30m, 36h, 7d, 2w or 1d12h');
    for (const example of ['90s', '30m', '36h', '7d', '2w', '1d12h']) expect(parseDuration(example)).toBeDefined();
  });
});
