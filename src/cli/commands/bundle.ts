import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  promises as fs,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  BundleError,
  bundleName,
  parseBundle,
  readBundle,
  readBundleFiles,
  type BundleFiles,
} from '../../policy/bundle';
import { BundleErrorCode, errorText } from '../../errors';
import { SIGNATURES_FILE, verifyBundleSignature, type SignatureCheck } from '../../policy/bundle-signature';
import {
  leftToHost,
  probeModule,
  servedCapabilities,
  type Capabilities,
} from '../../policy/builtins/capabilities';
import { signBundleFiles, writeBundleTarball } from '../../policy/bundle-signer';
import { BUNDLE_ALGORITHMS, toKeyObject } from '../../policy/verification-keys';
import { sourceRevision } from '../../policy/source-revision';
import { WasmPolicyEngine } from '../../policy/wasm-policy-engine';
import type { JwtAlgorithm } from '../../schemas/issuer-config.schema';
import { argumentErrorText, parseCommandArgs, type CliCommand, type CliIo } from '../cli-command';
import { unknownWordText } from '../nearest-name';

const root = path.resolve(__dirname, '..', '..', '..');

const usage = `Usage: modelgate bundle <build|sign|verify|inspect|capabilities> [options]

The policy pipeline: build a WASM bundle from Rego, sign it, verify it as the service will, inspect
it. Signatures are OPA's (.signatures.json): bundles signed here load in OPA, bundles signed by OPA
load here.

  build <rego dir> -o OUT.tar.gz [-e ENTRYPOINT]... [--revision REV] [signing options]
      Runs the pinned \`opa build -t wasm\` (entrypoints default: modelgate/decision,
      modelgate/limits, and modelgate/approve when the policy defines it; *_test.rego ignored),
      loads the result as the service will (a policy calling a builtin modelgate does not provide
      fails here, and no bundle is written), then signs when --signing-key is given. The revision
      defaults to "rego-" and a hash of the policy and data files, as in npm run build:bundles.
  sign <bundle.tar.gz|dir> --signing-key KEY [-o OUT] [signing options]
      Writes .signatures.json: into the tarball (in place unless -o), or into the folder.
  verify <bundle.tar.gz|dir> --verification-key KEY [--verification-key-id ID] [--signing-alg ALG]
         [--scope S] [--exclude-files GLOB]... [-e ENTRYPOINT] [--allow-unsigned]
      Checks the signature and every file's digest, loads the WASM and checks the entrypoint.
      Prints the error code of a refusal (e.g. bundle_digest_mismatch).
  inspect <bundle.tar.gz|dir> [--json]
      Revision, entrypoints, files with their SHA-256, and the signature's claims (not verified).
  capabilities [-o FILE]
      OPA's capabilities document less the builtins a WASM policy cannot call in modelgate: for
      \`opa check --capabilities FILE\` and editors. \`build\` compiles with it, so such a call
      fails there.

Signing options:
  --signing-key KEY      PEM private key file (RS/PS/ES; Ed25519 for EdDSA), or the HMAC secret or a
                         file holding it (HS)
  --signing-alg ALG      one of ${BUNDLE_ALGORITHMS.slice(0, 6).join(', ')},
                         ${BUNDLE_ALGORITHMS.slice(6, 11).join(', ')},
                         ${BUNDLE_ALGORITHMS.slice(11).join(', ')} (default RS256)
  --key-id ID            the JWT kid (default "default", as OPA)
  --scope S              the scope claim
  --expires-in SECONDS   an exp claim (none by default, as OPA)

Other options (an action refuses the options it does not use):
  --opa FILE             the opa binary for build and capabilities (default $MODELGATE_OPA, else
                         the pinned version, installed on first use)

Exit status: 0 on success, 1 when verification or the build fails, 2 on a usage error.`;

