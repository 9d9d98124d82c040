import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  decodeTrustToken,
  ExpiredTokenError,
  InvalidTokenError,
  looksLikeToken,
} from '../../src/enrol/index.js';
import { assertMentions, catchError } from '../helpers/errors.js';

const fields = {
  client_name: 'ci-runner',
  fingerprint: 'DB92DF3CABD5BB83CC0F760DFB2E946054C487BFAC405175CC228F5097C9A15A',
  addresses: ['10.0.0.5:8443', '[fd00::5]:8443'],
  secret: '55beb0c740f41c51bca0d6428ea525a6049fcdc9e436afa6e22f51b7f901acfc',
  expires_at: '0001-01-01T00:00:00Z',
};

function encode(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64');
}

describe('decodeTrustToken', () => {
  it('reads every field of a token that never expires', () => {
    const token = decodeTrustToken(` ${encode(fields)}\n`);
    assert.equal(token.text, encode(fields));
    assert.equal(token.clientName, 'ci-runner');
    assert.equal(token.fingerprint, fields.fingerprint.toLowerCase());
    assert.deepEqual(token.addresses, fields.addresses);
    assert.equal(token.secret, fields.secret);
    assert.equal(token.expiresAt, undefined);
    assert.equal(token.type, '');
    assert.equal(looksLikeToken(encode(fields)), true);
  });

  it('reads an expiry written by Go, nanoseconds and offset included', () => {
    const expires_at = '2999-03-23T17:38:37.753398689-04:00';
    const token = decodeTrustToken(encode({ ...fields, expires_at }));
    assert.equal(token.expiresAt?.toISOString(), '2999-03-23T21:38:37.753Z');
  });

  it('refuses an expired token without asking the server', () => {
    const expires_at = '2020-01-01T00:00:00Z';
    const error = catchError(
      () => decodeTrustToken(encode({ ...fields, expires_at })),
      ExpiredTokenError,
    );
    assert.equal(error.code, 'LXDAPI_TOKEN_EXPIRED');
    assert.equal(error.clientName, 'ci-runner');
    assert.equal(error.expiresAt, '2020-01-01T00:00:00.000Z');
    assertMentions(error.message, ['ci-runner', 'expired', 'config trust add']);
  });

  it('refuses text that is not a token, saying what is wrong', () => {
    const cases: [string, string][] = [
      ['https://10.0.0.5:8443', 'not base64-encoded JSON'],
      [encode(fields).slice(0, -3), 'not base64-encoded JSON'],
      [encode([1, 2]), 'not base64-encoded JSON'],
      [encode({ ...fields, client_name: '' }), 'no client_name'],
      [encode({ ...fields, secret: undefined }), 'no secret'],
      [encode({ ...fields, addresses: [] }), 'no server address'],
      [encode({ ...fields, addresses: [5] }), 'not all `host:port` strings'],
      [encode({ ...fields, fingerprint: 'abc' }), 'not a SHA-256'],
    ];
    for (const [text, problem] of cases) {
      const error = catchError(() => decodeTrustToken(text), InvalidTokenError);
      assert.equal(error.code, 'LXDAPI_TOKEN_INVALID');
      assert.ok(error.problem.includes(problem), `${problem} in ${error.problem}`);
      assertMentions(error.message, ['config trust add']);
    }
  });

  it('tells a token from an address or a host name', () => {
    for (const text of ['10.0.0.5', 'lxd.example.com:8443', 'https://lxd.example.com']) {
      assert.equal(looksLikeToken(text), false, text);
    }
  });
});
