// The settings a feed may set for itself (docs/feeds.md, "Settings"), as the admin API's JSON body and the
// `nugget feed create|update` flags give them. Checked here, at the edge: a bad value is a 400 that says why.
import { z } from 'zod';
import { parseIdPatterns } from '../auth/id-pattern.ts';
import { durationMs } from '../duration.ts';
import { invalidInput } from '../errors.ts';
import {
  type FeedKind,
  type FeedOverrides,
  feedKinds,
  type UpstreamAllowance,
  type UpstreamOverrides,
  type VirtualOverrides,
} from '../packages/feed.ts';
import { keyLifetimeSchema, sizeSchema } from './config.ts';

const flag = z.union([
  z.boolean(),
  z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((text) => ['true', '1', 'yes'].includes(text)),
]);

/** A duration as '30s', '10m', '1h', '3d' (or a number of seconds); `min` in ms. */
const durationSetting = (min: number) =>
  z
    .union([z.number(), z.string()])
    .transform((value, ctx) => {
      const ms =
        typeof value === 'number'
          ? value * 1000
          : durationMs(value, { units: ['ms', 's', 'm', 'h', 'd', 'w'], bare: 's' });
      if (ms === undefined || !Number.isFinite(ms)) {
        ctx.addIssue({
          code: 'custom',
          message: `'${value}' is not a duration: use e.g. 500ms, 30s, 10m, 1h, 3d`,
        });
        return z.NEVER;
      }
      return ms;
    })
    .pipe(
      z
        .number()
        .int()
        .min(min, { error: `must be at least ${min} ms` })
        .max(366 * 86_400_000),
    );

/** Id patterns as a JSON array or one comma-separated string (auth/id-pattern.ts). */
const idPatterns = z
  .union([z.array(z.string()).max(200), z.string().max(20_000)])
  .transform((value) => parseIdPatterns(Array.isArray(value) ? value.join(',') : value));

const feedNameText = z.string().regex(/^[a-z0-9._-]{1,64}$/, { error: 'is not a feed name' });

/** 'nuget-org:Contoso.Public.*' pairs: an upstream member allowed for ids a hosted member has. */
const allowances = z
  .union([z.array(z.string()).max(200), z.string().max(20_000)])
  .transform((value, ctx): UpstreamAllowance[] => {
    const items = (Array.isArray(value) ? value : value.split(','))
      .map((item) => item.trim())
      .filter(Boolean);
    const result: UpstreamAllowance[] = [];
    for (const item of items) {
      const at = item.indexOf(':');
      const feed = item.slice(0, at).trim();
      const pattern = item.slice(at + 1).trim();
      if (at < 1 || !/^[a-z0-9._-]{1,64}$/.test(feed) || pattern === '') {
        ctx.addIssue({
          code: 'custom',
          message: `'${item}' is not feed:pattern, e.g. nuget-org:Contoso.Public.*`,
        });
        return z.NEVER;
      }
      result.push(...parseIdPatterns(pattern).map((p) => ({ feed, pattern: p })));
    }
    return result;
  });

const httpUrl = z
  .string()
  .max(2000)
  .refine(
    (text) => {
      try {
        const url = new URL(text);
        return (url.protocol === 'https:' || url.protocol === 'http:') && !url.username && !url.password;
      } catch {
        return false;
      }
    },
    {
      error:
        'is not an http(s) URL of a V3 service index (credentials go in --upstream-credentials, not the URL)',
    },
  );

const members = z
  .union([z.array(feedNameText).max(64), z.string().max(5000)])
  .transform((value) =>
    Array.isArray(value)
      ? value
      : value
          .split(',')
          .map((item) => item.trim())
          .filter(Boolean),
  )
  .pipe(z.array(feedNameText).min(1, { error: 'name at least one member feed' }).max(64));

/** The settings of upstream feeds (docs/upstreams.md); null resets one to its default. */
const upstreamShape = {
  metadataTtl: durationSetting(0).nullable().optional(),
  metadataTimeout: durationSetting(100).nullable().optional(),
  packageTimeout: durationSetting(100).nullable().optional(),
  allow: idPatterns.nullable().optional(),
  deny: idPatterns.nullable().optional(),
  breakerFailures: z.coerce.number().int().min(1).max(1000).nullable().optional(),
  breakerCooldown: durationSetting(100).nullable().optional(),
};
const virtualShape = {
  cooldown: durationSetting(0).nullable().optional(),
  upstreamAllowed: allowances.nullable().optional(),
};

/** A feed's description and settings; null (JSON) resets a setting to the server default. */
export const feedChangeSchema = z
  .object({
    description: z.string().max(4000).optional(),
    kind: z.enum(feedKinds as [FeedKind, ...FeedKind[]]).optional(),
    source: httpUrl.optional(),
    members: members.optional(),
    ...upstreamShape,
    ...virtualShape,
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
  /** Given only at creation (default hosted). */
  readonly kind?: FeedKind | undefined;
  readonly source?: string | undefined;
  readonly members?: readonly string[] | undefined;
  /** The upstream settings given (undefined: back to the default); empty when none. */
  readonly upstream: UpstreamOverrides;
  readonly virtual: VirtualOverrides;
}

const pick = (data: Record<string, unknown>, keys: readonly string[]) =>
  Object.fromEntries(
    keys.filter((key) => key in data).map((key) => [key, data[key] === null ? undefined : data[key]]),
  );

/** Parses a feed change (the admin API's body, or the CLI's flags); 400 naming the field when it is wrong. */
export function parseFeedChange(input: unknown): FeedChange {
  const parsed = feedChangeSchema.safeParse(input ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join('.') || 'body';
    throw invalidInput(
      'feed_settings_invalid',
      `${field}: ${issue?.message ?? 'invalid'}. Settings: description, private (true/false), deleteBehavior ` +
        '(unlist/delete), maxPackageSize (bytes or e.g. 250MB), allowRepushAfterDelete (true/false), maxApiKeyLifetime (e.g. 1d, 8d, 30d), maxFeedSize (e.g. 10GB), maxVersionsPerId (a number); ' +
        'upstream feeds: metadataTtl, metadataTimeout, packageTimeout, breakerCooldown (e.g. 30s, 10m), allow, deny (id patterns), breakerFailures; ' +
        'virtual feeds: cooldown (e.g. 3d), upstreamAllowed (feed:pattern); null (on the command line: inherit) follows the default again (docs/upstreams.md).',
    );
  }
  const { description, kind, source, members: memberList, ...rest } = parsed.data;
  const upstreamKeys = Object.keys(upstreamShape);
  const virtualKeys = Object.keys(virtualShape);
  const settings = Object.fromEntries(
    Object.entries(rest).filter(([key]) => !upstreamKeys.includes(key) && !virtualKeys.includes(key)),
  );
  const overrides = Object.fromEntries(
    Object.entries(settings).map(([key, value]) => [key, value === null ? undefined : value]),
  ) as FeedOverrides;
  return {
    description,
    overrides,
    kind,
    source,
    members: memberList,
    upstream: pick(rest, upstreamKeys) as UpstreamOverrides,
    virtual: pick(rest, virtualKeys) as VirtualOverrides,
  };
}
