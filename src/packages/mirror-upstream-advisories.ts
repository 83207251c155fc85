// Audit data offline (docs/upstreams.md, "Known vulnerabilities offline"): the VulnerabilityInfo of each upstream
// feed's source (../shared/spec/nuget-api/vulnerability-info.md) is copied into that upstream feed's own advisories,
// on a schedule in the server and on demand (`nugget vulnerabilities import --feed <upstream> --from-upstream`).
// A virtual feed serves its own advisories with its members' (packages/virtual-feed.ts), so restore audits
// against nugget alone: no NU1900 or NU1905 when the upstream is down or unreachable, and advisories for every
// package of the graph, not only those whose registration nugget has read. Each run replaces what the last one
// copied, so an advisory the upstream withdraws goes too.
import { type FetchJson, readUpstreamAdvisories } from './import-vulnerabilities.ts';
import type { AdvisoryImportSummary, AdvisoryStore } from './ports.ts';

/** Copies the upstream's advisories (every page) into `advisories`, replacing what an earlier copy brought. */
export async function mirrorUpstreamAdvisories(
  deps: { advisories: AdvisoryStore; fetchJson: FetchJson },
  input: { serviceIndexUrl: string },
): Promise<AdvisoryImportSummary> {
  const advisories = await readUpstreamAdvisories(deps.fetchJson, input.serviceIndexUrl);
  return deps.advisories.importAdvisories(advisories, { replace: true });
}

export interface MirroredUpstream {
  /** The upstream feed's name. */
  readonly feed: string;
  /** Its source's service index. */
  readonly source: string;
  readonly advisories: AdvisoryStore;
}

export interface AdvisoryMirrorDeps {
  /** The upstream feeds now (feeds come and go while the server runs). */
  listUpstreams(): Promise<MirroredUpstream[]>;
  fetchJson: FetchJson;
  /** Told after each feed's run: its summary, or why it failed (the run goes on with the next feed). */
  report(feed: string, outcome: { summary: AdvisoryImportSummary } | { error: Error }): void;
  /** Default setTimeout; tests drive time themselves. */
  setTimer?: (run: () => void, ms: number) => unknown;
  clearTimer?: (timer: unknown) => void;
}

export interface AdvisoryMirror {
  /** Mirrors every upstream feed now (and waits for it); a run already going is awaited instead. */
  runNow(): Promise<void>;
  stop(): void;
}

/**
 * Mirrors every upstream feed's advisories `firstDelayMs` after the start, then every `intervalMs`. One run at a
 * time; a failure of one upstream (down, refusing, garbage) is reported and leaves its last copy in place.
 */
export function startAdvisoryMirror(
  deps: AdvisoryMirrorDeps,
  options: { intervalMs: number; firstDelayMs: number },
): AdvisoryMirror {
  const setTimer = deps.setTimer ?? ((run, ms) => setTimeout(run, ms));
  const clearTimer = deps.clearTimer ?? ((timer) => clearTimeout(timer as NodeJS.Timeout));
  let running: Promise<void> | undefined;
  let timer: unknown;
  let stopped = false;

  const runOnce = async () => {
    let upstreams: MirroredUpstream[];
    try {
      upstreams = await deps.listUpstreams();
    } catch (error) {
      deps.report('*', { error: error as Error });
      return;
    }
    for (const upstream of upstreams) {
      if (stopped) return;
      try {
        const summary = await mirrorUpstreamAdvisories(
          { advisories: upstream.advisories, fetchJson: deps.fetchJson },
          { serviceIndexUrl: upstream.source },
        );
        deps.report(upstream.feed, { summary });
      } catch (error) {
        deps.report(upstream.feed, { error: error as Error });
      }
    }
  };
  const runNow = () => {
    running ??= runOnce().finally(() => {
      running = undefined;
    });
    return running;
  };
  const schedule = (ms: number) => {
    if (stopped) return;
    const handle = setTimer(() => {
      void runNow().then(() => schedule(options.intervalMs));
    }, ms);
    // The schedule never keeps a stopping process alive.
    (handle as { unref?: () => void }).unref?.();
    timer = handle;
  };
  schedule(options.firstDelayMs);
  return {
    runNow,
    stop() {
      stopped = true;
      clearTimer(timer);
    },
  };
}
