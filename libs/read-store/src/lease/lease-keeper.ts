import { randomBytes } from 'node:crypto';
import { readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Lease, ReadStore } from '../read-store.port';

/** The lease that guards everything that must run in one process only: the projections and the loops beside them. */
export const PROJECTIONS_LEASE = 'projections';
export const DEFAULT_PROJECTION_LEASE_TTL_MS = 15_000;

/** The LeaseKeeper of this process (card-api, card-projector), from the infrastructure module. */
export const PROJECTION_LEASE = Symbol('PROJECTION_LEASE');

/** Something that must run in one process at a time: started when this process takes the lease, stopped when it loses it. */
export interface LeasedWork {
  readonly name: string;
  /** Starts it; may be called again after `stop` (the lease taken back). */
  start(): void | Promise<void>;
  /** Stops it and resolves once nothing of it runs any more (a batch or send under way finished). */
  stop(): Promise<void>;
}

export interface LeasedWorkHandle {
  /** Stops the work if it runs and forgets it (application shutdown). */
  close(): Promise<void>;
}

export interface LeaseKeeperLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string, error?: unknown): void;
}

export interface LeaseKeeperOptions {
  readonly name?: string;
  readonly ttlMs?: number;
  readonly holderId?: string;
  readonly logger?: LeaseKeeperLogger;
  /**
   * The store can only be shared by processes of this machine (the embedded SQLite file, in WAL mode): a lease whose
   * holder is provably dead here (same host and pid namespace, no such pid) is taken over at once instead of after
   * its expiry. Never for a store shared across machines, where a pid says nothing.
   */
  readonly reclaimFromDeadLocalHolders?: boolean;
}

export type LeaseRole = 'active' | 'standby' | 'idle';

export interface LeaseStatus {
  readonly name: string;
  /** The holder as stored, or null when nobody holds it. */
  readonly holder: string | null;
  readonly acquiredAt: string | null;
  readonly renewedAt: string | null;
  readonly expiresAt: string | null;
  /** The stored lease has expired (its holder died or stopped renewing) and nobody took it yet. */
  readonly expired: boolean;
  readonly heldByThisProcess: boolean;
  /** This process's holder id: host, pid and a random part. */
  readonly thisProcess: string;
  /** active: holds the lease and runs the work; standby: waits for it; idle: does not compete (PROJECTIONS_IN_PROCESS=false). */
  readonly role: LeaseRole;
  readonly ttlMs: number;
}

const silent: LeaseKeeperLogger = { log: () => undefined, warn: () => undefined, error: () => undefined };

/** The ids this process made: another keeper of this very process (two apps in one test) is alive, not dead. */
const holderIdsOfThisProcess = new Set<string>();

function thisHost(): string {
  return hostname().replace(/[^\x21-\x7e]/g, '_').replace(/:/g, '_').slice(0, 200) || 'host';
}

/** The pid namespace of this process (Linux), so that a pid is only compared within its own namespace; '0' elsewhere. */
function pidNamespace(): string {
  try {
    return /\[(\d+)\]/.exec(readlinkSync('/proc/self/ns/pid'))?.[1] ?? '0';
  } catch {
    return '0';
  }
}

/**
 * host:pid:pid-namespace:random — unique per process start, and tells an operator which process it is
 * (e.g. `cards-7d9f:41:4026531836:9a3c51fe`).
 */
export function newHolderId(): string {
  const id = `${thisHost()}:${process.pid}:${pidNamespace()}:${randomBytes(4).toString('hex')}`;
  holderIdsOfThisProcess.add(id);
  return id;
}

