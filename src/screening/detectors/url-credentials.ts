import type { Detector, TextSpan } from '../detector';
import { eachMatch } from '../each-match';
import { isPlaceholderValue } from '../validators/placeholder';

// "://user:password@host". The search is anchored on the literal "://"; the scheme is irrelevant. The user
// part stops at ":" and the password part at "@", "/" or whitespace, and both are bounded, so a failed match
// costs at most 384 steps and cannot cross the next "/" (where any later "://" begins). The host must start
// like a host name or an IPv6 literal.
const USERINFO = /:\/\/([^\s/:@'"<>`]{0,128}):([^\s/@'"<>`]{1,256})@(?=[A-Za-z0-9[])/g;

/**
 * Detects credentials embedded in URLs. The span is the userinfo (`user:password`), so a redacted URL keeps
 * its scheme and host: `postgres://[REDACTED:url_credentials]@db:5432/app`. Placeholders (`user:password`,
 * `${USER}:${PASS}`, `root:****`) are not reported.
 */
export const urlCredentialsDetector: Detector = {
  name: 'url-credentials',
  detect(text: string, out: TextSpan[]): void {
    if (!text.includes('://')) return;
    eachMatch(USERINFO, text, (m) => {
      const user = m[1] as string;
      const password = m[2] as string;
      if (isPlaceholderValue(password)) return;
      const start = m.index + 3;
      out.push({ start, end: start + user.length + 1 + password.length, class: 'url_credentials' });
    });
  },
};
