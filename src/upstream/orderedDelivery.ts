/**
 * Delivers the messages read from one stream in order, for an SDK client. The SDK client runs
 * notification handlers a microtask later but settles a response at once, so a progress notification
 * followed by its result in the same chunk would be dropped (the result removes the progress handler
 * first). A response that follows a notification in one chunk therefore waits one macrotask, and
 * everything after it queues behind it. Call `newChunk()` before the messages of each chunk.
 */
export class OrderedDelivery<M extends object> {
  private notifiedInChunk = false;
  private deferred: M[] | undefined;

  constructor(private readonly emit: (message: M) => void) {}

  newChunk(): void {
    this.notifiedInChunk = false;
  }

  deliver(message: M): void {
    if (this.deferred) {
      this.deferred.push(message);
      return;
    }
    const isResponse = 'id' in message && ('result' in message || 'error' in message);
    if (isResponse && this.notifiedInChunk) {
      this.deferred = [message];
      setImmediate(() => {
        const queue = this.deferred ?? [];
        this.deferred = undefined;
        // A new turn: the notifications emitted before were dispatched. The queue goes through
        // deliver again, so a response queued behind a notification waits another turn too.
        this.notifiedInChunk = false;
        for (const m of queue) this.deliver(m);
      });
      return;
    }
    if (!('id' in message)) this.notifiedInChunk = true;
    this.emit(message);
  }
}
