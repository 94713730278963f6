/** A refusal the users CLI states in one line on stderr, then exits with `exitCode` (2: the command line itself is wrong). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export const usageError = (message: string) => new CliError(`${message} (see --help)`, 2);
