import type { Host } from '../host.js';
import { SessionBrokenError } from './errors.js';
import { Session, type SessionIdentity } from './session.js';

/**
 * A host's sessions: at most `max` at once, each running one command at a time,
 * one kind per identity (uid and gid). A command takes an idle session of its
 * identity, else opens one while there is room, else closes an idle session of
 * another identity to make room, else waits for one to come free.
 */
export class SessionPool {
  readonly max: number;
  readonly #host: Host;
  readonly #idle: { key: string; session: Session }[] = [];
  readonly #waiting: (() => void)[] = [];
  /** Sessions being closed or discarded, which `close` waits for. */
  readonly #ending = new Set<Promise<void>>();
  #count = 0;
  #closed = false;
  /** Sessions opened so far, for tests and benchmarks. */
  opened = 0;

  constructor(host: Host, max: number) {
    this.#host = host;
    this.max = max;
  }

  /** Sessions open or opening now. */
  get size(): number {
    return this.#count;
  }

  /** Sessions open and free now. */
  get idle(): number {
    return this.#idle.length;
  }

  /**
   * Runs `use` on a session of `identity`. A session that broke is discarded; when
   * it broke before the command reached it, the command goes to a fresh one.
   */
  async with<T>(
    identity: SessionIdentity,
    use: (session: Session) => Promise<T>,
  ): Promise<T> {
    const key = JSON.stringify([identity.uid, identity.gid, identity.env]);
    for (let attempt = 0; ; attempt += 1) {
      const session = await this.#acquire(key, identity);
      try {
        return await use(session);
      } catch (error) {
        if (error instanceof SessionBrokenError && error.ran === 'no' && attempt === 0) {
          continue;
        }
        throw error;
      } finally {
        this.#release(key, session);
      }
    }
  }

  /** Closes every session; commands in flight end first. */
  async close(): Promise<void> {
    this.#closed = true;
    while (this.#count > this.#idle.length) {
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    }
    const idle = this.#idle.splice(0);
    this.#count -= idle.length;
    for (const { session } of idle) this.#end(session.close());
    for (const wake of this.#waiting.splice(0)) wake();
    while (this.#ending.size > 0) await Promise.all(this.#ending);
  }

  async #acquire(key: string, identity: SessionIdentity): Promise<Session> {
    for (;;) {
      if (this.#closed) {
        throw new SessionBrokenError({
          host: this.#host.spec,
          command: '',
          ran: 'no',
          reason: 'the host was disconnected',
        });
      }
      const mine = this.#idle.findIndex((each) => each.key === key);
      if (mine !== -1) {
        const session = this.#idle.splice(mine, 1)[0]?.session;
        if (session === undefined) continue;
        if (session.broken === undefined) return session;
        this.#count -= 1;
        this.#end(session.discard());
        continue;
      }
      if (this.#count >= this.max && this.#idle.length > 0) {
        const other = this.#idle.shift();
        this.#count -= 1;
        if (other !== undefined) this.#end(other.session.close());
      }
      if (this.#count < this.max) {
        this.#count += 1;
        try {
          const session = await Session.open(this.#host, identity);
          this.opened += 1;
          return session;
        } catch (error) {
          this.#count -= 1;
          this.#wake();
          throw error;
        }
      }
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    }
  }

  #release(key: string, session: Session): void {
    if (session.broken !== undefined) {
      this.#count -= 1;
      this.#end(session.discard());
    } else {
      this.#idle.push({ key, session });
    }
    this.#wake();
  }

  #wake(): void {
    if (this.#closed) for (const wake of this.#waiting.splice(0)) wake();
    else this.#waiting.shift()?.();
  }

  #end(ending: Promise<void>): void {
    const tracked = ending.finally(() => this.#ending.delete(tracked));
    this.#ending.add(tracked);
  }
}
