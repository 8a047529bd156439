/**
 * The few errors a command can end with. Anything a user can cause becomes a FlagsError with a
 * location and a hint; the CLI prints it without a stack trace. Exit codes: 0 clean, 1 findings or
 * a failed verification, 2 usage, configuration or internal error.
 */

export interface ErrorLocation {
  file?: string;
  line?: number;
  col?: number;
}

export class FlagsError extends Error {
  readonly hint: string | undefined;
  readonly location: ErrorLocation;
  readonly exitCode: number;
  constructor(message: string, options: { hint?: string; location?: ErrorLocation; exitCode?: number } = {}) {
    super(message);
    this.name = 'FlagsError';
    this.hint = options.hint;
    this.location = options.location ?? {};
    this.exitCode = options.exitCode ?? 2;
  }
}

/** Wrong options or arguments. */
export class UsageError extends FlagsError {
  constructor(message: string, hint?: string) {
    super(message, { hint, exitCode: 2 });
    this.name = 'UsageError';
  }
}

/** Input that is not what it should be (a tampered bundle, a broken export file): exit 1. */
export class InputError extends FlagsError {
  constructor(message: string, options: { hint?: string; location?: ErrorLocation } = {}) {
    super(message, { ...options, exitCode: 1 });
    this.name = 'InputError';
  }
}

export function describeLocation(location: ErrorLocation): string {
  if (!location.file) return '';
  return `${location.file}${location.line ? `:${location.line}${location.col ? `:${location.col}` : ''}` : ''}: `;
}
