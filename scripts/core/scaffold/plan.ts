import { ownersOf, parseCodeowners } from '../codeowners/parse.js';
import { type FlagOwner, lineDiff, syncCodeowners } from '../codeowners/sync.js';
import type { IsoDate } from '../dates.js';
import { PUBLISHED_SCHEMAS, renderSchema } from '../model/json-schema.js';
import { OWNER_PATTERN, POLICY_FILE } from '../model/constants.js';
import { defaultPolicy } from '../model/policy.js';
import { policyFor, policyProblems, policyText, projectNameFrom } from './policy-template.js';
import { codeownersRules, exampleFlags, gitignoreText } from './repository-files.js';
import { adopterWorkflows } from './workflows.js';

/**
 * What `flags init` would do to a folder: every file it owns, each compared with what is there.
 * Data in (the options, today, the files' current texts), data out (a list of actions); the
 * command writes them. A file a person may have changed is never replaced unless forced: CODEOWNERS
 * and .gitignore are merged (the managed block, missing entries), the generated schemas are
 * rewritten, everything else that differs is kept and its difference shown.
 */

export interface InitChoices {
  /** Comma-separated, e.g. "dev,prod"; default: the policy model's. */
  environments?: string;
  project?: string;
  owner?: string;
  orgPattern?: string;
  agreementPattern?: string;
  contractPattern?: string;
  example?: boolean;
  force?: boolean;
}

export interface InitInput {
  choices: InitChoices;
  /** The folder's name, the project name when --project is not given. */
  folderName: string;
  today: IsoDate;
  /** How the workflows reference the action, e.g. ./node_modules/flags-as-code */
  action: string;
  /** Where CODEOWNERS is (or goes), e.g. CODEOWNERS or .github/CODEOWNERS. */
  codeownersFile: string;
  /** The flag files already in flags/ and their owners (undefined when a file does not load). */
  flags: readonly FlagOwner[];
  /** The current text of a repository-relative file, undefined when absent. */
  read(path: string): string | undefined;
}

/**
 * create: absent, written; unchanged: as init would write it; update: merged or regenerated;
 * overwrite: differs, replaced because of --force; keep: differs, left alone (diff shown).
 */
export type FileAction = 'create' | 'unchanged' | 'update' | 'overwrite' | 'keep';

export interface PlannedFile {
  path: string;
  action: FileAction;
  /** What the file holds, for people. */
  what: string;
  /** The text to write (for keep: the text init would have written). */
  text: string;
  /** Changed lines against the current text, "- old" / "+ new"; empty for create and unchanged. */
  diff: string[];
}

export interface InitPlan {
  project: string;
  environments: string[];
  owner: string | undefined;
  files: PlannedFile[];
}

export class InitProblem extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}

type Ownership = 'person' | 'merged' | 'generated';

export function planInit(input: InitInput): InitPlan {
  const { choices } = input;
  const project = choices.project ?? projectNameFrom(input.folderName);
  const policyChoices = {
    project,
    environments:
      choices.environments === undefined
        ? defaultPolicy().environments
        : choices.environments.split(',').map((e) => e.trim()),
    orgPattern: choices.orgPattern,
    agreementPattern: choices.agreementPattern,
    contractPattern: choices.contractPattern,
  };
  const problem = policyProblems(policyChoices)[0];
  if (problem)
    throw new InitProblem(
      `${problem.option}: ${problem.message}`,
      `e.g. flags init --environments dev,prod --owner @org/team`,
    );
  if (choices.owner !== undefined && !new RegExp(OWNER_PATTERN).test(choices.owner))
    throw new InitProblem(
      `--owner "${choices.owner}" is not a GitHub team or user`,
      'give @org/team or @user',
    );
  const currentCodeowners = input.read(input.codeownersFile);
  if (choices.owner === undefined && currentCodeowners === undefined)
    throw new InitProblem(
      'missing --owner: the repository has no CODEOWNERS to say who owns the flags',
      'give the owning team, e.g. flags init --owner @org/platform',
    );

  const exampleOwner = choices.example
    ? ownerOfExamples(choices.owner, currentCodeowners, input.codeownersFile)
    : '';
  const policy = policyFor(policyChoices);
  const files: { path: string; what: string; text: string; ownership: Ownership }[] = [];
  files.push({ path: POLICY_FILE, what: 'the policy', text: policyText(policyChoices), ownership: 'person' });

  const examples = choices.example ? exampleFlags(policy, exampleOwner, input.today) : [];
  for (const example of examples)
    files.push({ path: example.path, what: 'an example flag', text: example.text, ownership: 'person' });

  for (const [name, make] of Object.entries(PUBLISHED_SCHEMAS))
    files.push({
      path: `schemas/${name}`,
      what: 'a JSON Schema of the flag model (flags schemas --write)',
      text: renderSchema(make()),
      ownership: 'generated',
    });

  const owners: FlagOwner[] = [
    ...input.flags.filter((f) => !examples.some((e) => e.path === f.file)),
    ...examples.map((e) => ({ file: e.path, owner: exampleOwner })),
  ];
  const codeownersBase = currentCodeowners ?? codeownersRules(choices.owner!);
  files.push({
    path: input.codeownersFile,
    what: "code owners, with the managed block that makes each flag's owner a code owner",
    text: syncCodeowners(input.codeownersFile, codeownersBase, owners).text,
    ownership: 'merged',
  });

  files.push({
    path: '.gitignore',
    what: 'what git ignores: caches, development keys, built bundles',
    text: gitignoreText(input.read('.gitignore')).text,
    ownership: 'merged',
  });

  for (const workflow of adopterWorkflows({ action: input.action }))
    files.push({
      path: workflow.path,
      what: workflowPurpose(workflow.path),
      text: workflow.text,
      ownership: 'person',
    });

  return {
    project,
    environments: policy.environments,
    owner: choices.owner,
    files: files.map((f) => decide(f, input.read(f.path), choices.force === true)),
  };
}

/** The example flags' owner: --owner, else the team CODEOWNERS makes owner of flags/. */
function ownerOfExamples(owner: string | undefined, codeowners: string | undefined, file: string): string {
  if (owner !== undefined) return owner;
  const rule =
    codeowners === undefined ? undefined : ownersOf(parseCodeowners(file, codeowners), 'flags/x.yaml');
  const team = rule?.owners.find((o) => o.startsWith('@'));
  if (team !== undefined) return team;
  throw new InitProblem('--example needs an owner for the example flags', 'add --owner @org/team');
}

function workflowPurpose(path: string): string {
  if (path.endsWith('-pr.yml')) return 'the pull-request gate (check, diff, schemas, CODEOWNERS)';
  if (path.endsWith('-publish.yml')) return 'signing and publishing the bundles from the default branch';
  return 'the retirement bot';
}

function decide(
  file: { path: string; what: string; text: string; ownership: Ownership },
  current: string | undefined,
  force: boolean,
): PlannedFile {
  const base = { path: file.path, what: file.what, text: file.text };
  if (current === undefined) return { ...base, action: 'create', diff: [] };
  if (current.replace(/\r\n/g, '\n') === file.text) return { ...base, action: 'unchanged', diff: [] };
  const diff = lineDiff(current, file.text);
  if (file.ownership !== 'person') return { ...base, action: 'update', diff };
  return { ...base, action: force ? 'overwrite' : 'keep', diff };
}

/** Files the plan writes. */
export const writes = (plan: InitPlan): PlannedFile[] =>
  plan.files.filter((f) => f.action === 'create' || f.action === 'update' || f.action === 'overwrite');
