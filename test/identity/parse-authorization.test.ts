import { AuthenticationError } from '../../src/errors';
import { parseAuthorization } from '../../src/identity/parse-authorization';

test('returns the token of a Bearer header, whatever the case of the scheme', () => {
  expect(parseAuthorization('Bearer abc.def.ghi')).toEqual({ scheme: 'bearer', token: 'abc.def.ghi' });
  expect(parseAuthorization('BEARER abc.def.ghi')).toEqual({ scheme: 'bearer', token: 'abc.def.ghi' });
});

test('returns the token of a DPoP header (RFC 9449 section 7.1), whatever the case of the scheme', () => {
  expect(parseAuthorization('DPoP abc.def.ghi')).toEqual({ scheme: 'dpop', token: 'abc.def.ghi' });
  expect(parseAuthorization('dpop abc.def.ghi')).toEqual({ scheme: 'dpop', token: 'abc.def.ghi' });
});

test.each([
  ['absent', undefined, 'token_missing'],
  ['empty', '', 'token_missing'],
  ['blank', '   ', 'token_missing'],
  ['another scheme', 'Basic dXNlcjpw', 'token_malformed'],
  ['the scheme alone', 'Bearer', 'token_malformed'],
  ['the DPoP scheme alone', 'DPoP', 'token_malformed'],
  ['two spaces', 'Bearer  abc.def.ghi', 'token_malformed'],
  ['two tokens', 'Bearer abc def', 'token_malformed'],
  ['a token with a comma', 'Bearer abc,def', 'token_malformed'],
  ['two credentials', 'DPoP abc.def.ghi, Bearer abc.def.ghi', 'token_malformed'],
  ['no scheme', 'abc.def.ghi', 'token_malformed'],
])('refuses a header that is %s', (_name, header, code) => {
  expect(() => parseAuthorization(header)).toThrow(AuthenticationError);
  expect(() => parseAuthorization(header)).toThrow(expect.objectContaining({ code, status: 401 }));
});
