import type { Builtin, BuiltinTable } from './builtin';
import { decodeVerify } from './jwt-decode-verify';
import { jwtEncodeSign, jwtEncodeSignRaw } from './jwt-encode-sign';
import { tokenHeader } from './jwt-header';
import { policyKeys } from './jwt-keys';
import { HMAC_HASHES, SIGNATURE_SCHEMES, signatureVerifies, verifiedByKeys } from './jwt-signature';
import { base64urlBytes, jsonObject, objectOf, tokenParts } from './jwt-token';
import { stringOperand } from './strings';

// io.jwt.decode: [header, payload, hex signature]; a payload whose header says `cty: JWT` is itself decoded.
const decode: Builtin = (_context, token) => {
  const parts = tokenParts(token);
  const header = jsonObject(parts.header, 'header');
  const payloadText = base64urlBytes(parts.payload).toString('utf8');
  if (header.cty === 'JWT') return decode(_context, payloadText.replace(/^["']+|["']+$/g, ''));
  const payload = objectOf(payloadText, 'payload');
  return [header, payload, base64urlBytes(parts.signature).toString('hex')];
};

// io.jwt.verify_<alg>(token, key text): the algorithm is the builtin's, whatever the header says.
function verifyWith(alg: string): Builtin {
  return (_context, token, keyText) => {
    const parts = tokenParts(token);
    const keys = policyKeys(stringOperand(keyText));
    const signature = base64urlBytes(parts.signature);
    const header = tokenHeader(jsonObject(parts.header, 'header'));
    return verifiedByKeys(keys, header, alg, { parts, signature });
  };
}

// io.jwt.verify_hs<bits>(token, secret): the secret is the text's bytes; the header is not read.
function verifyHmac(alg: string): Builtin {
  return (_context, token, secret) => {
    const parts = tokenParts(token);
    const signed = `${parts.header}.${parts.payload}`;
    return signatureVerifies(
      alg,
      Buffer.from(stringOperand(secret)),
      signed,
      base64urlBytes(parts.signature),
    );
  };
}

/** OPA's `io.jwt.*` builtins: decoding, verifying and signing tokens. */
export const jwtBuiltins: BuiltinTable = {
  'io.jwt.decode': decode,
  'io.jwt.decode_verify': decodeVerify,
  'io.jwt.encode_sign': jwtEncodeSign,
  'io.jwt.encode_sign_raw': jwtEncodeSignRaw,
  ...Object.fromEntries(
    Object.keys(SIGNATURE_SCHEMES).map((alg) => [`io.jwt.verify_${alg.toLowerCase()}`, verifyWith(alg)]),
  ),
  ...Object.fromEntries(
    Object.keys(HMAC_HASHES).map((alg) => [`io.jwt.verify_${alg.toLowerCase()}`, verifyHmac(alg)]),
  ),
};
