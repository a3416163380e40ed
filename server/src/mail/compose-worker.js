// Worker thread of `MailComposerThread` (compose-off-thread.ts): builds MIME messages with
// nodemailer's MailComposer, off the thread that answers HTTP. Plain JavaScript (it imports only
// nodemailer), so the same file runs under the sources and beside the bundle.
import { parentPort } from 'node:worker_threads';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';

parentPort.on('message', async ({ id, mail }) => {
  try {
    const node = new MailComposer(mail).compile();
    const raw = await node.build();
    // The message's bytes move to the other thread instead of being copied.
    const bytes = new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength).slice();
    parentPort.postMessage({ id, envelope: node.getEnvelope(), raw: bytes }, [bytes.buffer]);
  } catch (error) {
    parentPort.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
});
