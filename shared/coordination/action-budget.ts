// One safety budget for the whole cluster: every instance of every function takes a slot in
// the same Lease (coordination.k8s.io/v1, in the functions' own namespace) before its first
// write, with the API server's optimistic concurrency (resourceVersion) as the referee, so N
// racing instances can never take more than BUDGET_MAX_ACTIONS slots per window. A Lease,
// not a ConfigMap: it is the API's object for coordination, small, and nothing mounts or
// reads it as configuration; its slots live in one annotation, pruned as they expire.
// Fail safe: a missing, unreadable, forbidden or corrupted budget means no action, never a
// reset; a slot a crash leaked stays taken until its window passes.
import { randomBytes } from 'node:crypto';
import type * as k8s from '@kubernetes/client-node';
import { KubeError } from '../k8s/errors.ts';
import type { KubeClient } from '../k8s/kube-client.ts';
import { KEYS } from '../k8s/keys.ts';

export const BUDGET_SLOTS_ANNOTATION = KEYS.budgetSlots.key;

export const DEFAULT_BUDGET_LEASE = 'falco-response-budget';
/** The Lease of one function's own budget (BUDGET_LEASE=falco-response-budget-<fn>, the per-function option). */
export const functionBudgetLease = (fn: string) => `${DEFAULT_BUDGET_LEASE}-${fn}`;
// Each slot takes up to ~900 bytes (two names of up to 253 characters) of one annotation, and
// all of an object's annotations together may hold 256 KiB.
export const MAX_BUDGET_ACTIONS = 200;

/** One action, as the budget records it: enough to recognise a re-run of the same action after a crash. */
export interface BudgetSlot {
  id: string;
  /** The function that took it. */
  fn: string;
  /** namespace/pod the action is for. */
  target: string;
  /** The alert's container id, else the pod's UID: what tells a re-run of this action from a new one. */
  key: string;
  /** The object the action's Event regards, so a re-run can record an Event the crashed attempt did not. */
  regarding: { apiVersion: string; kind: string; name: string; uid?: string | undefined };
  /** When it was taken (ms since the epoch); it frees itself a window later. */
  at: number;
}

export interface BudgetSettings {
  namespace: string;
  lease: string;
  maxActions: number;
  windowSeconds: number;
  /** Attempts when other instances keep updating the Lease between our read and write. */
  conflictAttempts: number;
}

export type SlotAnswer =
  | {
      outcome: 'taken';
      slot: BudgetSlot /** A live slot of an earlier attempt at this very action (a re-run after a crash). */;
      reused: boolean;
    }
  | { outcome: 'exhausted'; message: string }
  | { outcome: 'unavailable'; problem: 'missing' | 'forbidden' | 'corrupted' | 'contended'; message: string };

class CorruptedBudget extends Error {}

function parseSlots(lease: k8s.V1Lease): BudgetSlot[] {
  const text = lease.metadata?.annotations?.[BUDGET_SLOTS_ANNOTATION];
  if (text === undefined || text === '') return [];
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new CorruptedBudget(`annotation ${BUDGET_SLOTS_ANNOTATION} is not JSON`);
  }
  const valid = (slot: unknown): slot is BudgetSlot =>
    typeof slot === 'object' &&
    slot !== null &&
    ['id', 'fn', 'target', 'key'].every((field) => typeof (slot as Record<string, unknown>)[field] === 'string') &&
    Number.isFinite((slot as Record<string, unknown>).at) &&
    typeof (slot as { regarding?: unknown }).regarding === 'object' &&
    (slot as { regarding: unknown }).regarding !== null;
  if (!Array.isArray(value) || !value.every(valid))
    throw new CorruptedBudget(`annotation ${BUDGET_SLOTS_ANNOTATION} is not a list of slots`);
  return value;
}

export class ActionBudget {
  private readonly settings: BudgetSettings;
  private readonly fn: string;
  /** The Lease as last written or read: the next take tries it first, one round trip when nobody raced. */
  private known: k8s.V1Lease | undefined;

  constructor(settings: BudgetSettings, fn: string) {
    this.settings = settings;
    this.fn = fn;
  }

  get where(): string {
    return `Lease ${this.settings.namespace}/${this.settings.lease}`;
  }

  private live(slots: BudgetSlot[], now: number): BudgetSlot[] {
    return slots.filter((slot) => now - slot.at < this.settings.windowSeconds * 1000);
  }

  private unavailable(problem: 'missing' | 'forbidden' | 'corrupted' | 'contended', detail: string): SlotAnswer {
    const fix =
      problem === 'corrupted'
        ? 'it is never reset automatically: inspect it, then re-apply the shipped Lease (see the README, "The action budget")'
        : problem === 'missing'
          ? 're-apply the shipped manifests (the Lease is in the RBAC file)'
          : problem === 'forbidden'
            ? "check the function's Role for leases"
            : 'too many instances updated it at once';
    return {
      outcome: 'unavailable',
      problem,
      message: `the action budget (${this.where}) is unavailable: ${detail}; acting as dry-run — ${fix}`,
    };
  }

