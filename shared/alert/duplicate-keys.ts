// JSON.parse keeps the last of two equal keys, so `{"k8s.ns.name":"kube-system","k8s.ns.name":"shop"}`
// would be read as `shop` by us and maybe as `kube-system` by whatever logged or routed it
// first. Such a body is ambiguous: it is refused. This scanner runs on text JSON.parse has
// already accepted (so it can assume well-formed input) and reports the first key that
// appears twice in one object, comparing keys after unescaping ("a" and "\u0061" are equal).

/** The first duplicated key as `path.to.key`, or undefined when every object's keys are distinct. */
export function findDuplicateKey(text: string): string | undefined {
  // One frame per open object or array: the keys seen so far (objects only) and its path.
  const frames: Array<{ keys: Set<string> | undefined; path: string; pendingKey: string | undefined }> = [];
  let expectKey = false;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const start = i;
      i++;
      let escaped = false;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d === 0x5c /* \ */) {
          escaped = true;
          i += 2;
          continue;
        }
        if (d === 0x22) break;
        i++;
      }
      i++; // past the closing quote
      const frame = frames[frames.length - 1];
      if (expectKey && frame?.keys) {
        const raw = text.slice(start + 1, i - 1);
        const key = escaped ? (JSON.parse(text.slice(start, i)) as string) : raw;
        if (frame.keys.has(key)) return frame.path === '' ? key : `${frame.path}.${key}`;
        frame.keys.add(key);
        frame.pendingKey = key;
        expectKey = false;
      }
      continue;
    }
    if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      const parent = frames[frames.length - 1];
      const name = parent ? (parent.keys ? parent.pendingKey : '[]') : '';
      const path = parent === undefined ? '' : parent.path === '' ? (name ?? '') : `${parent.path}.${name ?? ''}`;
      frames.push({ keys: c === 0x7b ? new Set() : undefined, path, pendingKey: undefined });
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
