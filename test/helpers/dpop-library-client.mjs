// A DPoP client made of the `dpop` npm package (RFC 9449 proofs, by the author of oauth4webapi and jose), run in
// its own process because the package is ESM only, which jest's CommonJS modules cannot load. It makes its own key
// pair, prints the key's RFC 7638 thumbprint as the library computes it, then answers each request line
// ({"htu", "htm", "accessToken", "nonce"?}) with a proof line ({"proof"}), both JSON.
import process from 'node:process';
import { createInterface } from 'node:readline';
import { calculateThumbprint, generateKeyPair, generateProof } from 'dpop';

const keypair = await generateKeyPair(process.argv[2] ?? 'ES256');
process.stdout.write(`${JSON.stringify({ jkt: await calculateThumbprint(keypair.publicKey) })}\n`);
for await (const line of createInterface({ input: process.stdin })) {
  const { htu, htm, accessToken, nonce } = JSON.parse(line);
  const proof = await generateProof(keypair, htu, htm, nonce, accessToken);
  process.stdout.write(`${JSON.stringify({ proof })}\n`);
}