const options = {
  output: { type: 'string', short: 'o' },
  entrypoint: { type: 'string', short: 'e', multiple: true },
  revision: { type: 'string' },
  'signing-key': { type: 'string' },
  'signing-alg': { type: 'string', default: 'RS256' },
  'key-id': { type: 'string', default: 'default' },
  scope: { type: 'string' },
  'expires-in': { type: 'string' },
  'verification-key': { type: 'string' },
  'verification-key-id': { type: 'string', default: 'default' },
  'exclude-files': { type: 'string', multiple: true },
  'allow-unsigned': { type: 'boolean', default: false },
  opa: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

type Values = ReturnType<typeof parse>['values'];

function parse(argv: string[]) {
  return parseCommandArgs({ args: argv, allowPositionals: true, options, tokens: true });
}

type OptionName = keyof typeof options;
const SIGNING: OptionName[] = ['signing-key', 'signing-alg', 'key-id', 'scope', 'expires-in'];
// What each action reads: another action's option would be accepted and ignored (`inspect -o FILE` writing
// nothing, `verify --json` printing text), so it is refused.
const OPTIONS_OF: Record<string, OptionName[]> = {
  build: ['output', 'entrypoint', 'revision', 'opa', ...SIGNING],
  sign: ['output', ...SIGNING],
  verify: [
    'verification-key',
    'verification-key-id',
    'signing-alg',
    'scope',
    'exclude-files',
    'entrypoint',
    'allow-unsigned',
  ],
  inspect: ['json'],
  capabilities: ['output', 'opa'],
};

function refuseForeignOptions(action: string, tokens: ReturnType<typeof parse>['tokens']): void {
  const allowed = OPTIONS_OF[action];
  if (!allowed) return;
  for (const token of tokens) {
    if (token.kind !== 'option' || token.name === 'help') continue;
    if (!(allowed as string[]).includes(token.name)) {
      throw new UsageError(`bundle ${action} does not take --${token.name}`);
    }
  }
}

/** Thrown for a wrong command line: exit 2 with the usage. */
class UsageError extends Error {}

/** `modelgate bundle`: build, sign, verify and inspect OPA bundles for the policy pipeline. */
export const bundleCommand: CliCommand = {
  name: 'bundle',
  summary: 'build, sign, verify and inspect policy bundles (OPA-compatible signatures)',
  usage,
  async run(argv, io) {
    let args;
    try {
      args = parse(argv);
    } catch (err) {
      io.stderr(`modelgate bundle: ${argumentErrorText(err)}\n\n${usage}\n`);
      return 2;
    }
    const [action, target, ...extra] = args.positionals;
    // `bundle help` as `audit help` and `report help`: one help text covers every action.
    const asked = args.values.help || action === 'help';
    if (asked || !action) {
      io[asked ? 'stdout' : 'stderr'](`${usage}\n`);
      return asked ? 0 : 2;
    }
    const near =
      action in OPTIONS_OF
        ? null
        : unknownWordText('modelgate bundle', 'action', action, Object.keys(OPTIONS_OF));
    if (near) {
      io.stderr(near);
      return 2;
    }
    try {
      refuseForeignOptions(action, args.tokens);
      if (action === 'capabilities') {
        if (target) throw new UsageError('bundle capabilities takes no path');
        return await printCapabilities(args.values, io);
      }
      if (!target || extra.length > 0) throw new UsageError(`bundle ${action} needs exactly one path`);
      switch (action) {
        case 'build':
          return await build(target, args.values, io);
        case 'sign':
          return await sign(target, args.values, io);
        case 'verify':
          return await verify(target, args.values, io);
        case 'inspect':
          return await inspect(target, args.values, io);
        default:
          throw new UsageError(`unknown action "${action}"`);
      }
    } catch (err) {
      if (err instanceof UsageError) {
        io.stderr(`modelgate bundle: ${err.message}\n\n${usage}\n`);
        return 2;
      }
      if (err instanceof BundleError) {
        io.stderr(`${err.code}: ${err.message}\n`);
        return 1;
      }
      throw err;
    }
  },
};

async function build(regoDir: string, values: Values, io: CliIo): Promise<number> {
  if (!values.output) throw new UsageError('bundle build needs -o OUT.tar.gz');
  if (!existsSync(regoDir)) throw new Error(`no Rego sources at ${regoDir}`);
  // Before the build: a key found unreadable afterwards left an unsigned bundle at -o.
  if (values['signing-key']) keyMaterial(values['signing-key'], algorithmOf(values));
  const opa = opaBinary(values, io);
  const capabilities = await writeCapabilities(opa);
  const opaArgs = ['build', '-t', 'wasm', '--ignore', '*_test.rego', '--capabilities', capabilities.file];
  // Without --revision, the sources' own: a bundle always says which Rego it holds.
  const revision = values.revision ?? (await sourceRevision(regoDir));
  opaArgs.push('-o', values.output, '--revision', revision);
  // opa build does not create it: `-o dist/modelgate.tar.gz` failed in a fresh checkout.
  await fs.mkdir(path.dirname(values.output), { recursive: true });
  const run = (entrypoints: readonly string[]) =>
    runOpaBuild(opa, [...opaArgs, ...entrypoints.flatMap((e) => ['-e', e]), regoDir]);
  let failure: string | undefined;
  try {
    if (values.entrypoint) {
      failure = run(values.entrypoint);
    } else {
      failure = run([...DEFAULT_ENTRYPOINTS, APPROVE_ENTRYPOINT]);
      // A policy without approvals builds without that entrypoint, and is told what that means.
      if (failure?.includes(`entrypoint "${APPROVE_ENTRYPOINT}" does not refer to a rule`)) {
        failure = run(DEFAULT_ENTRYPOINTS);
        if (failure === undefined) io.stderr(NO_APPROVE_NOTE);
      }
    }
  } finally {
    capabilities.remove();
  }
  if (failure !== undefined) {
    io.stderr(`opa build failed:\n${failure}`);
    if (/undefined function/.test(failure)) io.stderr(`${UNDEFINED_FUNCTION_HINT}\n`);
    return 1;
  }
  try {
    await WasmPolicyEngine.load(await readBundle(values.output));
  } catch (err) {
    // Whatever the service would refuse must not leave a bundle behind that CI could ship.
    await fs.rm(values.output, { force: true });
    io.stderr(`${BundleErrorCode.NotLoadable}: ${errorText(err)}\n`);
    return 1;
  }
  io.stderr(`built ${values.output} (revision ${revision}) with ${opa}\n`);
  if (!values['signing-key']) return 0;
  try {
    return await sign(values.output, values, io);
  } catch (err) {
    // A bundle asked to be signed is not left unsigned where a pipeline would ship it.
    await fs.rm(values.output, { force: true });
    throw err;
  }
}

// What the service calls: decisions, usage limits, and (for approvals) whether an approver may approve.
const DEFAULT_ENTRYPOINTS = ['modelgate/decision', 'modelgate/limits'];
const APPROVE_ENTRYPOINT = 'modelgate/approve';
const NO_APPROVE_NOTE =
  `note: the policy defines no ${APPROVE_ENTRYPOINT}, so the bundle has none: with it in force, approving a ` +
  'request answers 503 policy_unavailable (docs/approvals.md)\n';

/** Runs `opa build`; returns its output when it fails (compile errors are on stdout), undefined when it succeeds. */
function runOpaBuild(opa: string, args: readonly string[]): string | undefined {
  try {
    execFileSync(opa, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    return undefined;
  } catch (err) {
    const { stdout, stderr } = err as { stdout?: Buffer; stderr?: Buffer };
    return `${stdout?.toString('utf8') ?? ''}${stderr?.toString('utf8') ?? ''}` || (err as Error).message;
  }
}

async function sign(location: string, values: Values, io: CliIo): Promise<number> {
  if (!values['signing-key']) throw new UsageError('bundle sign needs --signing-key');
  const algorithm = algorithmOf(values);
  const files = await readBundleFiles(location);
  files.delete(SIGNATURES_FILE);
  const expires = values['expires-in'] === undefined ? undefined : Number(values['expires-in']);
  if (expires !== undefined && !(Number.isInteger(expires) && expires > 0)) {
    throw new UsageError('--expires-in must be a positive number of seconds');
  }
  let signatures: string;
  try {
    signatures = signBundleFiles(files, {
      algorithm,
      keyMaterial: keyMaterial(values['signing-key'], algorithm),
      keyId: values['key-id'],
      scope: values.scope,
      expiresInSeconds: expires,
    });
  } catch (err) {
    if (err instanceof UsageError) throw err;
    // OpenSSL's own text ("DECODER routines::unsupported") says neither which key nor what was expected.
    const key = existsSync(values['signing-key']) ? values['signing-key'] : 'the secret given';
    throw new Error(`cannot sign with --signing-key ${key} (${algorithm}): ${errorText(err)}`, {
      cause: err,
    });
  }
  if (statSync(location).isDirectory() && !values.output) {
    await fs.writeFile(path.join(location, SIGNATURES_FILE), signatures);
    io.stderr(
      `wrote ${path.join(location, SIGNATURES_FILE)} (${files.size} files, key ${values['key-id']})\n`,
    );
    return 0;
  }
  files.set(SIGNATURES_FILE, Buffer.from(signatures));
  const out = values.output ?? location;
  await writeBundleTarball(files, out);
  io.stderr(`signed ${out} (${files.size - 1} files, ${algorithm}, key ${values['key-id']})\n`);
  return 0;
}

async function verify(location: string, values: Values, io: CliIo): Promise<number> {
  const files = await readBundleFiles(location);
  const algorithm = algorithmOf(values);
  const keyId = values['verification-key-id'];
  const keys = new Map();
  if (values['verification-key']) {
    const material = keyMaterial(values['verification-key'], algorithm);
    keys.set(keyId, { id: keyId, algorithm, key: toKeyObject(material, algorithm, '--verification-key') });
  } else if (!values['allow-unsigned']) {
    throw new UsageError('bundle verify needs --verification-key (or --allow-unsigned)');
  }
  const check = await verifyBundleSignature(files, {
    signing: values['verification-key']
      ? {
          required: !values['allow-unsigned'],
          keyId,
          scope: values.scope,
          excludeFiles: values['exclude-files'] ?? [],
        }
      : { required: false, excludeFiles: [] },
    keys,
    nowMs: Date.now(),
  });
  const bundle = parseBundle(files, bundleName(location), location);
  // The service reports a module it cannot load as bundle_not_loadable; so must its check.
  const engine = await WasmPolicyEngine.load(bundle).catch((err: unknown) => {
    throw new BundleError(errorText(err), { code: BundleErrorCode.NotLoadable, cause: err });
  });
  for (const entrypoint of values.entrypoint ?? ['modelgate/decision']) {
    if (!engine.hasEntrypoint(entrypoint)) {
      io.stderr(
        `bundle_not_loadable: no entrypoint ${entrypoint} (it has: ${engine.info.entrypoints.join(', ')})\n`,
      );
      return 1;
    }
  }
  const signer = check.keyId ? `${signedBy(check)}, ${check.files.length} files` : 'unsigned';
  io.stdout(`OK ${location}: revision ${bundle.revision}, ${signer}\n`);
  return 0;
}

async function inspect(location: string, values: Values, io: CliIo): Promise<number> {
  const files = await readBundleFiles(location);
  const bundle = parseBundle(files, bundleName(location), location);
  const description = {
    name: bundle.name,
    revision: bundle.revision,
    entrypoints: (bundle.manifest.wasm ?? []).map((w) => w.entrypoint),
    files: [...files.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, content]) => ({ name, bytes: content.length, sha256: sha256(content) })),
    signature: describeSignature(files),
  };
  if (values.json) {
    io.stdout(`${JSON.stringify(description, null, 2)}\n`);
    return 0;
  }
  io.stdout(`bundle    ${description.name}\nrevision  ${description.revision}\n`);
  io.stdout(`entrypoints\n${description.entrypoints.map((e) => `  ${e}`).join('\n')}\nfiles\n`);
  for (const f of description.files)
    io.stdout(`  ${f.sha256.slice(0, 16)}  ${String(f.bytes).padStart(9)}  ${f.name}\n`);
  io.stdout(`signature ${description.signature ? JSON.stringify(description.signature) : 'none'}\n`);
  return 0;
}

