import { AuthenticationError } from '../../src/errors';
import { parseBearer } from '../../src/identity';

test('returns the token of a Bearer header, whatever the case of the scheme', () => {
  expect(parseBearer('Bearer abc.def.ghi')).toBe('abc.def.ghi');
  expect(parseBearer('BEARER abc.def.ghi')).toBe('abc.def.ghi');
});

test.each([
  ['absent', undefined, 'token_missing'],
  ['empty', '', 'token_missing'],
  ['blank', '   ', 'token_missing'],
  ['another scheme', 'Basic dXNlcjpw', 'token_malformed'],
  ['the scheme alone', 'Bearer', 'token_malformed'],
  ['two spaces', 'Bearer  abc.def.ghi', 'token_malformed'],
  ['two tokens', 'Bearer abc def', 'token_malformed'],
  ['a token with a comma', 'Bearer abc,def', 'token_malformed'],
  ['no scheme', 'abc.def.ghi', 'token_malformed'],
])('refuses a header that is %s', (_name, header, code) => {
  expect(() => parseBearer(header)).toThrow(AuthenticationError);
  expect(() => parseBearer(header)).toThrow(expect.objectContaining({ code, status: 401 }));
});
