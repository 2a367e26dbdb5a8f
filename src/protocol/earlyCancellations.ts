/**
 * Cancellations of requests not seen yet. Over HTTP each message travels as its own request, so a
 * client's `notifications/cancelled` can overtake the request it cancels; request ids are never reused
 * within a session, so a request that arrives under a noted id is the one that was cancelled.
 * Bounded: past MAX, the oldest notes go first (a cancellation of a request that was answered already
 * is noted too, and never taken).
 */
import type { RequestId } from '@modelcontextprotocol/server';

const MAX = 256;

export class EarlyCancellations {
  private readonly ids = new Set<RequestId>();

  note(id: RequestId): void {
    this.ids.add(id);
    if (this.ids.size > MAX) this.ids.delete(this.ids.values().next().value as RequestId);
  }

  /** Whether the request `id` was cancelled before it came (the note is used up). */
  take(id: RequestId): boolean {
    return this.ids.delete(id);
  }
}
