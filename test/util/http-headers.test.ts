import { validateHeaderName, validateHeaderValue } from 'node:http';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/util/errors.js';
import {
  checkHeader,
  headerNameProblem,
  headerValueProblem,
  parseHeaderLine,
  parseHeaderName,
} from '../../src/util/http-headers.js';

const nodeAcceptsName = (name: string) => {
  try {
    validateHeaderName(name);
    return true;
  } catch {
    return false;
  }
};
const nodeAcceptsValue = (value: string) => {
  try {
    validateHeaderValue('x', value);
    return true;
  } catch {
    return false;
  }
};

const NAMES = [
  'X-Scope-OrgID',
  'a',
  "!#$%&'*+.^_`|~-09az",
  'bad name',
  'X:',
  '',
  'Ä',
  'a\tb',
  'a\r\nb',
  '(x)',
];
const VALUES = ['tenant-1', '', 'a b\tc', 'Basic eA==', 'é', 'a\x01b', 'a\r\nb', 'a\nb', 'a\0', 'a\x7f', '€'];

describe('header rules', () => {
  it.each(NAMES)('name %j: same verdict as node:http', (name) => {
    expect(headerNameProblem(name) === undefined).toBe(nodeAcceptsName(name));
  });

  it.each(VALUES)('value %j: same verdict as node:http', (value) => {
    expect(headerValueProblem(value) === undefined).toBe(nodeAcceptsValue(value));
  });

  it.each([
    [['bad header', 'v'], '--tenant-header: header name "bad header" is not a valid header name'],
    [['X', 'a\x01b'], '--header: the value of header "X" has character U+0001 at position 2'],
    [['X', 'a\r\nb'], '--header: the value of header "X" has character U+000D at position 2'],
  ])('checkHeader(%j) throws one line naming the input', ([name, value], message) => {
    const what = message.slice(0, message.indexOf(':'));
    let err: unknown;
    try {
      checkHeader(name!, value!, what);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toContain(message);
    expect((err as Error).message).not.toMatch(/[\r\n]/);
  });

  it('parses "Name: value" lines and header names', () => {
    expect(parseHeaderLine('X-A:  b c ', '--header')).toEqual(['X-A', 'b c']);
    expect(parseHeaderLine('X-A:', '--header')).toEqual(['X-A', '']);
    expect(() => parseHeaderLine('no colon', '--header')).toThrow(
      '--header: expected "Name: value", got "no colon"',
    );
    expect(() => parseHeaderLine('X A: b', '--header')).toThrow(/^--header: header name "X A"/);
    expect(parseHeaderName('X-Scope-OrgID', '--tenant-header')).toBe('X-Scope-OrgID');
    expect(() => parseHeaderName('', '--tenant-header')).toThrow('--tenant-header: header name "" is empty');
  });
});
