import { isValidDate } from '../dates.js';
import type { Flag, FlagEnvironment } from '../model/flag.js';
import { closest, isYaml11Boolean, yaml11Replacement } from '../model/wording.js';
import type { FlagRule } from './context.js';

/** Rules that need one flag file and the policy, nothing else: their results can be cached. */

export const keyMatchesFileName: FlagRule = ({ file, flag, report }) => {
  const base = file.slice(file.lastIndexOf('/') + 1).replace(/\.ya?ml$/, '');
  if (base !== flag.key) {
    report(
      'model/key-mismatch',
      ['key'],
      `key "${flag.key}" differs from the file name "${base}"`,
      `rename the file to ${flag.key}.yaml or set key: ${base}`,
    );
  }
};

export const knownEnvironments: FlagRule = ({ flag, policy, report }) => {
  for (const env of Object.keys(flag.environments)) {
    if (!policy.environments.includes(env)) {
      const near = closest(env, policy.environments);
      report(
        'model/unknown-environment',
        ['environments', env],
        `environment "${env}" is not declared in the policy`,
        near ? `did you mean "${near}"?` : `declared environments: ${policy.environments.join(', ')}`,
        'key',
      );
    }
  }
};

export const wellFormedReferences: FlagRule = ({ flag, policy, report }) => {
  const org = new RegExp(policy.organizations.idPattern);
  const agreement = new RegExp(policy.agreements.referencePattern);
  const contract = new RegExp(policy.agreements.contractPattern);
  if (flag.contract !== undefined && !contract.test(flag.contract)) {
    report(
      'model/invalid-agreement',
      ['contract'],
      `contract "${flag.contract}" does not match ${policy.agreements.contractPattern}`,
      'use the reference as the CRM or billing system writes it',
    );
  }
  forEachGrant(flag, (grant, path) => {
    if (!org.test(grant.org)) {
      report(
        'model/invalid-org-id',
        [...path, 'org'],
        `organization id "${grant.org}" does not match ${policy.organizations.idPattern}`,
        'copy the id from the admin console; names are not ids',
      );
    }
    if (grant.agreement !== undefined && !agreement.test(grant.agreement)) {
      report(
        'model/invalid-agreement',
        [...path, 'agreement'],
        `agreement "${grant.agreement}" does not match ${policy.agreements.referencePattern}`,
        'use the reference as the CRM or billing system writes it',
      );
    }
    grant.agreements?.forEach((reference, i) => {
      if (!agreement.test(reference))
        report(
          'model/invalid-agreement',
          [...path, 'agreements', i],
          `agreement "${reference}" does not match ${policy.agreements.referencePattern}`,
          'use the reference as the CRM or billing system writes it',
        );
    });
    if (grant.agreement !== undefined && grant.agreements !== undefined)
      report(
        'model/invalid-agreement',
        [...path, 'agreements'],
        `grant to "${grant.org}" writes both agreement and agreements`,
        'list every agreement under agreements and remove agreement',
        'key',
      );
  });
};

export const uniqueGrants: FlagRule = ({ flag, report }) => {
  for (const [env, config] of Object.entries(flag.environments)) {
    const first = new Map<string, number>();
    (config.grants ?? []).forEach((grant, i) => {
      const earlier = first.get(grant.org);
      if (earlier === undefined) first.set(grant.org, i);
      else
        report(
          'model/duplicate-grant',
          ['environments', env, 'grants', i, 'org'],
          `organization "${grant.org}" is granted twice in ${env} (grants ${earlier} and ${i})`,
          'keep one grant per organization and environment',
        );
    });
  }
};

export const agreementsWhereRequired: FlagRule = ({ flag, policy, report }) => {
  if (!policy.types[flag.type].requiresAgreement) return;
  if (flag.contract === undefined) {
    report(
      'model/missing-contract',
      ['type'],
      `${flag.type} flags need a contract (agreement, plan or SKU reference)`,
      'add contract: <reference>',
    );
  }
  forEachGrant(flag, (grant, path) => {
    if (grant.agreement === undefined && grant.agreements === undefined) {
      report(
        'model/grant-missing-agreement',
        path,
        `grant to "${grant.org}" has no agreement; ${flag.type} grants must be traceable to one`,
        'add agreement: <reference of the customer agreement>',
      );
    }
  });
};

export const realDates: FlagRule = ({ flag, report }) => {
  for (const field of ['expires', 'reviewed'] as const) {
    const value = flag[field];
    if (value !== undefined && !isValidDate(value))
      report(
        'model/invalid-date',
        [field],
        `${field} ${value} is not a calendar date`,
        'use a real date, YYYY-MM-DD',
      );
  }
  forEachGrant(flag, (grant, path) => {
    if (grant.expires !== undefined && !isValidDate(grant.expires)) {
      report(
        'model/invalid-date',
        [...path, 'expires'],
        `expires ${grant.expires} is not a calendar date`,
        'use a real date, YYYY-MM-DD',
      );
    }
  });
};

