// Webhook delivery (docs/webhooks.md, "Delivery and retries"): a worker in every server process claims due
// deliveries from the outbox, sends each signed, and records what happened. At least once: a delivery is marked
// delivered only after a 2xx answer, so a node that dies mid-send leaves it claimed until its lease ends, and
// another node sends it again. Failed attempts are retried with exponential backoff and jitter until the retry
// period has passed; then the delivery is marked failed (and `nugget webhook redeliver` can send it again).
import { randomUUID } from 'node:crypto';
import type {
  AttemptRecord,
  ClaimedDelivery,
  Clock,
  DeliveryOutcome,
  SubscriptionHealth,
  WebhookQueue,
  WebhookSender,
} from './ports.ts';
import { signWebhook, webhookHeaders } from './webhook-signature.ts';

export interface DeliveryPolicy {
  /** How long after a delivery was made (or redelivered) failed attempts are retried. */
  readonly retryForMs: number;
  /** The wait after the first failed attempt; each further failure doubles it, up to retryMaxMs. */
  readonly retryMinMs: number;
  readonly retryMaxMs: number;
}

/**
 * The wait before the next attempt after `attempts` failed ones: min * 2^(attempts-1), at most max, then "equal
 * jitter" (half of it fixed, half random), so receivers that come back are not hit by every queue at once.
 */
export function retryDelayMs(
  attempts: number,
  policy: DeliveryPolicy,
  random: () => number = Math.random,
): number {
  const exponent = Math.min(Math.max(attempts - 1, 0), 30);
  const base = Math.min(policy.retryMaxMs, policy.retryMinMs * 2 ** exponent);
  return Math.round(base / 2 + random() * (base / 2));
}

export type SendResult =
  | { readonly ok: true; readonly status: number }
  | {
      readonly ok: false;
      readonly error: string;
      readonly status?: number | undefined;
      readonly refused?: boolean | undefined;
    };

/** What an attempt's result makes of the delivery: delivered, retried later, or failed for good. */
export function decideOutcome(
  delivery: Pick<ClaimedDelivery, 'attempts' | 'retryFrom'>,
  result: SendResult,
  now: Date,
  policy: DeliveryPolicy,
  random: () => number = Math.random,
): DeliveryOutcome {
  if (result.ok) return { kind: 'delivered', responseCode: result.status };
  const next = new Date(now.getTime() + retryDelayMs(delivery.attempts + 1, policy, random));
  const deadline = Date.parse(delivery.retryFrom) + policy.retryForMs;
  if (next.getTime() > deadline) {
    return {
      kind: 'failed',
      error: `${result.error} (gave up after ${delivery.attempts + 1} attempts)`,
      responseCode: result.status,
    };
  }
  return { kind: 'retry', nextAttempt: next, error: result.error, responseCode: result.status };
}

/** The headers of one attempt: what it is, and the signature over this attempt's timestamp and the body. */
export function deliveryHeaders(
  delivery: Pick<ClaimedDelivery, 'id' | 'event' | 'secret' | 'body'>,
  now: Date,
  userAgent: string,
): Record<string, string> {
  const timestamp = Math.floor(now.getTime() / 1000);
  return {
    'content-type': 'application/json; charset=utf-8',
    'user-agent': userAgent,
    [webhookHeaders.deliveryId]: delivery.id,
    [webhookHeaders.event]: delivery.event,
    [webhookHeaders.timestamp]: String(timestamp),
    [webhookHeaders.signature]: signWebhook(delivery.secret, timestamp, delivery.body),
  };
}

export interface DeliveryWorkerOptions extends DeliveryPolicy {
  /** The longest wait between two looks at the outbox (events other nodes recorded are seen this late). */
  readonly pollMs: number;
  /** Deliveries sent at once by this process. */
  readonly batch: number;
  /** How long a claim holds; longer than an attempt can take (the sender's timeout), so no two nodes send one. */
  readonly leaseMs: number;
  /** Delivered deliveries are kept in the log this long. */
  readonly keepDeliveredMs: number;
  readonly userAgent: string;
}

export interface DeliveryWorkerDeps {
  readonly queue: WebhookQueue;
  readonly sender: WebhookSender;
  readonly clock: Clock;
  /** Each attempt's outcome, for the metrics. */
  readonly onOutcome?: ((outcome: DeliveryOutcome['kind']) => void) | undefined;
  readonly onError?: ((error: unknown) => void) | undefined;
}

export class WebhookDeliveryWorker {
  readonly #deps: DeliveryWorkerDeps;
  readonly #options: DeliveryWorkerOptions;
  /** This process's name on its claims: unique, so a claim outlived by its lease is never completed twice. */
  readonly owner = `worker-${randomUUID()}`;
  #running: Promise<void> | undefined;
  #stopped = false;
  #wake: (() => void) | undefined;
  #lastPrune = 0;

  constructor(deps: DeliveryWorkerDeps, options: DeliveryWorkerOptions) {
    this.#deps = deps;
    this.#options = options;
  }

  start(): void {
    this.#running ??= this.#loop();
  }

