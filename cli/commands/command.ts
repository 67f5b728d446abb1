// What a command gets: the parsed flags, a way to reach the cluster, and where to write.
import type { CommonFlags } from '../args.ts';
import type { Connection } from '../connect.ts';

export interface CommandContext {
  common: CommonFlags;
  own: Record<string, string | boolean | undefined>;
  positionals: string[];
  connect(): Connection;
  write(text: string): void;
}
