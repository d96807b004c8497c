import { Observable, type Subscriber } from 'rxjs';

/**
 * A kernel phase's stream (`edge$`, `hardwareSettled$`, `settled$`): an Observable whose emission
 * calls the subscribers straight away. An rxjs Subject allocates at every `next` (an error-context
 * closure and a copy of its observer list), and a phase stream emits every evaluated cycle.
 */
export class PhaseStream {
  /**
   * Replaced, never changed in place: an emission walks the list it started with, so a subscriber
   * that joins during it waits for the next one, and one that leaves is already stopped (as with a Subject).
   */
  private subscribers: readonly Subscriber<number>[] = [];
  private completed = false;

  readonly observable = new Observable<number>((subscriber) => {
    if (this.completed) {
      subscriber.complete();
      return;
    }
    this.subscribers = [...this.subscribers, subscriber];
    return () => {
      this.subscribers = this.subscribers.filter((s) => s !== subscriber);
    };
  });

  get observed(): boolean {
    return this.subscribers.length > 0;
  }

  emit(cycle: number): void {
    const list = this.subscribers;
    for (let i = 0; i < list.length; i++) list[i].next(cycle);
  }

  complete(): void {
    this.completed = true;
    const list = this.subscribers;
    this.subscribers = [];
    for (const s of list) s.complete();
  }
}
