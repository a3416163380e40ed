// The real mail composer worker, which in addition dies at once on a message titled "crash":
// how the composer thread's tests stand in for a worker lost to a bug or to memory.
import { parentPort } from 'node:worker_threads';
import '../../server/src/mail/compose-worker.js';

parentPort.on('message', ({ mail }) => {
  if (mail.subject === 'crash') process.exit(3);
});
