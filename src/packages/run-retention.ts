// Running retention on a feed (docs/retention.md): read the versions' facts and the feed's policy, plan with the
// pure rule engine (retention-rules.ts), and carry the plan out through the same use cases as an admin's unlist
// and delete (manage-package.ts): each removal is its own transaction with its catalog entry, the files of a
// deleted version go only after its row, and each one is audited. A dry run returns the same plan object and
// changes nothing. One run per feed at a time, across every node (RetentionLock).
//
// A run killed part-way leaves a consistent feed: every step is a complete unlist or delete, and the plan orders a
// version's exact dependencies after it, so no version that stays ever lacks one. The next run plans again on
// what is there and finishes (the property tests in retention-rules.test.ts; test/storage/retention-kill.test.ts).
import type { Requester } from '../auth/manage-api-keys.ts';
import type { AuditLog } from '../auth/ports.ts';
import { conflict, isNuggetError } from '../errors.ts';
import type { Feed } from './feed.ts';
import { deletePackage, setListed } from './manage-package.ts';
import type { BlobStore, Clock, FeedStores } from './ports.ts';
import {
  dependsExactlyOn,
  emptyRetentionPolicy,
  planRetention,
  type RetentionDecision,
  type RetentionFacts,
  type RetentionPlan,
  type RetentionPolicy,
} from './retention-rules.ts';

/** A feed's policy as stored, with who set it when. */
export interface StoredRetentionPolicy {
  readonly policy: RetentionPolicy;
  readonly updated: string;
  readonly updatedBy: string;
}

export interface RetentionPolicyStore {
  find(feed: string): Promise<StoredRetentionPolicy | undefined>;
  /** Every feed that has a policy (what the in-server schedule runs). */
  feeds(): Promise<string[]>;
  set(feed: string, policy: StoredRetentionPolicy): Promise<void>;
  /** Returns false when the feed had none. */
  remove(feed: string): Promise<boolean>;
}

/** One run per feed at a time on every node sharing the database. */
export interface RetentionLock {
  /** Runs `work` holding the feed's lock; 'busy' (without running it) while another run holds it. */
  withLock<T>(feed: string, work: () => Promise<T>): Promise<T | 'busy'>;
}

export interface RetentionDeps {
  readonly feed: Feed;
  readonly stores: FeedStores;
  readonly blobs: BlobStore;
  readonly audit: AuditLog;
  readonly clock: Clock;
  readonly policies: RetentionPolicyStore;
  readonly lock: RetentionLock;
  /**
   * The public base URL the webhook payloads of the removals name (docs/webhooks.md); undefined: no URLs (a
   * command line without --public-url).
   */
  readonly baseUrl?: string | undefined;
}

export interface RetentionOutcome {
  readonly decision: RetentionDecision;
  /**
   * 'done'; 'gone' when the version was removed by someone else meanwhile; 'kept' when a version pushed during
   * the run depends on it exactly (it is not deleted: the next run decides again).
   */
  readonly result: 'done' | 'gone' | 'kept';
  readonly because?: string | undefined;
}

export interface RetentionReport {
  readonly feed: string;
  readonly dryRun: boolean;
  readonly plan: RetentionPlan;
  /** What the run did, in order (empty for a dry run). */
  readonly outcomes: readonly RetentionOutcome[];
}

/** The facts the rules decide on, read from the feed now. */
export async function readRetentionFacts(stores: Pick<FeedStores, 'packages'>): Promise<RetentionFacts[]> {
  return (await stores.packages.listWithActivity()).map(({ version, lastDownloaded }) => ({
    id: version.id,
    lowerId: version.lowerId,
    version: version.version,
    lowerVersion: version.lowerVersion,
    listed: version.listed,
    published: version.published,
    lastDownloaded,
    dependencies: version.metadata.dependencyGroups.flatMap((group) => group.dependencies),
  }));
}

/** The plan for the feed as it is now, with its stored policy (none: an empty plan). */
export async function planFeedRetention(
  deps: Pick<RetentionDeps, 'feed' | 'stores' | 'policies' | 'clock'>,
): Promise<RetentionPlan> {
  // The time is taken before the facts are read: every version pushed after it is re-checked by the run.
  const now = deps.clock.now();
  const stored = await deps.policies.find(deps.feed.name);
  return planRetention(await readRetentionFacts(deps.stores), stored?.policy ?? emptyRetentionPolicy, now);
}