  private async read(kube: KubeClient): Promise<k8s.V1Lease | SlotAnswer> {
    try {
      const lease = await kube.getLease(this.settings.namespace, this.settings.lease);
      return lease ?? this.unavailable('missing', 'the Lease does not exist');
    } catch (error) {
      if (error instanceof KubeError && (error.kind === 'forbidden' || error.kind === 'unauthorized'))
        return this.unavailable('forbidden', error.message);
      throw error; // the API server is down or slow: the caller answers 503 and the sender retries
    }
  }

  /** The live slot of an earlier attempt at the same action, if any (a re-run after a crash). */
  async findSlot(kube: KubeClient, target: string, key: string | undefined): Promise<BudgetSlot | undefined> {
    const lease = await this.read(kube);
    if ('outcome' in lease) return undefined;
    try {
      const mine = this.live(parseSlots(lease), Date.now()).filter(
        (slot) => slot.fn === this.fn && slot.target === target && (key === undefined || slot.key === key),
      );
      return mine.at(-1);
    } catch {
      return undefined;
    }
  }

  /** Takes a slot for one action, or says why not. Throws KubeError only when the API server cannot be reached. */
  async take(kube: KubeClient, target: string, key: string, regarding: BudgetSlot['regarding']): Promise<SlotAnswer> {
    // One take at a time per instance: its own concurrent alerts then never race each other
    // for the Lease, only other instances do.
    const turn = this.queue.then(() => this.takeNow(kube, target, key, regarding));
    this.queue = turn.then(
      () => undefined,
      () => undefined,
    );
    return turn;
  }

  private queue: Promise<void> = Promise.resolve();

  private async takeNow(kube: KubeClient, target: string, key: string, regarding: BudgetSlot['regarding']): Promise<SlotAnswer> {
    const id = randomBytes(8).toString('hex');
    let fresh = false;
    for (let attempt = 1; attempt <= this.settings.conflictAttempts; attempt++) {
      let lease: k8s.V1Lease;
      if (this.known && !fresh) lease = this.known;
      else {
        const read = await this.read(kube);
        if ('outcome' in read) return read;
        lease = read;
        fresh = true;
      }
      let slots: BudgetSlot[];
      try {
        slots = parseSlots(lease);
      } catch (error) {
        this.known = undefined;
        return this.unavailable('corrupted', (error as Error).message);
      }
      const now = Date.now();
      const live = this.live(slots, now);
      const mine = live.find((slot) => slot.id === id);
      if (mine) return { outcome: 'taken', slot: mine, reused: false }; // a retried write that had landed
      const earlier = live.find((slot) => slot.fn === this.fn && slot.target === target && slot.key === key);
      if (earlier) return { outcome: 'taken', slot: earlier, reused: true };
      if (live.length >= this.settings.maxActions) {
        if (!fresh) {
          fresh = true; // what we knew may be old: slots may have been given back since
          attempt--;
          continue;
        }
        const freeAt = Math.min(...live.map((slot) => slot.at)) + this.settings.windowSeconds * 1000;
        return {
          outcome: 'exhausted',
          message: `the cluster-wide action budget (${this.where}) is used up: ${live.length} of ${this.settings.maxActions} actions in ${this.settings.windowSeconds} s; the next slot frees in ${Math.max(1, Math.ceil((freeAt - now) / 1000))} s`,
        };
      }
      const slot: BudgetSlot = { id, fn: this.fn, target, key, regarding, at: now };
      const written = await this.write(kube, lease, [...live, slot]);
      if (written === 'conflict') {
        fresh = true;
        continue;
      }
      if ('outcome' in written) return written;
      return { outcome: 'taken', slot, reused: false };
    }
    return this.unavailable('contended', `${this.settings.conflictAttempts} attempts in a row lost the race for the Lease`);
  }

  /** Gives a slot back (the action turned out to be a no-op). Best effort: a slot not given back frees itself a window later. */
  async giveBack(kube: KubeClient, slot: BudgetSlot): Promise<void> {
    let fresh = false;
    for (let attempt = 1; attempt <= this.settings.conflictAttempts; attempt++) {
      const lease = this.known && !fresh ? this.known : await this.read(kube);
      if ('outcome' in lease) return;
      fresh = true;
      let slots: BudgetSlot[];
      try {
        slots = parseSlots(lease);
      } catch {
        return; // never rewrite a budget we cannot read
      }
      if (!slots.some((s) => s.id === slot.id)) return;
      const written = await this.write(
        kube,
        lease,
        this.live(slots, Date.now()).filter((s) => s.id !== slot.id),
      );
      if (written !== 'conflict') return;
    }
  }

  private async write(kube: KubeClient, lease: k8s.V1Lease, slots: BudgetSlot[]): Promise<k8s.V1Lease | 'conflict' | SlotAnswer> {
    try {
      const { name, resourceVersion } = lease.metadata!;
      this.known = await kube.applyLeaseAnnotations(this.settings.namespace, name!, resourceVersion!, {
        [BUDGET_SLOTS_ANNOTATION]: JSON.stringify(slots),
      });
      return this.known;
    } catch (error) {
      this.known = undefined;
      if (!(error instanceof KubeError)) throw error;
      if (error.kind === 'conflict') return 'conflict';
      if (error.kind === 'not-found') return this.unavailable('missing', 'the Lease was deleted');
      if (error.kind === 'forbidden' || error.kind === 'unauthorized') return this.unavailable('forbidden', error.message);
      throw error;
    }
  }
}
