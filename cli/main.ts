// falco-response: the command line for the people on call (also `kubectl falco-response`, as
// kubectl runs any kubectl-falco_response on the PATH). One job per command in ./commands/.
import { COMMON_FLAGS_HELP, parseCommand } from './args.ts';
import { connect } from './connect.ts';
import { evidence, EVIDENCE_HELP } from './commands/evidence.ts';
import type { CommandContext } from './commands/command.ts';
import { release, RELEASE_HELP } from './commands/release.ts';
import { restore, RESTORE_HELP } from './commands/restore.ts';
import { status, STATUS_HELP } from './commands/status.ts';
import { EXIT, EXIT_CODES_HELP, Refused, UsageError } from './exit-codes.ts';

type Flag = { type: 'string' | 'boolean' };

const COMMANDS: Record<string, { run: (context: CommandContext) => Promise<number>; help: string; flags: Record<string, Flag> }> = {
  status: { run: status, help: STATUS_HELP, flags: { 'evidence-namespace': { type: 'string' } } },
  release: { run: release, help: RELEASE_HELP, flags: { force: { type: 'boolean' } } },
  restore: { run: restore, help: RESTORE_HELP, flags: { replicas: { type: 'string' }, force: { type: 'boolean' } } },
  evidence: { run: evidence, help: EVIDENCE_HELP, flags: { 'evidence-namespace': { type: 'string' }, 'older-than': { type: 'string' } } },
};

const DRY_RUN_HELP = '  --dry-run           say what would change, change nothing (release, restore, prune)';

export const MAIN_HELP = `falco-response: what the Falco response functions did, and undoing it.

Commands:
  status     what the functions did and what is still in effect
  release    remove the quarantine isolate-pod put on a pod
  restore    scale a workload scale-to-zero scaled back up
  evidence   list, show, save or prune the evidence kept before each action

falco-response COMMAND --help for a command's flags.
${COMMON_FLAGS_HELP}
${EXIT_CODES_HELP}`;

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

export async function main(
  argv: string[],
  io: Io = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) },
): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? io.err : io.out)(`${MAIN_HELP}\n`);
    return name === undefined ? EXIT.usage : EXIT.done;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.err(`unknown command ${JSON.stringify(name)}\n\n${MAIN_HELP}\n`);
    return EXIT.usage;
  }
  try {
    const parsed = parseCommand(rest, command.flags);
    if (parsed.common.help) {
      io.out(`${command.help}\n\n${COMMON_FLAGS_HELP}\n${DRY_RUN_HELP}\n${EXIT_CODES_HELP}\n`);
      return EXIT.done;
    }
    let connection: ReturnType<typeof connect> | undefined;
    return await command.run({ ...parsed, connect: () => (connection ??= connect(parsed.common)), write: io.out });
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`falco-response ${name}: ${error.message}\n\n${command.help}\n`);
      return EXIT.usage;
    }
    if (error instanceof Refused) {
      io.err(`falco-response ${name}: refused: ${error.message}\n`);
      return EXIT.refused;
    }
    io.err(`falco-response ${name}: ${(error as Error).message}\n`);
    return EXIT.error;
  }
}
