import { type Finding, finding, type Position } from '../findings/finding.js';
import type { Organization } from '../model/organization.js';
import { schemaFindings } from '../model/schema-findings.js';
import { validators } from '../model/validators.js';
import { loadYaml, locate, type PathSegment } from '../yaml/load.js';

/**
 * Reads one subscription file (flags/_organizations/<org-id>.yaml) with the same YAML hazards
 * refused as in flag files, validated against schemas/organization.schema.json, and keeps where
 * each value is written so that findings about it have a position.
 */

export interface OrganizationFile {
  file: string;
  organization: Organization;
  locate(path: readonly PathSegment[], which?: 'key' | 'value'): Position;
}

export function readOrganizationFile(
  file: string,
  bytes: Uint8Array,
  maxBytes: number,
): { parsed?: OrganizationFile; findings: Finding[] } {
  const { loaded, findings, empty } = loadYaml(file, bytes, maxBytes);
  if (!loaded) {
    if (empty)
      findings.push(
        finding(
          'schema/missing-field',
          file,
          { line: 1, col: 1 },
          'the file is empty: it is missing the required field "organization"',
          'write organization: <id> and subscriptions: [...], or delete the file',
        ),
      );
    return { findings };
  }
  const validate = validators().organization;
  if (!validate(loaded.value))
    return {
      findings: [
        ...findings,
        ...schemaFindings(file, loaded, validate.errors ?? [], 'schemas/organization.schema.json'),
      ],
    };
  return {
    parsed: { file, organization: loaded.value, locate: (path, which) => locate(loaded, path, which) },
    findings,
  };
}
