import type { Detector, TextSpan } from '../detector';
import { eachMatch } from '../each-match';
import { isKnownExampleSecret } from '../validators/known-examples';
import { looksRandom } from '../validators/random-token';

// AccountKey= (storage, 88 base64 characters) and SharedAccessKey= (Service Bus, Event Hubs, IoT Hub, 44
// characters). Connection-string keys are case-insensitive, so is the match. "SharedAccessKeyName=" does not
// match: the name must be followed by "=". Bounded quantifiers, token boundaries on both sides.
const KEY =
  /(?<![A-Za-z0-9])(?:AccountKey|SharedAccessKey)\s{0,2}=\s{0,2}([A-Za-z0-9+/]{32,120}={0,2})(?![A-Za-z0-9+/=])/gi;

/** Detects the key part (`AccountKey=…`, `SharedAccessKey=…`) of Azure connection strings. */
export const azureConnectionStringDetector: Detector = {
  name: 'azure-connection-string',
  detect(text: string, out: TextSpan[]): void {
    eachMatch(KEY, text, (m) => {
      const value = m[1] as string;
      if (isKnownExampleSecret(value) || !looksRandom(value, { kinds: 3, minDistinct: 16 })) return;
      out.push({ start: m.index, end: m.index + m[0].length, class: 'azure_connection_string' });
    });
  },
};
