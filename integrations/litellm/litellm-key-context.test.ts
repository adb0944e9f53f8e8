import { createHash } from 'node:crypto';
import path from 'node:path';
import { runPython, venvPython } from '../testdata/python';

// An approval is bound to the decide request's context. Two LiteLLM keys with no user, team or alias gave the same
// context, so one key's approval served the other. The guardrail now sends the key's hash, as LiteLLM's own
// UserAPIKeyAuth computes it, never the key.
const KEY_ONE = 'sk-' + 'one-7f3a9c2e';
const KEY_TWO = 'sk-' + 'two-41b8d0e6';
const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZ2VudCJ9.c2lnbmF0dXJl';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

it("sends each LiteLLM key's hash in the context, never the key, so approvals bind to the key", async () => {
  const out = await runPython(
    venvPython('litellm'),
    path.join(__dirname, 'key_context_check.py'),
    { MODELGATE_URL: 'http://127.0.0.1:9', KEY_ONE, KEY_TWO, JWT },
    180_000,
  );
  const contexts = JSON.parse(out.trim().split('\n').at(-1)!) as Record<
    string,
    Record<string, string> | undefined
  >;
  expect(contexts.key_one).toEqual({ litellm_key_hash: sha256(KEY_ONE) });
  expect(contexts.key_two).toEqual({ litellm_key_hash: sha256(KEY_TWO) });
  expect(contexts.jwt).toEqual({ litellm_key_hash: `hashed-jwt-${sha256(JWT)}` });
  // The master key's alias is not a hash: only its user is sent.
  expect(contexts.master).toEqual({ litellm_user: 'default_user_id' });
  for (const secret of [KEY_ONE, KEY_TWO, JWT]) expect(out).not.toContain(secret);
}, 300_000);