function describeSignature(files: BundleFiles): Record<string, unknown> | null {
  const raw = files.get(SIGNATURES_FILE);
  if (!raw) return null;
  try {
    const token = (JSON.parse(raw.toString('utf8')) as { signatures: string[] }).signatures[0]!;
    const [header, payload] = token
      .split('.')
      .slice(0, 2)
      .map((p) => JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>);
    const { files: listed, ...claims } = payload as { files?: unknown[] };
    return { verified: false, header, claims, files: Array.isArray(listed) ? listed.length : 0 };
  } catch {
    return { verified: false, malformed: true };
  }
}

function algorithmOf(values: Values): JwtAlgorithm {
  const alg = values['signing-alg'];
  if (!(BUNDLE_ALGORITHMS as readonly string[]).includes(alg)) {
    throw new UsageError(`--signing-alg must be one of ${BUNDLE_ALGORITHMS.join(', ')}`);
  }
  return alg as JwtAlgorithm;
}

// As OPA's --signing-key/--verification-key: a file path, or for HS the secret itself.
function keyMaterial(value: string, algorithm: JwtAlgorithm): string {
  if (existsSync(value)) return readFileSync(value, 'utf8');
  if (algorithm.startsWith('HS')) return value;
  throw new UsageError(`cannot read the key file ${value}`);
}

