export {
  CLASS_DESCRIPTIONS,
  PII_CLASSES,
  PII_CLASS_DESCRIPTIONS,
  SCREENING_CLASSES,
  SECRET_CLASSES,
  SECRET_CLASS_DESCRIPTIONS,
  isScreeningClass,
  type PiiClass,
  type ScreeningClass,
  type SecretClass,
} from './classes';
export { DEFAULT_MAX_CHARS, type PathStep } from './payload-leaves';
export { screenPayload, type Finding, type ScreenOptions, type ScreeningResult } from './screen-payload';
export { DEFAULT_REDACTION_FORMAT, UnknownClassError, redactPayload } from './redact-payload';
export {
  DEFAULT_SCREENING_CACHE_ENTRIES,
  ScreeningCache,
  cacheScope,
  callerScope,
  textKey,
} from './screening-cache';
export {
  DEFAULT_INLINE_CHARS,
  DEFAULT_SCREENING_BUDGET_MS,
  ScreeningPool,
  type ScreeningPoolOptions,
} from './screening-pool';
