/** A problem the operator can fix (bad flag, service not reachable): printed without a stack trace. */
export class CliError extends Error {
  override name = 'CliError';
}
