import type { ConsumerInfo, JetStreamManager } from "@nats-io/jetstream";

/**
 * Purges the stream's messages that no consumer needs any more and that were stored before `before`: the
 * stream's oldest messages up to the lowest floor among its consumers (durable ones of services that are down
 * included). Returns how many went. Purging only ever removes a prefix, so every process may prune: a second
 * purge of the same prefix removes nothing.
 */
export async function pruneStream(jsm: JetStreamManager, stream: string, before: number): Promise<number> {
  const { state } = await jsm.streams.info(stream);
  if (state.messages === 0) return 0;
  let floor = state.last_seq;
  for await (const consumer of jsm.consumers.list(stream)) floor = Math.min(floor, consumerFloor(consumer));
  const last = await lastStoredBefore(jsm, stream, state.first_seq, floor, before);
  if (last === undefined) return 0;
  const { purged } = await jsm.streams.purge(stream, { seq: last + 1 });
  return purged;
}

/**
 * The highest stream seq below which the consumer needs nothing: everything it was given or skipped when nothing
 * awaits its ack (a nak'd message waiting for redelivery does), else its ack floor.
 */
function consumerFloor(consumer: ConsumerInfo): number {
  return consumer.num_ack_pending === 0 ? consumer.delivered.stream_seq : consumer.ack_floor.stream_seq;
}

/**
 * The highest seq in [first, floor] of a message stored before `before` (binary search: stream order is time
 * order), or undefined. A seq whose message is gone counts as too new, so the search never passes it.
 */
async function lastStoredBefore(
  jsm: JetStreamManager,
  stream: string,
  first: number,
  floor: number,
  before: number,
): Promise<number | undefined> {
  const old = async (seq: number): Promise<boolean> => {
    const msg = await jsm.streams.getMessage(stream, { seq });
    return msg !== null && msg.time.getTime() < before;
  };
  let lo = first - 1; // the highest seq known to be old (first - 1: none yet)
  let hi = floor; // the answer is at most this
  while (lo < hi) {
    const mid = lo + Math.ceil((hi - lo) / 2);
    if (await old(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo >= first ? lo : undefined;
}