export const consistentValues: FlagRule = ({ flag, report }) => {
  const variants = flag.variants;
  if (variants === undefined) {
    if (flag.defaultVariant !== undefined)
      report(
        'model/value-type',
        ['defaultVariant'],
        'defaultVariant needs variants; this flag is boolean',
        'add variants or remove defaultVariant',
      );
    for (const [env, config] of Object.entries(flag.environments))
      checkBooleanEnvironment(env, config, report);
    return;
  }
  const names = Object.keys(variants);
  const kinds = new Set(Object.values(variants).map(kindOf));
  if (kinds.size > 1)
    report(
      'model/mixed-variant-types',
      ['variants'],
      `variants mix ${[...kinds].sort().join(' and ')} values`,
      'give every variant a value of one type',
    );
  const known = (name: string, path: (string | number)[], what: string) => {
    if (!names.includes(name)) {
      const near = closest(name, names);
      report(
        'model/unknown-variant',
        path,
        `${what} "${name}" is not a variant of this flag`,
        near ? `did you mean "${near}"?` : `variants: ${names.join(', ')}`,
      );
    }
  };
  if (flag.defaultVariant === undefined)
    report(
      'model/value-type',
      ['variants'],
      'flags with variants need a defaultVariant',
      `add defaultVariant: ${names[0] ?? '<name>'}`,
      'key',
    );
  else known(flag.defaultVariant, ['defaultVariant'], 'defaultVariant');
  for (const [env, config] of Object.entries(flag.environments)) {
    const base = ['environments', env];
    if (typeof config.default === 'boolean')
      report(
        'model/value-type',
        [...base, 'default'],
        `default must name a variant, not ${config.default}`,
        `variants: ${names.join(', ')}`,
      );
    else if (config.default !== undefined) known(config.default, [...base, 'default'], 'default');
    (config.grants ?? []).forEach((grant, i) => {
      if (grant.variant === undefined)
        report(
          'model/value-type',
          [...base, 'grants', i],
          `grant to "${grant.org}" must name the variant it receives`,
          'add variant: <name>',
        );
      else known(grant.variant, [...base, 'grants', i, 'variant'], 'variant');
    });
    if (config.rollout !== undefined) {
      if (config.rollout.variant === undefined)
        report(
          'model/value-type',
          [...base, 'rollout'],
          'a rollout of a flag with variants must name its variant',
          'add variant: <name>',
        );
      else known(config.rollout.variant, [...base, 'rollout', 'variant'], 'variant');
    }
  }
};

function checkBooleanEnvironment(
  env: string,
  config: FlagEnvironment,
  report: Parameters<FlagRule>[0]['report'],
): void {
  const base = ['environments', env];
  if (typeof config.default === 'string') {
    if (isYaml11Boolean(config.default))
      report(
        'yaml/yaml11-boolean',
        [...base, 'default'],
        `"${config.default}" is a string in YAML 1.2, not a boolean`,
        `write ${yaml11Replacement(config.default)}`,
      );
    else
      report(
        'model/value-type',
        [...base, 'default'],
        `default of a boolean flag must be true or false, not "${config.default}"`,
        'write true or false, or declare variants',
      );
  }
  (config.grants ?? []).forEach((grant, i) => {
    if (grant.variant !== undefined)
      report(
        'model/value-type',
        [...base, 'grants', i, 'variant'],
        'grants of a boolean flag turn it on; they take no variant',
        'remove variant, or declare variants on the flag',
      );
  });
  if (config.rollout?.variant !== undefined)
    report(
      'model/value-type',
      [...base, 'rollout', 'variant'],
      'a rollout of a boolean flag turns it on; it takes no variant',
      'remove variant',
    );
}

export const meaningfulRollouts: FlagRule = ({ flag, report }) => {
  for (const [env, config] of Object.entries(flag.environments)) {
    if (config.rollout === undefined) continue;
    if (config.rollout.percentage === 0)
      report(
        'model/empty-rollout',
        ['environments', env, 'rollout', 'percentage'],
        `the rollout in ${env} serves 0% of organizations`,
        'remove the rollout or raise the percentage',
      );
    else if (!config.enabled)
      report(
        'model/empty-rollout',
        ['environments', env, 'rollout'],
        `the rollout in ${env} has no effect while the environment is disabled`,
        'enable the environment or remove the rollout',
      );
  }
};

function kindOf(value: unknown): string {
  if (value !== null && typeof value === 'object') return 'object';
  return typeof value;
}

export function forEachGrant(
  flag: Flag,
  visit: (
    grant: NonNullable<FlagEnvironment['grants']>[number],
    path: (string | number)[],
    env: string,
  ) => void,
): void {
  for (const [env, config] of Object.entries(flag.environments)) {
    (config.grants ?? []).forEach((grant, i) => {
      visit(grant, ['environments', env, 'grants', i], env);
    });
  }
}

export const MODEL_RULES: readonly FlagRule[] = [
  keyMatchesFileName,
  knownEnvironments,
  wellFormedReferences,
  uniqueGrants,
  agreementsWhereRequired,
  realDates,
  consistentValues,
  meaningfulRollouts,
];
