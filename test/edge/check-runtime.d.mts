export interface CheckResult {
  loaded: boolean;
  serial: number | undefined;
  value: unknown;
  reason: string;
  claims: string[];
  tampered: string;
  remembered: number[];
  /** Per decoder: each case's bytes in hex, or null where it is refused. */
  strict: Record<string, Record<string, string | null>>;
  paths: { nodeCrypto: boolean; buffer: boolean; fromBase64: boolean };
}

export function check(
  runtime: unknown,
  base64: unknown,
  native: unknown,
  scenario: unknown,
): Promise<CheckResult>;
