/**
 * An Azure Storage account key outside a connection string: 86 base64 characters and "==" after a name that says
 * it is one. The same shape is a SHA-512 digest's, so without such a name nothing is reported.
 */
import { createHash } from 'node:crypto';
import { detectTexts } from '../../src/screening/detect-joined';
import { detectText } from '../../src/screening/detect-text';
import { fakeRandom } from './fake-values';

const pick = fakeRandom(23);
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
// 64 random bytes in base64, as the portal shows a key; "+" and "/" included.
const key = `${pick(B64, 40)}+/${pick(B64, 44)}==`;
const digest = createHash('sha512').update('left-pad@1.3.0').digest('base64');

const accountKeys = (text: string): string[] =>
  detectText(text)
    .filter((s) => s.class === 'azure_connection_string')
    .map((s) => text.slice(s.start, s.end));

describe('Azure Storage account keys after their name', () => {
  it('builds a key and a digest of the same shape', () => {
    expect(key).toMatch(/^[A-Za-z0-9+/]{86}==$/);
    expect(digest).toMatch(/^[A-Za-z0-9+/]{86}==$/);
  });

  it.each([
    [
      'the az CLI flag',
      `az storage blob upload -f a.zip -c builds --account-name stfake --account-key ${key}`,
    ],
    ['the az CLI flag with =', `az storage container list --account-key="${key}" -o table`],
    [
      'a PowerShell parameter',
      `$ctx = New-AzStorageContext -StorageAccountName stfake -StorageAccountKey "${key}"`,
    ],
    ['a Terraform variable', `storage_account_key = "${key}"`],
    ['an environment variable', `AZURE_STORAGE_KEY=${key}`],
    ['an environment variable with the account', `export AZURE_STORAGE_ACCOUNT_KEY='${key}'`],
    ['YAML with the key on the next line', `storage:\n  accountKey: >-\n    ${key}\n  container: logs`],
    ['YAML with the key on the next line, plain', `azure:\n  account_key:\n    ${key}\n`],
    ['an ARM parameter', `"storageAccountKey": {\n  "value": "${key}"\n}`],
    ['a Terraform output', `primary_access_key = "${key}"`],
    [
      'az storage account keys list',
      JSON.stringify(
        [{ creationTime: '2026-01-01T00:00:00Z', keyName: 'key1', permissions: 'FULL', value: key }],
        null,
        2,
      ),
    ],
    ["Get-AzStorageAccountKey's table", `KeyName Value${' '.repeat(84)}Permissions\nkey1    ${key} Full`],
    ['a sentence', `the storage account key is ${key}, please rotate it`],
    ['an XML element', `<azure>\n  <account_key>${key}</account_key>\n</azure>`],
    ['a C# dictionary entry', `{ "AccountName", "stfake" },\n{ "SecondaryAccountKey", "${key}" },`],
    [
      'a fallback after an environment variable',
      `export const key =\n  process.env.ACCOUNT_KEY ||\n  "${key}";`,
    ],
    ['a Java constant on the next line', `static final String DEFAULT_ACCOUNT_KEY\n        = "${key}";`],
    ['a PHP array', `'account_key' => '${key}',`],
  ])('finds a key in %s', (_name, text) => {
    expect(accountKeys(text)).toEqual([key]);
    expect(detectText(text).find((s) => s.class === 'azure_connection_string')?.rule).toBe(
      'modelgate-azure-storage-account-key',
    );
  });

  it('reads a key listing within one text of a payload, not across two', () => {
    const listing = ['[{"keyName": "key1", "permissions": "FULL",', `"value": "${key}"}]`];
    expect(accountKeys(listing.join(' '))).toEqual([key]);
    expect(detectTexts(listing).map((spans) => spans.length)).toEqual([0, 0]);
  });

  it('reports a connection string once, under its own rule', () => {
    const text = `DefaultEndpointsProtocol=https;AccountName=stfake;AccountKey=${key};EndpointSuffix=core.windows.net`;
    expect(detectText(text).map((s) => s.rule)).toEqual(['modelgate-azure-connection-string']);
  });

  it.each([
    ['a lockfile integrity', `"integrity": "sha512-${digest}"`],
    ['a digest after another name', `checksum: ${digest}`],
    ['a digest after a key name of something else', `cache_key: ${digest}`],
    ['a digest in a sentence', `its SHA-512 is ${digest} as published`],
    ['a placeholder key', `--account-key ${'A'.repeat(86)}==`],
    ['a reference', `--account-key $AZURE_STORAGE_KEY`],
    ['a key that is not a storage key', `"value": "${key}"`],
  ])('leaves %s alone', (_name, text) => {
    expect(accountKeys(text)).toEqual([]);
  });
});
