import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { createInterface, type Interface } from 'node:readline';

/** A client process of the `dpop` npm package holding its own key pair (see dpop-library-client.mjs). */
export interface DpopLibraryClient {
  /** The RFC 7638 thumbprint of the client's public key, as the library computes it: what `cnf.jkt` must be. */
  jkt: string;
  /** Returns a proof the library made for this request and token, with the server's nonce when one is given. */
  proof(request: { htu: string; htm: string; accessToken: string; nonce?: string }): Promise<string>;
  close(): void;
}

/** Starts a client of the `dpop` package whose key pair is of `alg` (ES256, PS256, RS256 or Ed25519). */
export async function startDpopLibraryClient(alg: string): Promise<DpopLibraryClient> {
  const child = spawn(process.execPath, [path.join(__dirname, 'dpop-library-client.mjs'), alg], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const lines = createInterface({ input: child.stdout });
  const { jkt } = (await nextLine(child, lines)) as { jkt: string };
  return {
    jkt,
    proof: async (request) => {
      child.stdin.write(`${JSON.stringify(request)}\n`);
      return ((await nextLine(child, lines)) as { proof: string }).proof;
    },
    close: () => child.kill(),
  };
}

function nextLine(child: ChildProcessWithoutNullStreams, lines: Interface): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const onExit = (code: number | null) => reject(new Error(`dpop client exited ${code}: ${stderr}`));
    child.once('exit', onExit);
    lines.once('line', (line) => {
      child.off('exit', onExit);
      resolve(JSON.parse(line));
    });
  });
}
