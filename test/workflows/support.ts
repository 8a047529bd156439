import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

/** Workflows and the action as GitHub reads them. */

export const TOOLKIT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface Step {
  id?: string;
  name?: string;
  if?: string;
  uses?: string;
  run?: string;
  with?: Record<string, string | number | boolean>;
  env?: Record<string, string>;
}

export interface Job {
  name?: string;
  permissions?: Record<string, string>;
  needs?: string | string[];
  environment?: string;
  outputs?: Record<string, string>;
  strategy?: { matrix?: Record<string, unknown> };
  steps: Step[];
}

export interface Workflow {
  on: Record<string, unknown>;
  permissions?: unknown;
  env?: unknown;
  concurrency?: unknown;
  jobs: Record<string, Job>;
}

export const parseWorkflow = (text: string): Workflow => parse(text) as Workflow;

export const readRepoFile = (path: string): string =>
  readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

export const steps = (workflow: Workflow): Step[] => Object.values(workflow.jobs).flatMap((j) => j.steps);
