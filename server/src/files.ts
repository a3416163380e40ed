import crypto from 'node:crypto';
import fs from 'node:fs';

/** Writes through a temporary file and a rename, so a crash never leaves half a file behind. */
export function writeFileAtomic(file: string, content: string | Buffer, mode = 0o600): void {
  const temp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  const fd = fs.openSync(temp, 'w', mode);
  try {
    fs.writeSync(fd, typeof content === 'string' ? Buffer.from(content) : content);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.chmodSync(temp, mode);
  fs.renameSync(temp, file);
}
