// A feed's retention policy as the admin API's JSON body and `nugget retention set --file` give it
// (docs/retention.md): checked here, so a bad rule is a 400 that says which field and why, never a run that does
// something else than what the admin meant.
import { z } from 'zod';
import { parseIdPatterns } from '../auth/id-pattern.ts';
import { invalidInput } from '../errors.ts';
import { protectedRange, type RetentionPolicy } from './retention-rules.ts';

const packages = z
  .array(z.string().max(128))
  .min(1)
  .max(100)
  .optional()
  .transform((patterns) => (patterns === undefined ? undefined : parseIdPatterns(patterns.join(','))));
const count = z.number().int().min(1).max(100_000);
const days = z.number().int().min(1).max(100_000);
const action = z.enum(['unlist', 'delete']);

const ruleSchema = z.discriminatedUnion('kind', [
  z
    .object({ kind: z.literal('keep-latest'), per: z.enum(['major', 'minor']), count, action, packages })
    .strict(),
  z.object({ kind: z.literal('keep-latest-prereleases'), count, action, packages }).strict(),
  z.object({ kind: z.literal('prereleases-older-than'), days, action, packages }).strict(),
  z.object({ kind: z.literal('unlisted-older-than'), days, packages }).strict(),
  z.object({ kind: z.literal('keep-downloaded'), days, packages }).strict(),
]);

const policySchema = z
  .object({
    rules: z.array(ruleSchema).max(100),
    protected: z
      .array(
        z
          .object({
            id: z.string().min(1).max(128),
            versions: z.string().min(1).max(256).default('*'),
          })
          .strict(),
      )
      .max(10_000)
      .default([]),
  })
  .strict();

const example =
  '{"rules": [{"kind": "keep-latest-prereleases", "count": 5, "action": "delete"}], ' +
  '"protected": [{"id": "Contoso.*", "versions": "[1.0.0, 2.0.0)"}]}';

/** Parses and checks a policy; 400 naming the field when it is wrong. */
export function parseRetentionPolicy(input: unknown): RetentionPolicy {
  const parsed = policySchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join('.') || 'body';
    throw invalidInput(
      'retention_policy_invalid',
      `${field}: ${issue?.message ?? 'invalid'}. A retention policy looks like ${example}; the rule kinds are ` +
        'keep-latest (per major|minor, count, action), keep-latest-prereleases (count, action), ' +
        'prereleases-older-than (days, action), unlisted-older-than (days), keep-downloaded (days); ' +
        'action is unlist or delete; docs/retention.md.',
    );
  }
  for (const [index, entry] of parsed.data.protected.entries()) {
    parseIdPatterns(entry.id);
    if (!protectedRange(entry.versions)) {
      throw invalidInput(
        'retention_policy_invalid',
        `protected.${index}.versions: '${entry.versions.slice(0, 80)}' is not a NuGet version range ` +
          "(e.g. '1.2.3', '[1.0.0, 2.0.0)' or '*').",
      );
    }
  }
  const rules = parsed.data.rules.map((rule) =>
    rule.packages === undefined ? (({ packages: _, ...rest }) => rest)(rule) : rule,
  );
  return { rules, protected: parsed.data.protected };
}
