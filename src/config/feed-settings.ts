// The settings a feed may set for itself (docs/feeds.md, "Settings"), as the admin API's JSON body and the
// `nugget feed create|update` flags give them. Checked here, at the edge: a bad value is a 400 that says why.
import { z } from 'zod';
import { invalidInput } from '../errors.ts';
import type { FeedOverrides } from '../packages/feed.ts';
import { keyLifetimeSchema, sizeSchema } from './config.ts';

const flag = z.union([
  z.boolean(),
  z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((text) => ['true', '1', 'yes'].includes(text)),
]);

/** A feed's description and settings; null (JSON) resets a setting to the server default. */
export const feedChangeSchema = z
  .object({
    description: z.string().max(4000).optional(),
    private: flag.nullable().optional(),
    deleteBehavior: z.enum(['unlist', 'delete']).nullable().optional(),
    maxPackageSize: sizeSchema.nullable().optional(),
    allowRepushAfterDelete: flag.nullable().optional(),
    maxApiKeyLifetime: keyLifetimeSchema.nullable().optional(),
    maxFeedSize: sizeSchema.nullable().optional(),
    maxVersionsPerId: z.coerce.number().int().min(1).max(1_000_000).nullable().optional(),
  })
  .strict();

export interface FeedChange {
  readonly description?: string | undefined;
  /** Only the settings given; a setting given as undefined follows the server default again. */
  readonly overrides: FeedOverrides;
}

/** Parses a feed change (the admin API's body, or the CLI's flags); 400 naming the field when it is wrong. */
export function parseFeedChange(input: unknown): FeedChange {
  const parsed = feedChangeSchema.safeParse(input ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join('.') || 'body';
    throw invalidInput(
      'feed_settings_invalid',
      `${field}: ${issue?.message ?? 'invalid'}. Settings: description, private (true/false), deleteBehavior ` +
        '(unlist/delete), maxPackageSize (bytes or e.g. 250MB), allowRepushAfterDelete (true/false), maxApiKeyLifetime (e.g. 1d, 8d, 30d), maxFeedSize (e.g. 10GB), maxVersionsPerId (a number); null (on the command line: inherit) follows the server default again.',
    );
  }
  const { description, ...settings } = parsed.data;
  const overrides = Object.fromEntries(
    Object.entries(settings).map(([key, value]) => [key, value === null ? undefined : value]),
  ) as FeedOverrides;
  return { description, overrides };
}
