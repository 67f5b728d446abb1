// Why a commit could not be made, apart from the Git client, so deciding what to do about it
// does not load the client.
export type GitFailureKind = 'auth' | 'conflict' | 'unreachable' | 'edit' | 'rejected';

export class GitFailure extends Error {
  readonly kind: GitFailureKind;
  readonly attempts: number;
  constructor(kind: GitFailureKind, message: string, attempts: number) {
    super(message);
    this.kind = kind;
    this.attempts = attempts;
  }
}
