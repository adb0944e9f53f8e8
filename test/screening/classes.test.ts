import {
  CLASS_DESCRIPTIONS,
  isScreeningClass,
  PII_CLASSES,
  SCREENING_CLASSES,
  SECRET_CLASSES,
} from '../../src/screening/index';

describe('screening classes', () => {
  it('keeps the stable class names policies match on', () => {
    expect(SECRET_CLASSES).toEqual([
      'aws_access_key',
      'aws_secret_key',
      'gcp_service_account_key',
      'azure_connection_string',
      'github_token',
      'gitlab_token',
      'slack_token',
      'stripe_key',
      'npm_token',
      'openai_api_key',
      'anthropic_api_key',
      'private_key',
      'jwt',
      'url_credentials',
      'password_assignment',
      'api_token',
      'generic_credential',
    ]);
    expect(PII_CLASSES).toEqual([
      'email',
      'phone',
      'credit_card',
      'iban',
      'us_ssn',
      'ip_address',
      'national_id',
    ]);
    expect(SCREENING_CLASSES).toEqual([...SECRET_CLASSES, ...PII_CLASSES]);
  });

  it('describes every class in one line', () => {
    for (const cls of SCREENING_CLASSES) expect(CLASS_DESCRIPTIONS[cls]).toMatch(/^[^\n]{5,120}$/);
  });

  it('tells class names from other strings', () => {
    expect(isScreeningClass('email')).toBe(true);
    expect(isScreeningClass('emails')).toBe(false);
    expect(isScreeningClass('toString')).toBe(false);
  });
});