/**
 * Plans and, unless `dryRun`, carries the plan out, under the feed's retention lock (a dry run takes it too, so
 * that it never reports a feed half-way through someone else's run). 409 while another run holds the lock.
 */
export async function runRetention(
  deps: RetentionDeps,
  requester: Requester,
  options: {
    dryRun: boolean;
    onProgress?: (done: number, total: number, outcome: RetentionOutcome) => void | Promise<void>;
  },
): Promise<RetentionReport> {
  const result = await deps.lock.withLock(deps.feed.name, async () => {
    const plan = await planFeedRetention(deps);
    const outcomes: RetentionOutcome[] = [];
    if (options.dryRun) return { feed: deps.feed.name, dryRun: true, plan, outcomes };
    // The plan's facts are read once; the feed takes pushes meanwhile. The one change that could make a planned
    // delete unsafe is a new version that depends on it exactly: each delete first looks for one.
    // With a margin for the clocks of other nodes, whose pushes record their own time.
    const readAt = new Date(Date.parse(plan.at) - clockMarginMs).toISOString();
    for (const decision of plan.decisions) {
      const dependent = decision.action === 'delete' ? await newDependent(deps, readAt, decision) : undefined;
      const outcome = dependent
        ? { decision, result: 'kept' as const, because: `${dependent} depends on exactly this version` }
        : await carryOut(deps, requester, decision);
      outcomes.push(outcome);
      await options.onProgress?.(outcomes.length, plan.decisions.length, outcome);
    }
    return { feed: deps.feed.name, dryRun: false, plan, outcomes };
  });
  if (result === 'busy') {
    throw conflict(
      'retention_running',
      `A retention run on feed '${deps.feed.name}' is in progress (on this or another node): wait for it to ` +
        'finish, then run again.',
    );
  }
  return result;
}

const clockMarginMs = 5 * 60 * 1000;

/** A version published since the facts were read that depends on exactly the decision's version, if any. */
async function newDependent(
  deps: Pick<RetentionDeps, 'stores'>,
  since: string,
  decision: RetentionDecision,
): Promise<string | undefined> {
  for (const version of await deps.stores.packages.publishedAfter(since)) {
    const facts = {
      ...version,
      dependencies: version.metadata.dependencyGroups.flatMap((g) => g.dependencies),
    };
    if (dependsExactlyOn(facts, decision)) return `${version.id} ${version.version}`;
  }
  return undefined;
}

async function carryOut(
  deps: RetentionDeps,
  requester: Requester,
  decision: RetentionDecision,
): Promise<RetentionOutcome> {
  const target = { id: decision.id, version: decision.version };
  let result: RetentionOutcome['result'] = 'done';
  try {
    // The same use cases as DELETE on the PackagePublish resource: catalog entry, search and files alike.
    // Each removal is reported as package.removed-by-retention, in the removal's own transaction.
    const report = {
      origin: { actor: { kind: 'system' as const, name: 'retention' }, baseUrl: deps.baseUrl },
      reportAs: { type: 'package.removed-by-retention' as const, detail: { action: decision.action } },
    };
    if (decision.action === 'delete') {
      await deletePackage(
        { ...deps.stores, blobs: deps.blobs, deleteBehavior: 'delete', symbols: deps.stores.symbols },
        { ...target, ...report },
      );
    } else {
      await setListed(deps.stores, { ...target, listed: false, ...report });
    }
  } catch (error) {
    if (!(isNuggetError(error) && error.code === 'package_not_found')) throw error;
    result = 'gone';
  }
  await deps.audit.append({
    feed: deps.feed.name,
    at: deps.clock.now().toISOString(),
    actor: requester.actor,
    keyId: requester.keyId,
    source: requester.source,
    action: decision.action,
    packageId: decision.id,
    version: decision.version,
    outcome: result === 'done' ? 'success' : 'package_not_found',
    detail: { retention: true, reasons: decision.reasons },
  });
  return { decision, result };
}
