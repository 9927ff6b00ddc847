import { checkTarget, TARGETS, targetsLine } from '../../bench/targets';

describe('bench: the targets line under each scenario’s table', () => {
  test('when a value is on the right side of its limit, or on it, then it is met; else, or when it is not a number, not', () => {
    expect(checkTarget('ratio', 0.98, TARGETS.ratio, 'min').met).toBe(true);
    expect(checkTarget('ratio', 0.8, TARGETS.ratio, 'min').met).toBe(true);
    expect(checkTarget('ratio', 0.79, TARGETS.ratio, 'min').met).toBe(false);
    expect(checkTarget('help-desk p95', 50, TARGETS.p95Ms, 'max', 'ms').met).toBe(true);
    expect(checkTarget('help-desk p95', 50.1, TARGETS.p95Ms, 'max', 'ms').met).toBe(false);
    expect(checkTarget('ratio', NaN, TARGETS.ratio, 'min').met).toBe(false);
    expect(checkTarget('help-desk peak RSS', NaN, TARGETS.rssMiB, 'max', 'MiB').met).toBe(false);
  });

  test('when targets are checked, then one line says each limit, the value and whether it is met', () => {
    const line = targetsLine([
      checkTarget('ratio', 0.977, TARGETS.ratio, 'min', '', 2),
      checkTarget('help-desk p95', 28.64, TARGETS.p95Ms, 'max', 'ms'),
      checkTarget('help-desk peak RSS', 202.1, TARGETS.rssMiB, 'max', 'MiB'),
      checkTarget('restart', 782.4, TARGETS.startupMs, 'max', 'ms', 0),
      checkTarget('queue at 100000 ÷ at 1000', 0.9, TARGETS.queueGrowth, 'max', '×', 2),
    ]);
    expect(line).toBe(
      'targets: ratio ≥ 0.80: 0.98 met · help-desk p95 ≤ 50 ms: 28.6 ms met · help-desk peak RSS ≤ 150 MiB: 202.1 MiB NOT MET' +
        ' · restart ≤ 2000 ms: 782 ms met · queue at 100000 ÷ at 1000 ≤ ×2: ×0.90 met',
    );
  });

  test('when nothing was checked (one bot only, say), then there is no line', () => {
    expect(targetsLine([])).toBe('');
  });
});
