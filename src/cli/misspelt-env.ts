import { editDistance } from '../config/edit-distance';

// The variables modelgate reads. Others named MODELGATE_* belong to other programs (the integrations'
// MODELGATE_URL, Kubernetes' service links): only a near miss of one of these is taken for a typo.
const READ = [
  'MODELGATE_CONFIG',
  'MODELGATE_DB',
  'MODELGATE_DATABASE_URL',
  'MODELGATE_BUNDLE',
  'MODELGATE_DATA_DIR',
  'MODELGATE_OPA',
];

/**
 * Returns the usage error for a MODELGATE_* variable one or two letters from one modelgate reads, or null.
 * Ignored, MODELGATE_CONFG would start serve in development mode, and MODELGATE_DBB verify another log.
 */
export function misspeltEnvError(env: NodeJS.ProcessEnv): string | null {
  for (const name of Object.keys(env)) {
    if (!name.startsWith('MODELGATE_') || READ.includes(name)) continue;
    const meant = READ.find((known) => editDistance(name, known) <= 2);
    if (meant)
      return `${name} is not a variable modelgate reads: did you mean ${meant}? (rename or unset it)`;
  }
  return null;
}
