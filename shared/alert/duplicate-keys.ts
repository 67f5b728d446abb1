// JSON.parse keeps the last of two equal keys, so `{"k8s.ns.name":"kube-system","k8s.ns.name":"shop"}`
// would be read as `shop` by us and maybe as `kube-system` by whatever logged or routed it
// first. Such a body is ambiguous: it is refused. This scanner runs on text JSON.parse has
// already accepted (so it can assume well-formed input) and reports the first key that
// appears twice in one object, comparing keys after unescaping ("a" and "\u0061" are equal).

interface Frame {
  /** The keys seen so far in an object; undefined for an array. */
  keys: Set<string> | undefined;
  /** The key whose value is being read (its name in the path of a nested object). */
  pendingKey: string | undefined;
}

/** `path.to` of the innermost frame, built only when a duplicate is found. */
function pathOf(frames: Frame[]): string {
  let path = '';
  for (let j = 0; j < frames.length - 1; j++) {
    const frame = frames[j]!;
    const name = frame.keys ? (frame.pendingKey ?? '') : '[]';
    path = path === '' ? name : `${path}.${name}`;
  }
  return path;
}

/** Whether the quote at `at` is escaped: preceded by an odd number of backslashes. */
function isEscapedQuote(text: string, at: number): boolean {
  let backslashes = 0;
  while (text.charCodeAt(at - 1 - backslashes) === 0x5c /* \ */) backslashes++;
  return backslashes % 2 === 1;
}

/** The first duplicated key as `path.to.key`, or undefined when every object's keys are distinct. */
export function findDuplicateKey(text: string): string | undefined {
  // Strings are skipped with indexOf (most of an alert is string contents); a backslash is
  // looked for once and again only past it, so text without any costs one search.
  const frames: Frame[] = [];
  let expectKey = false;
  let nextBackslash = text.indexOf('\\');
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const start = i;
      let end = text.indexOf('"', i + 1);
      while (end !== -1 && isEscapedQuote(text, end)) end = text.indexOf('"', end + 1);
      if (end === -1) return undefined; // not reached: JSON.parse accepted the text
      if (nextBackslash !== -1 && nextBackslash < start) nextBackslash = text.indexOf('\\', start);
      const escaped = nextBackslash !== -1 && nextBackslash < end;
      i = end + 1; // past the closing quote
      const frame = frames[frames.length - 1];
      if (expectKey && frame?.keys) {
        const key = escaped ? (JSON.parse(text.slice(start, i)) as string) : text.slice(start + 1, end);
        if (frame.keys.has(key)) {
          const path = pathOf(frames);
          return path === '' ? key : `${path}.${key}`;
        }
        frame.keys.add(key);
        frame.pendingKey = key;
        expectKey = false;
      }
      continue;
    }
    if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      frames.push({ keys: c === 0x7b ? new Set() : undefined, pendingKey: undefined });
      expectKey = c === 0x7b;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      frames.pop();
      expectKey = false;
    } else if (c === 0x2c /* , */) {
      expectKey = frames[frames.length - 1]?.keys !== undefined;
    }
    i++;
  }
  return undefined;
}