  /** Cuts the current wait short: something may be due now (a write of this process, a redelivery). */
  wake(): void {
    this.#wake?.();
  }

  /** Stops after the attempts in progress (each bounded by the sender's timeout). */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    await this.#running;
  }

  /**
   * One round: claims what is due (up to a batch), sends it, and records every outcome in one write. A receiver
   * that failed in the last round gets one delivery (a probe) and the others wait: while it is down, the queue
   * costs one attempt per pause (which grows like a delivery's backoff), not one per delivery. Returns how many
   * deliveries were claimed.
   */
  async runOnce(): Promise<number> {
    const { queue, clock } = this.#deps;
    const now = clock.now();
    const claimed = await queue.claim(
      this.owner,
      now,
      new Date(now.getTime() + this.#options.leaseMs),
      this.#options.batch,
    );
    const bySubscription = Map.groupBy(claimed, (delivery) => delivery.subscriptionId);
    const rounds = await Promise.all(
      [...bySubscription.values()].map((deliveries) => this.#round(deliveries)),
    );
    if (claimed.length > 0) {
      await queue.complete(
        this.owner,
        clock.now(),
        rounds.flatMap((round) => round.attempts),
        rounds.map((round) => round.health),
      );
    }
    for (const record of rounds.flatMap((round) => round.attempts)) {
      if (record.outcome.kind !== 'released') this.#deps.onOutcome?.(record.outcome.kind);
    }
    if (now.getTime() - this.#lastPrune > 3_600_000) {
      this.#lastPrune = now.getTime();
      await queue.prune(new Date(now.getTime() - this.#options.keepDeliveredMs));
    }
    return claimed.length;
  }

  /** The deliveries of one subscription claimed in a round: all of them, or a probe when it has been failing. */
  async #round(
    deliveries: readonly ClaimedDelivery[],
  ): Promise<{ attempts: AttemptRecord[]; health: SubscriptionHealth }> {
    const [first] = deliveries;
    if (!first) throw new Error('a round without deliveries');
    const failing = first.subscriptionFailures > 0;
    const sent = failing ? [first] : deliveries;
    const results = await Promise.all(sent.map((delivery) => this.#send(delivery)));
    const anyDelivered = results.some((result) => result.outcome.kind === 'delivered');
    const failures = anyDelivered ? 0 : first.subscriptionFailures + 1;
    const now = this.#deps.clock.now();
    const held = anyDelivered ? [] : deliveries.slice(sent.length);
    // What waits behind a probe that failed is not attempted; past its retry period it is failed all the same.
    const waiting = held.map((delivery): AttemptRecord => {
      const deadline = Date.parse(delivery.retryFrom) + this.#options.retryForMs;
      return now.getTime() > deadline
        ? {
            id: delivery.id,
            outcome: {
              kind: 'failed',
              error: `gave up: the receiver failed ${failures} rounds in a row (last: ${results[0]?.error ?? 'no answer'})`,
            },
          }
        : { id: delivery.id, outcome: { kind: 'released' } };
    });
    // A probe that succeeded lets the rest through at once (they are due: the next round takes them).
    const released = anyDelivered
      ? deliveries.slice(sent.length).map((d): AttemptRecord => ({ id: d.id, outcome: { kind: 'released' } }))
      : [];
    return {
      attempts: [...results.map((r) => r.record), ...waiting, ...released],
      health: {
        id: first.subscriptionId,
        failures,
        pausedUntil:
          failures === 0 ? undefined : new Date(now.getTime() + retryDelayMs(failures, this.#options)),
      },
    };
  }

  async #send(
    delivery: ClaimedDelivery,
  ): Promise<{ record: AttemptRecord; outcome: DeliveryOutcome; error?: string }> {
    const { sender, clock } = this.#deps;
    const result = await sender.send({
      url: delivery.url,
      headers: deliveryHeaders(delivery, clock.now(), this.#options.userAgent),
      body: delivery.body,
    });
    const outcome = decideOutcome(delivery, result, clock.now(), this.#options);
    return { record: { id: delivery.id, outcome }, outcome, error: result.ok ? undefined : result.error };
  }

  async #loop(): Promise<void> {
    while (!this.#stopped) {
      let claimed = 0;
      try {
        claimed = await this.runOnce();
      } catch (error) {
        // The database away for a moment: the next round tries again; nothing is lost, the rows wait.
        this.#deps.onError?.(error);
      }
      if (this.#stopped) break;
      if (claimed === this.#options.batch) continue;
      await this.#sleep(await this.#untilNextDue());
    }
  }

  async #untilNextDue(): Promise<number> {
    const { pollMs } = this.#options;
    try {
      const due = await this.#deps.queue.nextDue();
      if (!due) return pollMs;
      // Not less than a tenth of a poll: what is due but claimed by another node is not looked at in a spin.
      return Math.min(pollMs, Math.max(pollMs / 10, due.getTime() - this.#deps.clock.now().getTime()));
    } catch (error) {
      this.#deps.onError?.(error);
      return pollMs;
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      timer.unref();
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = () => {
        this.#wake = undefined;
        done();
      };
    });
  }
}
