import { Observable } from 'rxjs';
import type { Subscriber } from 'rxjs';

/**
 * A hot multicast source, as an RxJS `Subject` is for the uses here (the clock of a run and the three variables'
 * streams of versions), but allocation-free per value: `Subject.next` wraps each delivery in a fresh closure, which
 * at one value per stream per tick was the last per-step allocation of a run. Subscribers are kept in an array
 * replaced on every (un)subscription, so a delivery iterates a stable list: one added during a delivery gets the
 * next value, not the current one (as with Subject). After `error` or `complete`, a new subscriber receives that
 * notification at once.
 */
export class Multicast<T> extends Observable<T> {
  private observers: Subscriber<T>[] = [];
  private stopped: { readonly error: boolean; readonly reason?: unknown } | null = null;

  constructor() {
    super((subscriber) => {
      if (this.stopped) {
        if (this.stopped.error) subscriber.error(this.stopped.reason);
        else subscriber.complete();
        return undefined;
      }
      this.observers = [...this.observers, subscriber];
      return () => {
        this.observers = this.observers.filter((o) => o !== subscriber);
      };
    });
  }

  next(value: T): void {
    if (this.stopped) return;
    const list = this.observers;
    for (let i = 0; i < list.length; i++) list[i].next(value);
  }

  error(reason: unknown): void {
    if (this.stopped) return;
    this.stopped = { error: true, reason };
    const list = this.observers;
    this.observers = [];
    for (let i = 0; i < list.length; i++) list[i].error(reason);
  }

  complete(): void {
    if (this.stopped) return;
    this.stopped = { error: false };
    const list = this.observers;
    this.observers = [];
    for (let i = 0; i < list.length; i++) list[i].complete();
  }

  /** A view that can subscribe but not emit. */
  asObservable(): Observable<T> {
    return new Observable<T>((subscriber) => this.subscribe(subscriber));
  }
}
