import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";

/** Deletes a JetStream stream a test created (no error when it is already gone). */
export async function deleteNatsStream(natsUrl: string, stream: string): Promise<void> {
  const nc = await connect({ servers: natsUrl });
  try {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.delete(stream).catch((err: unknown) => {
      if (!/not found/i.test(String((err as Error).message))) throw err;
    });
  } finally {
    await nc.close();
  }
}
