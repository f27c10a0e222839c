/**
 * The one classifier of failed requests (util/net-errors.ts): every code load, verify and doctor may
 * see maps to one category and one wording. Real sockets are covered by test/load/client.test.ts and
 * test/verify/prom-client.test.ts; here, the table.
 */
import { errors as undiciErrors } from 'undici';
import { describe, expect, it } from 'vitest';
import { classifyNetError, describeNetError, type NetErrorCategory } from '../../src/util/net-errors.js';

const coded = (code: string, message = `${code} happened`) => Object.assign(new Error(message), { code });

const TABLE: [string, unknown, NetErrorCategory, string][] = [
  ['ECONNREFUSED', coded('ECONNREFUSED'), 'refused', 'connection refused (is it running? check --url)'],
  ['ECONNRESET', coded('ECONNRESET'), 'reset', 'connection reset'],
  ['EPIPE', coded('EPIPE'), 'reset', 'connection reset'],
  ['UND_ERR_SOCKET', new undiciErrors.SocketError('other side closed'), 'reset', 'connection reset'],
  ['UND_ERR_CLOSED', new undiciErrors.ClientClosedError(), 'reset', 'connection reset'],
  ['UND_ERR_ABORTED', new undiciErrors.RequestAbortedError(), 'reset', 'connection reset'],
  ['ETIMEDOUT', coded('ETIMEDOUT'), 'timeout', 'no answer within 2.5s'],
  ['UND_ERR_CONNECT_TIMEOUT', new undiciErrors.ConnectTimeoutError(), 'timeout', 'no answer within 2.5s'],
  ['UND_ERR_HEADERS_TIMEOUT', new undiciErrors.HeadersTimeoutError(), 'timeout', 'no answer within 2.5s'],
  ['UND_ERR_BODY_TIMEOUT', new undiciErrors.BodyTimeoutError(), 'timeout', 'no answer within 2.5s'],
  [
    'AbortSignal.timeout() reason',
    new DOMException('The operation was aborted due to timeout', 'TimeoutError'),
    'timeout',
    'no answer within 2.5s',
  ],
  ['ENOTFOUND', coded('ENOTFOUND'), 'dns', 'host name not found (check --url)'],
  ['EAI_AGAIN', coded('EAI_AGAIN'), 'dns', 'host name not found (check --url)'],
  [
    'CERT_HAS_EXPIRED',
    coded('CERT_HAS_EXPIRED', 'certificate has expired'),
    'tls',
    'TLS failed: CERT_HAS_EXPIRED: certificate has expired (check --url)',
  ],
  [
    'DEPTH_ZERO_SELF_SIGNED_CERT',
    coded('DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate'),
    'tls',
    'TLS failed: DEPTH_ZERO_SELF_SIGNED_CERT: self-signed certificate (check --url)',
  ],
  [
    'ERR_TLS_CERT_ALTNAME_INVALID',
    coded('ERR_TLS_CERT_ALTNAME_INVALID', "Hostname/IP does not match certificate's altnames"),
    'tls',
    "TLS failed: ERR_TLS_CERT_ALTNAME_INVALID: Hostname/IP does not match certificate's altnames (check --url)",
  ],
  [
    'ERR_SSL_WRONG_VERSION_NUMBER (https to a plain port)',
    coded('ERR_SSL_WRONG_VERSION_NUMBER', 'wrong version number'),
    'tls',
    'TLS failed: ERR_SSL_WRONG_VERSION_NUMBER: wrong version number (check --url)',
  ],
  [
    'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    coded('UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'unable to verify the first certificate'),
    'tls',
    'TLS failed: UNABLE_TO_VERIFY_LEAF_SIGNATURE: unable to verify the first certificate (check --url)',
  ],
  ['an unknown code', coded('EHOSTUNREACH', 'no route'), 'other', 'EHOSTUNREACH: no route'],
  ['a code already in the message', coded('EHOSTUNREACH'), 'other', 'EHOSTUNREACH happened'],
  ['no code at all', new Error('boom'), 'other', 'boom'],
  ['not an Error', 'a string', 'other', 'a string'],
  // undici's fetch-style wrapper carries no code of its own: the socket's is on `cause`.
  [
    'a TypeError whose cause is refused',
    new TypeError('fetch failed', { cause: coded('ECONNREFUSED') }),
    'refused',
    'connection refused (is it running? check --url)',
  ],
  // A generic code on the outside, the telling one inside: the telling one decides.
  [
    'UND_ERR_SOCKET outside, ECONNRESET inside',
    Object.assign(new Error('socket'), { code: 'UND_ERR_INFO', cause: coded('ECONNRESET') }),
    'reset',
    'connection reset',
  ],
  // Node's happy-eyeballs connect: one error per address tried.
  [
    'AggregateError of refused connects',
    new AggregateError([coded('ECONNREFUSED'), coded('ECONNREFUSED')], 'connect failed'),
    'refused',
    'connection refused (is it running? check --url)',
  ],
];

describe('classifyNetError / describeNetError', () => {
  it.each(TABLE)('%s → %s', (_name, err, category, text) => {
    expect(classifyNetError(err).category).toBe(category);
    expect(describeNetError(err, { timeoutMs: 2500, check: '--url' })).toBe(text);
  });

  it('without a flag to check or a timeout, the wording says less', () => {
    expect(describeNetError(coded('ECONNREFUSED'))).toBe('connection refused (is it running?)');
    expect(describeNetError(coded('ENOTFOUND'))).toBe('host name not found');
    expect(describeNetError(coded('ETIMEDOUT'))).toBe('no answer in time');
  });

  it("the caller's own deadline makes any error a timeout", () => {
    const aborted = new DOMException('This operation was aborted', 'AbortError');
    expect(classifyNetError(aborted).category).toBe('other');
    expect(describeNetError(aborted, { timeoutMs: 5000, timedOut: true })).toBe('no answer within 5s');
  });

  it('keeps the code that decided', () => {
    expect(classifyNetError(new undiciErrors.HeadersTimeoutError())).toMatchObject({
      category: 'timeout',
      code: 'UND_ERR_HEADERS_TIMEOUT',
    });
  });
});
