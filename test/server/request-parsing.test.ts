import { describe, expect, it } from 'vitest';
import { headerValues, parseApiRequest, splitTarget } from '../../src/server/request-parsing.js';
import { isValidRunId, tenantIdProblem } from '../../src/util/ids.js';

describe('parseApiRequest: ?sc=', () => {
  it.each([
    ['', 200],
    ['sc=200', 200],
    ['sc=404', 404],
    ['sc=599', 599],
    ['?sc=503&x=1', 503],
  ])('"%s" → %d', (search, status) => {
    expect(parseApiRequest(search, undefined, undefined)).toMatchObject({ ok: true, statusCode: status });
  });

  it.each([
    ['sc=abc', '"abc" is not allowed'],
    ['sc=99', '"99" is not allowed'],
    ['sc=199', '"199" is not allowed'],
    ['sc=600', '"600" is not allowed'],
    ['sc=700', '"700" is not allowed'],
    ['sc=', '"" is not allowed'],
    ['sc=4040', '"4040" is not allowed'],
    ['sc=%2B404', '"+404" is not allowed'],
    ['sc=+404', '" 404" is not allowed'],
    ['sc=200&sc=404', 'given 2 times'],
  ])('"%s" is a 400 that says what is allowed', (search, why) => {
    const parsed = parseApiRequest(search, undefined, undefined);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.error).toContain(why);
      expect(parsed.error).toContain('an integer from 200 to 599');
    }
  });
});

describe('parseApiRequest: Client-ID', () => {
  it.each(['tenant-1', '11111', "a!-_.*'()", 'x'.repeat(150)])('accepts %s', (id) => {
    expect(parseApiRequest('', id, undefined)).toMatchObject({ ok: true, clientId: id });
  });

  it('treats a missing header as anonymous', () => {
    expect(parseApiRequest('', undefined, undefined)).toMatchObject({ ok: true, clientId: undefined });
  });

  it.each([
    ['bad/id', 'has characters other than'],
    ['with space', 'has characters other than'],
    ['a|b', 'has characters other than'],
    ['.', 'is "."'],
    ['..', 'is ".."'],
    ['__mimir_cluster', 'is reserved'],
    ['x'.repeat(151), 'is 151 characters long'],
    ['', 'is empty'],
  ])('rejects %s naming the header', (id, why) => {
    const parsed = parseApiRequest('', id, undefined);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.error).toMatch(/^Client-ID header: /);
      expect(parsed.error).toContain(why);
    }
  });

  it('rejects a repeated header', () => {
    expect(parseApiRequest('', ['a', 'b'], undefined)).toMatchObject({
      ok: false,
      error: 'Client-ID header: sent more than once',
    });
  });

  it('tenantIdProblem matches Mimir rules', () => {
    expect(tenantIdProblem('tenant-1')).toBeUndefined();
    expect(tenantIdProblem('ténant')).toBeDefined();
  });
});

describe('parseApiRequest: X-Run-ID', () => {
  it('accepts the run id alphabet', () => {
    expect(parseApiRequest('', undefined, '20261125-151800-a1b2c3')).toMatchObject({
      ok: true,
      runId: '20261125-151800-a1b2c3',
    });
    expect(isValidRunId('a'.repeat(64))).toBe(true);
  });

  it.each(['', 'a'.repeat(65), 'run.1', 'run 1', 'run/1'])('rejects "%s"', (id) => {
    const parsed = parseApiRequest('', undefined, id);
    expect(parsed).toMatchObject({ ok: false });
    if (!parsed.ok) expect(parsed.error).toMatch(/^X-Run-ID header: .*allowed: 1–64 characters/);
  });

  it('reports every problem of a request at once', () => {
    const parsed = parseApiRequest('sc=abc', 'bad/id', 'no way');
    expect(parsed.ok).toBe(false);
    if (!parsed.ok)
      expect(parsed.error.split('; ').filter((p) => /^(sc|Client-ID|X-Run-ID)/.test(p))).toHaveLength(3);
  });
});

describe('splitTarget', () => {
  it.each([
    ['/api', '/api', ''],
    ['/api?sc=404&x=1', '/api', 'sc=404&x=1'],
    ['http://127.0.0.1:8088/api?sc=404', '/api', 'sc=404'],
    ['HTTP://host/api', '/api', ''],
    ['http://host', '/', ''],
    ['http://host?sc=500', '/', 'sc=500'],
    ['http://user@host:1/a/../api', '/a/../api', ''],
    ['*', '*', ''],
  ])('%s → path %s, search %s', (url, path, search) => {
    expect(splitTarget(url)).toEqual({ path, search });
  });
});

describe('headerValues', () => {
  it('one value is a string, several an array, none undefined', () => {
    expect(headerValues(undefined)).toBeUndefined();
    expect(headerValues(['a, b'])).toBe('a, b');
    expect(headerValues(['a', 'b'])).toEqual(['a', 'b']);
  });
});

describe('parseApiRequest: header values in messages', () => {
  it('shows UTF-8 sent as UTF-8 (Node hands it over decoded as latin1)', () => {
    const asNodeGivesIt = Buffer.from('ténant', 'utf8').toString('latin1');
    const parsed = parseApiRequest('', asNodeGivesIt, undefined);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toMatch(/^Client-ID header: "ténant" /);
  });

  it('shows bytes that are not UTF-8 as \\xNN', () => {
    const parsed = parseApiRequest('', undefined, 'r\u00e9n');
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toMatch(/^X-Run-ID header: "r\\xe9n" /);
  });
});
