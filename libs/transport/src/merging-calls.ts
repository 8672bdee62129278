import { type BatchContext, type IncomingMessage, type SubscribeOptions } from './transport.port';

type BatchHandler = SubscribeOptions['handle'];

/**
 * A handler that runs the batches of concurrent calls together: calls that arrive while a run is
 * busy wait and go into the next run as one batch (in arrival order, each call's messages in their
 * order), and each call settles with the run that had its messages. A failed run fails every call
 * in it; each retries on its own, and those retries merge again.
 */
export function mergingCalls(handle: BatchHandler): BatchHandler {
  interface Run {
    readonly messages: IncomingMessage[];
    readonly context: BatchContext;
    readonly done: Promise<void>;
    readonly resolve: () => void;
    readonly reject: (error: unknown) => void;
  }
  let next: Run | null = null;
  let busy = false;
  const drain = async () => {
    while (next) {
      const run = next;
      next = null;
      try {
        await handle(run.messages, run.context);
        run.resolve();
      } catch (error) {
        run.reject(error);
      }
    }
    busy = false;
  };
  return (messages, context) => {
    if (!next) {
      let resolve: () => void = () => undefined;
      let reject: (error: unknown) => void = () => undefined;
      const done = new Promise<void>((ok, fail) => {
        resolve = ok;
        reject = fail;
      });
      next = { messages: [], context, done, resolve, reject };
    }
    next.messages.push(...messages);
    const { done } = next;
    if (!busy) {
      busy = true;
      // The partitions of one fetch arrive within a turn of the event loop: let them all join the run.
      setImmediate(() => void drain());
    }
    return done;
  };
}
