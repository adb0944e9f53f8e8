import type { Detector, TextSpan } from '../detector';
import { eachMatch } from '../each-match';
import { isKnownExampleSecret } from '../validators/known-examples';
import { looksRandom } from '../validators/random-token';

// AccountKey= (storage, 88 base64 characters) and SharedAccessKey= (Service Bus, Event Hubs, IoT Hub, 44
// characters). Connection-string keys are case-insensitive, so is the match. "SharedAccessKeyName=" does not
// match: the name must be followed by "=". Bounded quantifiers, token boundaries on both sides.
const KEY =
  /(?<![A-Za-z0-9])(?:AccountKey|SharedAccessKey)\s{0,2}=\s{0,2}([A-Za-z0-9+/]{32,120}={0,2})(?![A-Za-z0-9+/=])/gi;

// A storage account key alone (64 random bytes: 86 base64 characters and "==") after a name that says so, in the
// layouts tools write it: `az … --account-key <key>`, PowerShell `-StorageAccountKey "<key>"`, Terraform
// `storage_account_key = "<key>"`, `AZURE_STORAGE_KEY=<key>`, YAML with the key on the next line
// (`accountKey: >-`), an ARM parameter (`"storageAccountKey": {"value": "<key>"}`); and as `az storage account keys
// list` and `Get-AzStorageAccountKey` print them (`"keyName": "key1", … "value": "<key>"`, `key1 <key> Full`). The
// shape alone is also a SHA-512 digest's (`sha512-…==` in every lockfile), so the name is required. The scan starts
// on "key" and looks back for the rest of the name, as vendor-shapes' Mailchimp rule does, so it skips through text
// at the speed of a literal search; every alternative after it is bounded.
const B64_KEY = '[A-Za-z0-9+/]{86}==';
const ACCOUNT_KEY = new RegExp(
  'key(?:' +
    // storage_account_key = "…", --account-key …, -StorageAccountKey "…", accountKey: >-\n  …, {"value": "…"},
    // <account_key>…, { "AccountKey", "…" }, ACCOUNT_KEY ||\n "…", "the storage account key is …": up to 24 characters
    // of quotes, blanks and assignment punctuation between the name and the key.
    `(?<=(?:storage|account|primary|secondary)(?:[ _.-]?(?:account|access|storage)){0,2}[ _.-]?key)\\d?` +
    `(?:[\\s"'\x60:=>,{(|\\[\\]-]|\\bis\\b|\\bvalue\\b){0,24}(${B64_KEY})` +
    // az storage account keys list (no NUL between: a joined payload's texts are separated by NULs)
    `|(?<="key)Name"\\s{0,4}:\\s{0,4}"key[12]",[^{}\\0]{0,200}?"value"\\s{0,4}:\\s{0,4}"(${B64_KEY})"` +
    // Get-AzStorageAccountKey's table
    `|(?<=(?<![\\w-])key)[12][ \\t]{1,8}(${B64_KEY})[ \\t]{1,8}(?:Full|Read)\\b` +
    ')(?![A-Za-z0-9+/=])',
  'gi',
);

/** Detects the key part (`AccountKey=…`, `SharedAccessKey=…`) of Azure connection strings and storage account keys after their name. */
export const azureConnectionStringDetector: Detector = {
  name: 'azure-connection-string',
  detect(text: string, out: TextSpan[]): void {
    const ends = new Set<number>();
    eachMatch(KEY, text, (m) => {
      const value = m[1] as string;
      if (isKnownExampleSecret(value) || !looksRandom(value, { kinds: 3, minDistinct: 16 })) return;
      out.push({ start: m.index, end: m.index + m[0].length, class: 'azure_connection_string' });
      ends.add(m.index + m[0].length);
    });
    eachMatch(ACCOUNT_KEY, text, (m) => {
      const value = (m[1] ?? m[2] ?? m[3]) as string;
      const end = m.index + m[0].lastIndexOf(value) + value.length;
      // A connection string's AccountKey= is reported above, with its name.
      if (
        ends.has(end) ||
        isKnownExampleSecret(value) ||
        !looksRandom(value, { kinds: 3, minDistinct: 16 })
      ) {
        return;
      }
      out.push({
        start: end - value.length,
        end,
        class: 'azure_connection_string',
        rule: 'modelgate-azure-storage-account-key',
      });
    });
  },
};
