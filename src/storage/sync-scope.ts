// One sync of the write-ahead log for a request that commits more than once. A push commits its version and then,
// separately, its audit record (request-auth.ts `audited`: the record is written whatever the outcome); each commit
// used to wait for its own sync of SQLite's log before the code after it ran, so a push paid two syncs one after
// the other. Inside `syncOnceAtTheEnd`, a commit does not wait: it notes that the log must be synced, and the
// scope syncs it once, after the work and before it resolves, so the answer still follows the sync of every
// commit made for it (docs/decisions/0022-perf-push-syncs-and-cpu.md). PostgreSQL commits are durable when they
// return and never use the scope.
import { AsyncLocalStorage } from 'node:async_hooks';

interface Scope {
  /** Closed once the scope syncs: work it started that commits later (a background task) syncs by itself. */
  open: boolean;
  /** One sync per log (keyed by its owner); a later commit replaces the earlier one's, covering both. */
  readonly pending: Map<object, () => Promise<void>>;
}

const scopes = new AsyncLocalStorage<Scope>();

/**
 * Runs `work`, then the syncs its commits left to the end, all at once; resolves (or throws `work`'s error)
 * only after them. A sync that fails fails the whole, as it would have failed the commit.
 */
export async function syncOnceAtTheEnd<T>(work: () => Promise<T>): Promise<T> {
  const scope: Scope = { open: true, pending: new Map() };
  let outcome: { ok: true; value: T } | { ok: false; error: unknown };
  try {
    outcome = { ok: true, value: await scopes.run(scope, work) };
  } catch (error) {
    outcome = { ok: false, error };
  }
  scope.open = false;
  const results = await Promise.allSettled([...scope.pending.values()].map((sync) => sync()));
  if (!outcome.ok) throw outcome.error;
  const failed = results.find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
  return outcome.value;
}

/**
 * Leaves `sync` to the end of the current scope, if there is one still open (true); otherwise the caller must
 * sync before it goes on (false). `owner` names the log: one sync per owner runs, the last one given.
 */
export function deferSync(owner: object, sync: () => Promise<void>): boolean {
  const scope = scopes.getStore();
  if (!scope?.open) return false;
  scope.pending.set(owner, sync);
  return true;
}