/** Whether `holder` names a process of this host and pid namespace that no longer exists. */
export function isDeadLocalHolder(holder: string): boolean {
  const parts = holder.split(':');
  if (parts.length !== 4) return false;
  const [host, pidText, namespace] = parts;
  const pid = Number(pidText);
  if (host !== thisHost() || namespace !== pidNamespace() || !Number.isInteger(pid) || pid <= 0) return false;
  // This process, or an earlier one that had its pid.
  if (pid === process.pid) return !holderIdsOfThisProcess.has(holder);
  try {
    process.kill(pid, 0);
    return false; // alive (or another process now has its pid): wait for the expiry
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

interface Entry {
  readonly work: LeasedWork;
  running: boolean;
}

/**
 * Keeps one lease in the read store for this process and runs the registered work only while it holds it.
 *
 * - Every ttl/3 it takes or renews the lease (`acquireLease`: granted when free, expired or already ours). A process
 *   that does not get it is on standby and tries again at the same pace; it takes over once the holder releases the
 *   lease (graceful shutdown) or lets it expire (killed, hung, cut off from the store).
 * - Safety: the lease is surely ours until `sentAt + ttl`, where `sentAt` is this process's monotonic clock read
 *   *before* the request that took or renewed it (the store set the expiry from a later instant). When no renewal has
 *   moved that deadline and less than ttl/3 is left, the work is stopped: a projection finishes its batch, the reactor
 *   its sends, and nothing new starts. So the work has stopped, with ttl/3 to spare, before the lease expires and
 *   another process could take it. `holds()` says whether that deadline is still ahead, for a last check right before
 *   a write (the projection runner checks it before each commit).
 * - On shutdown it stops the work, then releases the lease, so a standby process takes over at its next attempt.
 */
export class LeaseKeeper {
  readonly name: string;
  readonly ttlMs: number;
  readonly holderId: string;
  private readonly logger: LeaseKeeperLogger;
  private readonly entries = new Set<Entry>();
  private active = false;
  /** Monotonic time (performance.now()) until which the lease is surely ours. */
  private deadline = 0;
  private started: Promise<void> | undefined;
  private closed = false;
  private tickTimer: NodeJS.Timeout | undefined;
  private guardTimer: NodeJS.Timeout | undefined;
  /** Starts and stops of the work, one after the other. */
  private transitions: Promise<void> = Promise.resolve();
  private lastHolder: string | null = null;
  private failing = false;
  private readonly reclaim: boolean;

  constructor(
    private readonly store: ReadStore,
    options: LeaseKeeperOptions = {},
  ) {
    this.name = options.name ?? PROJECTIONS_LEASE;
    this.ttlMs = options.ttlMs ?? DEFAULT_PROJECTION_LEASE_TTL_MS;
    this.holderId = options.holderId ?? newHolderId();
    this.logger = options.logger ?? silent;
    this.reclaim = options.reclaimFromDeadLocalHolders ?? false;
  }

  /** How long before the lease's expiry the work stops when the renewals fail. */
  get safetyMarginMs(): number {
    return Math.floor(this.ttlMs / 3);
  }

  /** Whether this process competes for the lease (it was started). */
  get competing(): boolean {
    return this.started !== undefined && !this.closed;
  }

  /** Whether this process holds the lease and has more than the safety margin of it left. */
  holds(): boolean {
    return this.active && performance.now() < this.deadline - this.safetyMarginMs;
  }

  /**
   * Starts competing for the lease; resolves after the first attempt (and the work's start, when it got the lease).
   * Called again, it answers the same promise.
   */
  start(): Promise<void> {
    this.started ??= this.attempt().then(() => this.transitions);
    return this.started;
  }

  /**
   * Registers work to run only while this process holds the lease: started now if it does, else when it takes it.
   * Registering starts competing for the lease.
   */
  register(work: LeasedWork): LeasedWorkHandle {
    const entry: Entry = { work, running: false };
    this.entries.add(entry);
    if (this.active) this.enqueue(() => this.startEntry(entry));
    void this.start();
    return {
      close: async () => {
        this.entries.delete(entry);
        await this.enqueue(() => this.stopEntry(entry));
      },
    };
  }

  /** Stops the work, then releases the lease (if held) so that a standby process may take it at once. */
  async stop(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.tickTimer);
    clearTimeout(this.guardTimer);
    await this.started?.catch(() => undefined);
    const wasActive = this.active;
    this.active = false;
    await this.enqueue(() => this.stopAll());
    if (wasActive) {
      try {
        await this.store.releaseLease(this.name, this.holderId);
        this.logger.log(`Released the ${this.name} lease (${this.holderId})`);
      } catch (error) {
        this.logger.warn(`Could not release the ${this.name} lease; it expires in at most ${this.ttlMs} ms: ${(error as Error).message}`);
      }
    }
  }

  /** The lease as the store has it, and this process's part in it. */
  async status(): Promise<LeaseStatus> {
    const lease: Lease | null = await this.store.lease(this.name);
    const expired = lease !== null && Date.parse(lease.expiresAt) <= Date.now();
    const held = this.holds();
    return {
      name: this.name,
      holder: lease?.holder ?? null,
      acquiredAt: lease?.acquiredAt ?? null,
      renewedAt: lease?.renewedAt ?? null,
      expiresAt: lease?.expiresAt ?? null,
      expired,
      heldByThisProcess: held && lease?.holder === this.holderId,
      thisProcess: this.holderId,
      role: !this.competing ? 'idle' : this.active ? 'active' : 'standby',
      ttlMs: this.ttlMs,
    };
  }

  private async attempt(): Promise<void> {
    if (this.closed) return;
    const sentAt = performance.now();
    let retryIn = Math.max(1, Math.floor(this.ttlMs / 3));
    try {
      const { acquired, lease } = await this.store.acquireLease(this.name, this.holderId, this.ttlMs);
      if (this.failing) this.logger.log(`The read store answers the ${this.name} lease again`);
      this.failing = false;
      if (this.closed) return;
      if (acquired) {
        this.deadline = sentAt + this.ttlMs;
        this.armGuard();
        if (!this.active) {
          this.active = true;
          this.logger.log(
            `Took the ${this.name} lease (${this.holderId}, ${this.ttlMs} ms, renewed every ${retryIn} ms): running ${this.describeWork()} in this process`,
          );
        }
        // Also starts work whose start failed earlier, or registered meanwhile.
        this.enqueue(() => this.startAll());
      } else if (!this.active && this.reclaim && lease.holder !== this.holderId && isDeadLocalHolder(lease.holder)) {
        // Released only if that dead process still holds it (a conditional delete); then taken at once.
        if (await this.store.releaseLease(this.name, lease.holder)) {
          this.logger.warn(`The ${this.name} lease was held by ${lease.holder}, which no longer runs on this machine: taking it over`);
        }
        retryIn = 0;
      } else {
        if (this.active) this.lose(`${lease.holder} took it`);
        if (lease.holder !== this.lastHolder) {
          this.logger.log(
            `Standby: the ${this.name} lease is held by ${lease.holder} until ${lease.expiresAt}; ${this.describeWork()} will run here if it is released or expires`,
          );
        }
      }
      this.lastHolder = lease.holder;
    } catch (error) {
      if (!this.failing) this.logger.warn(`Cannot take or renew the ${this.name} lease: ${(error as Error).message}`);
      this.failing = true;
      retryIn = Math.max(1, Math.floor(this.ttlMs / 6));
    } finally {
      if (!this.closed) {
        this.tickTimer = setTimeout(() => void this.attempt(), retryIn);
        this.tickTimer.unref();
      }
    }
  }

  /** Stops the work when the lease would have less than the safety margin left and no renewal moved it. */
  private armGuard(): void {
    clearTimeout(this.guardTimer);
    const check = () => {
      if (!this.active || this.closed) return;
      const left = this.deadline - performance.now();
      if (left > this.safetyMarginMs) {
        this.guardTimer = setTimeout(check, left - this.safetyMarginMs);
        this.guardTimer.unref();
        return;
      }
      this.lose(`it could not be renewed and ${Math.max(0, Math.round(left))} ms of it are left`);
    };
    this.guardTimer = setTimeout(check, Math.max(0, this.deadline - this.safetyMarginMs - performance.now()));
    this.guardTimer.unref();
  }

  private lose(why: string): void {
    this.active = false;
    clearTimeout(this.guardTimer);
    this.logger.warn(`Lost the ${this.name} lease (${why}): stopping ${this.describeWork()}; standby until it can be taken again`);
    this.enqueue(() => this.stopAll());
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    const next = this.transitions.then(step, step);
    this.transitions = next.catch(() => undefined);
    return this.transitions;
  }

  private async startAll(): Promise<void> {
    for (const entry of this.entries) await this.startEntry(entry);
  }

  private async stopAll(): Promise<void> {
    await Promise.all([...this.entries].map((entry) => this.stopEntry(entry)));
  }

  private async startEntry(entry: Entry): Promise<void> {
    // Checked here, in the queue: the lease may have been lost since this start was asked for.
    if (entry.running || !this.active || this.closed || !this.entries.has(entry)) return;
    try {
      await entry.work.start();
      entry.running = true;
    } catch (error) {
      this.logger.error(`Could not start ${entry.work.name}; trying again at the next renewal: ${(error as Error).message}`, error);
    }
  }

  private async stopEntry(entry: Entry): Promise<void> {
    if (!entry.running) return;
    entry.running = false;
    try {
      await entry.work.stop();
    } catch (error) {
      this.logger.error(`Could not stop ${entry.work.name} cleanly: ${(error as Error).message}`, error);
    }
  }

  private describeWork(): string {
    const names = [...this.entries].map((entry) => entry.work.name);
    return names.length === 0 ? 'nothing registered yet' : names.join(', ');
  }
}

/** Runs `work` under `lease` when there is one; without one (a test module, a tool), starts it at once. */
export function runUnderLease(lease: LeaseKeeper | undefined, work: LeasedWork): LeasedWorkHandle {
  if (lease !== undefined) return lease.register(work);
  void Promise.resolve(work.start());
  return { close: () => work.stop() };
}
