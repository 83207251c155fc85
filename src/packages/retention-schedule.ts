// The in-server retention schedule (--retention-interval, off by default; docs/retention.md): every interval, each
// feed with a policy is run. Every node may run the schedule: the feed's retention lock lets one run at a time,
// and a node that finds it taken skips that feed until its next tick.
import { isNuggetError } from '../errors.ts';
import type { FeedDirectory } from './feed-directory.ts';
import type { BlobStore, Clock } from './ports.ts';
import type { AuditLog } from '../auth/ports.ts';
import { type RetentionLock, type RetentionPolicyStore, runRetention } from './run-retention.ts';

export interface RetentionScheduleDeps {
  readonly feeds: FeedDirectory;
  readonly blobs: BlobStore;
  readonly audit: AuditLog;
  readonly clock: Clock;
  readonly retention: { readonly policies: RetentionPolicyStore; readonly lock: RetentionLock };
  /** --public-url, for the URLs of the removals' webhook payloads (none without it). */
  readonly options?: { readonly publicUrl?: string | undefined } | undefined;
  readonly log: {
    info(fields: object, message: string): void;
    error(fields: object, message: string): void;
  };
}

/** Runs every feed's policy once; a feed that fails is logged and the others still run. */
export async function runScheduledRetention(deps: RetentionScheduleDeps): Promise<void> {
  for (const name of await deps.retention.policies.feeds()) {
    const open = await deps.feeds.find(name);
    if (!open) continue;
    try {
      const report = await runRetention(
        {
          ...open,
          blobs: deps.blobs,
          audit: deps.audit,
          clock: deps.clock,
          ...deps.retention,
          baseUrl: deps.options?.publicUrl,
        },
        { actor: 'schedule', source: 'schedule' },
        { dryRun: false },
      );
      deps.log.info(
        { feed: name, removed: report.outcomes.length },
        `retention removed ${report.outcomes.length} version(s) of feed ${name}`,
      );
    } catch (error) {
      if (isNuggetError(error) && error.code === 'retention_running') {
        deps.log.info({ feed: name }, `retention of feed ${name} skipped: another run holds its lock`);
      } else {
        deps.log.error({ err: error, feed: name }, `retention of feed ${name} failed`);
      }
    }
  }
}

/** Starts the schedule; stop() ends it after the run in progress, if any. */
export function startRetentionSchedule(
  deps: RetentionScheduleDeps,
  intervalMs: number,
): { stop(): Promise<void> } {
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const timer = setInterval(() => {
    running = running.then(() => (stopped ? undefined : runScheduledRetention(deps)));
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
