/**
 * Progress for long runs on stderr: a line rewritten in place on a terminal, plain lines every few
 * seconds otherwise (CI logs), and nothing for runs that finish quickly.
 */
export interface Progress {
  update(done: number, total: number): void;
  done(): void;
}

export function createProgress(
  label: string,
  stream: NodeJS.WriteStream = process.stderr,
  quiet = false,
): Progress {
  const started = Date.now();
  let last = 0;
  let shown = false;
  const tty = Boolean(stream.isTTY);
  return {
    update(done, total) {
      if (quiet) return;
      const now = Date.now();
      // A terminal shows progress after half a second; a log only for runs longer than a few seconds.
      if (now - started < (tty ? 500 : 3000) || now - last < (tty ? 100 : 3000)) return;
      last = now;
      shown = true;
      const text = `${label}: ${done}/${total} (${Math.round((done / Math.max(total, 1)) * 100)}%)`;
      stream.write(tty ? `\r\u001b[2K${text}` : `${text}\n`);
    },
    done() {
      if (shown && tty) stream.write('\r\u001b[2K');
    },
  };
}
