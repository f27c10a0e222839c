import { describe, expect, it } from 'vitest';
import { manifestPath } from '../../src/load/manifest-out.js';

describe('manifestPath (the path load and run name while they write)', () => {
  it("is --out when given, else the run's default, or the shard's", () => {
    expect(manifestPath('r-1', 'out/m.json')).toBe('out/m.json');
    expect(manifestPath('r-1', 'out/m.json', { index: 1, count: 3 })).toBe('out/m.json');
    expect(manifestPath('r-1', undefined)).toBe('.otelpoc/runs/r-1.json');
    expect(manifestPath('r-1', undefined, { index: 1, count: 3 })).toBe(
      '.otelpoc/runs/r-1/shard-1-of-3.json',
    );
  });
});
