// The command line's exit codes (documented in --help, pinned by tests).
export const EXIT = { done: 0, error: 1, usage: 2, refused: 3 } as const;

/** A command line the parser cannot make sense of: exit 2 with the command's usage. */
export class UsageError extends Error {}

/** A request understood and declined because it would undo something the functions did not do: exit 3. */
export class Refused extends Error {}

export const EXIT_CODES_HELP = 'Exit codes: 0 done, 1 error (API server, permissions), 2 usage, 3 refused (not made by falco-response).';
