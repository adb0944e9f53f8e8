import { promises as fs } from 'node:fs';
import path from 'node:path';
import { CaseFileError, loadCases, runCases, type CaseResult } from '../../policy/bundle-cases';
import { errorText } from '../../errors';
import { BundleError, readBundle } from '../../policy/bundle';
import { junitReport } from '../../policy/junit-report';
import { WasmPolicyEngine } from '../../policy/wasm-policy-engine';
import { argumentErrorText, parseCommandArgs, type CliCommand, type CliIo } from '../cli-command';

const usage = `Usage: modelgate test-bundle <bundle.tar.gz|dir> <cases file or dir>... [options]

Runs decision cases against a compiled OPA WASM bundle: the artifact you ship, not the Rego
sources (WASM and OPA's evaluator can differ on builtins).

Options:
  -e, --entrypoint PATH   policy entrypoint (default modelgate/decision)
      --junit FILE        also write a JUnit XML report (its folder is created)
  -v, --verbose           print passing cases too
  -h, --help              show this help

A case file (YAML or JSON):
  input_defaults: { ... }         deep-merged under every case's input
  cases:
    - name: support bot redacts email
      input: { payload: { findings: { email: 1 } } }
      expect:
        allow: true
        reasons: [budget_low]         every listed code present ([] = no reasons)
        obligations: [{ type: redact, classes: [email] }]   partial match
        absent_obligations: [cap_tokens]

Exit status: 0 when every case passes, 1 when one fails, 2 on a usage or load error (a key the
case format does not have, such as a misspelt "reason:", is one) or a --junit FILE not written.`;

/** `modelgate test-bundle`: bundle decision cases, a line per failure, a summary, JUnit for CI. */
export const testBundleCommand: CliCommand = {
  name: 'test-bundle',
  summary: 'run decision cases (YAML/JSON) against a compiled WASM bundle',
  usage,
  async run(argv, io) {
    let args;
    try {
      args = parseCommandArgs({
        args: argv,
        allowPositionals: true,
        options: {
          entrypoint: { type: 'string', short: 'e', default: 'modelgate/decision' },
          junit: { type: 'string' },
          verbose: { type: 'boolean', short: 'v', default: false },
          help: { type: 'boolean', short: 'h', default: false },
        },
      });
    } catch (err) {
      io.stderr(`modelgate test-bundle: ${argumentErrorText(err)}\n\n${usage}\n`);
      return 2;
    }
    if (args.values.help) {
      io.stdout(`${usage}\n`);
      return 0;
    }
    const [bundlePath, ...caseLocations] = args.positionals;
    if (!bundlePath || caseLocations.length === 0) {
      io.stderr(`modelgate test-bundle: needs a bundle and at least one cases file or folder.\n\n${usage}\n`);
      return 2;
    }
    let results: CaseResult[];
    try {
      const engine = await WasmPolicyEngine.load(await readBundle(bundlePath));
      if (!engine.hasEntrypoint(args.values.entrypoint)) {
        io.stderr(
          `${bundlePath}: no entrypoint ${args.values.entrypoint} (it has: ${engine.info.entrypoints.join(', ')})\n`,
        );
        return 2;
      }
      const cases = await loadCases(caseLocations);
      if (cases.length === 0) {
        io.stderr(`no cases found in ${caseLocations.join(', ')}\n`);
        return 2;
      }
      results = runCases(engine, args.values.entrypoint, cases);
      io.stderr(`bundle ${engine.info.bundle} revision ${engine.info.revision}, ${cases.length} cases\n`);
    } catch (err) {
      if (err instanceof BundleError || err instanceof CaseFileError) {
        io.stderr(`${err.message}\n`);
        return 2;
      }
      throw err;
    }
    report(results, args.values.verbose, io);
    if (args.values.junit) {
      // Exit 1 says a case failed; a report that could not be written is this run's failure, not the policy's.
      try {
        // As pytest's --junitxml: a CI job's reports/ folder does not exist in a fresh checkout.
        await fs.mkdir(path.dirname(args.values.junit), { recursive: true });
        await fs.writeFile(args.values.junit, junitReport(results, 'modelgate bundle cases'));
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? errorText(err);
        io.stderr(`modelgate test-bundle: cannot write the JUnit report ${args.values.junit} (${code})\n`);
        return 2;
      }
    }
    return results.some((r) => r.problems.length > 0) ? 1 : 0;
  },
};

function report(results: CaseResult[], verbose: boolean, io: CliIo): void {
  for (const r of results) {
    const where = `${r.case.file}: ${r.case.name}`;
    if (r.problems.length === 0) {
      if (verbose) io.stdout(`PASS ${where}\n`);
      continue;
    }
    io.stdout(`FAIL ${where}\n`);
    for (const p of r.problems) io.stdout(`     - ${p}\n`);
  }
  const failed = results.filter((r) => r.problems.length > 0).length;
  io.stdout(`bundle cases: ${results.length - failed} passed, ${failed} failed\n`);
}
