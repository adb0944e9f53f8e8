import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { venvPython } from '../testdata/python';

/** The master key the tests call the proxy with. */
export const MASTER_KEY = 'sk-litellm-test-master';
const CONFIG = path.join(__dirname, 'config.yaml');
const GUARDRAIL = path.join(__dirname, 'modelgate_guardrail.py');

/** A running LiteLLM proxy with the modelgate guardrail. */
export interface LitellmProxy {
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  stop(): void;
}

/**
 * Starts the real LiteLLM proxy from its cached virtualenv with the shipped config.yaml, unchanged: everything it
 * needs comes from the environment. Its model backend is `providerURL`; its guardrail asks `modelgateURL` with
 * `token` (written to a token file, as a workload identity agent would). `extraModels` are served as well, by the
 * same backend, and `failingModels` by none: the shipped config then goes, with those models added to its model_list
 * (and the failing ones' fallbacks to its router_settings) and nothing else changed, into a temporary folder beside
 * a copy of the guardrail (as docs/integrations.md deploys them).
 */
export async function startLitellmProxy(parts: {
  providerURL: string;
  modelgateURL: string;
  token: string;
  extraModels?: string[];
  /**
   * Models whose backend refuses every connection, each with the models LiteLLM's router falls back to when it
   * fails (router_settings.fallbacks), as an operator may configure.
   */
  failingModels?: Record<string, string[]>;
  /** More of the proxy's environment, e.g. the guardrail's MODELGATE_SCREEN_FIELDS. */
  env?: Record<string, string>;
}): Promise<LitellmProxy> {
  const python = venvPython('litellm');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mg-litellm-'));
  const tokenFile = path.join(dir, 'modelgate.jwt');
  writeFileSync(tokenFile, parts.token);
  const changed = parts.extraModels?.length || parts.failingModels;
  const config = changed ? configWithModels(dir, parts.extraModels ?? [], parts.failingModels ?? {}) : CONFIG;
  const port = await freePort();
  const proxy = spawn(
    path.join(path.dirname(python), 'litellm'),
    ['--config', config, '--host', '127.0.0.1', '--port', String(port)],
    {
      env: {
        ...process.env,
        LITELLM_MASTER_KEY: MASTER_KEY,
        LITELLM_LOCAL_MODEL_COST_MAP: 'True',
        LITELLM_TELEMETRY: 'False',
        OPENAI_API_BASE: parts.providerURL,
        OPENAI_API_KEY: 'sk-fake-provider-key',
        MODELGATE_URL: parts.modelgateURL,
        MODELGATE_TOKEN_FILE: tokenFile,
        ...parts.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let log = '';
  proxy.stdout?.on('data', (d: Buffer) => (log += d.toString()));
  proxy.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  await waitForProxy(proxy, `${url}/health/liveliness`, 150_000, () => log);
  return { url, stop: () => proxy.kill('SIGTERM') };
}

// Writes the shipped config with `models` added (each routed to the OpenAI-compatible backend), the failing models
// and their fallbacks, and the guardrail beside it into `dir`; returns the config's path.
function configWithModels(dir: string, models: string[], failing: Record<string, string[]>): string {
  const config = parseYaml(readFileSync(CONFIG, 'utf8')) as {
    model_list: unknown[];
    router_settings?: { fallbacks: Record<string, string[]>[] };
  };
  for (const name of models) {
    config.model_list.push({
      model_name: name,
      litellm_params: {
        model: `openai/${name}`,
        api_base: 'os.environ/OPENAI_API_BASE',
        api_key: 'os.environ/OPENAI_API_KEY',
      },
    });
  }
  for (const [name, fallbacks] of Object.entries(failing)) {
    // Port 9 (discard) on the loopback: nothing listens, every connection is refused at once.
    config.model_list.push({
      model_name: name,
      litellm_params: { model: `openai/${name}`, api_base: 'http://127.0.0.1:9/v1', api_key: 'sk-unused' },
    });
    config.router_settings = {
      fallbacks: [...(config.router_settings?.fallbacks ?? []), { [name]: fallbacks }],
    };
  }
  const file = path.join(dir, 'config.yaml');
  writeFileSync(file, stringifyYaml(config));
  copyFileSync(GUARDRAIL, path.join(dir, 'modelgate_guardrail.py'));
  return file;
}

async function waitForProxy(
  proxy: ChildProcess,
  url: string,
  timeoutMs: number,
  log: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proxy.exitCode !== null) throw new Error(`litellm exited with ${proxy.exitCode}:\n${log()}`);
    const ok = await fetch(url).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  proxy.kill('SIGTERM');
  throw new Error(`litellm did not start within ${timeoutMs} ms:\n${log()}`);
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
