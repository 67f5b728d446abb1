// Writes made at the resourceVersion that was read fail with 409 when the object changed in
// between. What that means depends on how it is now: someone else already did it, it was
// replaced (another UID), or it merely changed (a controller wrote its status) and the write
// is made again at the new version, a bounded number of times. One loop for every such write.
import { KubeError } from './errors.ts';

export interface WriteAtReadVersion<R, T, A> {
  /** What was read first: the version the first write is made at. */
  read: R;
  /** Writes in all (the first included) before a 409 is given up on. */
  attempts: number;
  write(read: R): Promise<T>;
  readAgain(): Promise<R>;
  /** What the 409 meant, from the object as it is now; undefined: it merely changed, write again at this version. */
  settle(now: R): A | undefined;
}

export async function writeAtReadVersion<R, T, A>(options: WriteAtReadVersion<R, T, A>): Promise<T | A> {
  let read = options.read;
  for (let attempt = 1; ; attempt++) {
    try {
      return await options.write(read);
    } catch (error) {
      if (!(error instanceof KubeError && error.kind === 'conflict')) throw error;
      const now = await options.readAgain();
      const settled = options.settle(now);
      if (settled !== undefined) return settled;
      if (attempt >= options.attempts) throw error;
      read = now;
    }
  }
}
