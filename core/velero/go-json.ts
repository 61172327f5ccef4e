/**
 * JSON as Go's encoding/json writes it, for the files stock Velero reads and its own tools compare: compact (or indented, as json.MarshalIndent), with
 * `<`, `>`, `&`, U+2028 and U+2029 escaped (Go's HTML-safe default). Those characters only occur inside strings in
 * JSON.stringify's output, so escaping the whole text is safe. Keys must already be in Go's order (sorted for maps).
 */
export function goJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(
    /[<>&\u2028\u2029]/g,
    (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** What json.Encoder.Encode writes: the value and a newline. */
export function goJsonLine(value: unknown): string {
  return `${goJson(value)}\n`;
}

/** Go's sort.Strings order (bytewise): the same as UTF-16 order for the ASCII names Kubernetes allows. */
export function goSorted(items: Iterable<string>): string[] {
  return [...items].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