const UNDEFINED_FUNCTION_HINT =
  'modelgate builds with the capabilities its WASM engine serves (`modelgate bundle capabilities` prints them): ' +
  'a builtin named above is not available to policies here; docs/policies.md, "Builtins", says why and what to use.';

// `modelgate bundle capabilities`: the capabilities document for `opa check --capabilities` and editors.
async function printCapabilities(values: Values, io: CliIo): Promise<number> {
  const opa = opaBinary(values, io);
  const text = `${JSON.stringify(await capabilitiesOf(opa), null, 2)}\n`;
  if (values.output) {
    await fs.mkdir(path.dirname(values.output), { recursive: true });
    await fs.writeFile(values.output, text);
    io.stderr(`wrote ${values.output} (the builtins a WASM policy can call in modelgate, from ${opa})\n`);
  } else {
    io.stdout(text);
  }
  return 0;
}

/** Returns OPA's capabilities for this binary, less the builtins modelgate's WASM engine does not serve. */
export async function capabilitiesOf(opa: string): Promise<Capabilities> {
  const capabilities = JSON.parse(
    execFileSync(opa, ['capabilities', '--current'], { encoding: 'utf8' }),
  ) as Capabilities;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'modelgate-capabilities-'));
  try {
    writeFileSync(path.join(dir, 'probe.rego'), probeModule(capabilities));
    const out = path.join(dir, 'probe.tar.gz');
    const build = ['build', '-t', 'wasm', '-e', 'probe', '-o', out, path.join(dir, 'probe.rego')];
    // The probe is v0 Rego, so that deprecated builtins compile; OPA 0.x reads v0 without the flag.
    try {
      execFileSync(opa, [...build, '--v0-compatible'], { stdio: 'pipe' });
    } catch {
      execFileSync(opa, build, { stdio: 'pipe' });
    }
    return servedCapabilities(capabilities, await leftToHost((await readBundle(out)).wasm));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function writeCapabilities(opa: string): Promise<{ file: string; remove(): void }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'modelgate-build-'));
  const file = path.join(dir, 'capabilities.json');
  writeFileSync(file, JSON.stringify(await capabilitiesOf(opa)));
  return { file, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

// --opa, then MODELGATE_OPA, then the pinned binary (installed on first use).
function opaBinary(values: Values, io: CliIo): string {
  return values.opa ?? io.env.MODELGATE_OPA ?? pinnedOpa();
}

function pinnedOpa(): string {
  return execFileSync(path.join(root, 'scripts', 'ensure-opa.sh'), { encoding: 'utf8' }).trim();
}

function sha256(content: Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

// The key the signature names and, when another one verified it (a --verification-key-id, or "default"), that one.
function signedBy(check: SignatureCheck): string {
  const named = check.namedKeyId ?? check.keyId;
  return named === check.keyId
    ? `signed by key ${named}`
    : `signed by key ${named}, verified with key ${check.keyId}`;
}
