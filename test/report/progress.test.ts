import { afterEach, describe, expect, it, vi } from 'vitest';
import { slowStage } from '../../scripts/commands/report.js';

function stream(isTTY: boolean) {
  const written: string[] = [];
  return {
    written,
    isTTY,
    write(text: string) {
      written.push(text);
      return true;
    },
  };
}

describe('progress of the git history pass', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('prints plain lines when stderr is not a terminal, once the step takes over a second', () => {
    vi.useFakeTimers();
    const out = stream(false);
    const stage = slowStage('reading git history', out as unknown as NodeJS.WriteStream);
    vi.advanceTimersByTime(1500);
    stage.done();
    expect(out.written[0]).toBe('reading git history...\n');
    expect(out.written[1]).toMatch(/^reading git history: done in \d+\.\d s\n$/);
  });

  it('rewrites one line on a terminal and clears it at the end', () => {
    vi.useFakeTimers();
    const out = stream(true);
    const stage = slowStage('reading git history', out as unknown as NodeJS.WriteStream);
    vi.advanceTimersByTime(1500);
    stage.done();
    expect(out.written).toEqual(['\r\u001b[2Kreading git history...', '\r\u001b[2K']);
  });

  it('prints nothing for a quick step', () => {
    vi.useFakeTimers();
    const out = stream(false);
    slowStage('reading git history', out as unknown as NodeJS.WriteStream).done();
    vi.advanceTimersByTime(5000);
    expect(out.written).toEqual([]);
  });
});
