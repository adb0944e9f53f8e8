/**
 * Calls `fn` for every match of a global or sticky-free regex in `text`, in order. Unlike String#matchAll it
 * does not clone the regex on every call, which matters when a payload has thousands of short leaves.
 * `fn` must not use `re` itself (the regex's lastIndex is the loop's cursor).
 */
export function eachMatch(re: RegExp, text: string, fn: (m: RegExpExecArray) => void): void {
  re.lastIndex = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    fn(m);
    if (m[0].length === 0) re.lastIndex++;
  }
}
