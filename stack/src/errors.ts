/** What went wrong at the launcher's boundary. */
export type StackErrorKind =
  | "config"
  | "port-in-use"
  | "missing-dependency"
  | "locked"
  | "start-failed"
  | "unreachable"
  | "aborted";

/**
 * The one error type of the stack launcher. `variable` names the environment
 * variable to fix when the error comes from configuration, so the CLI can say
 * exactly what to change.
 */
export class StackError extends Error {
  readonly kind: StackErrorKind;
  readonly retryable: boolean;
  readonly variable: string | undefined;

  constructor(
    kind: StackErrorKind,
    message: string,
    options: { retryable?: boolean; variable?: string; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "StackError";
    this.kind = kind;
    this.retryable = options.retryable ?? false;
    this.variable = options.variable;
  }
}
