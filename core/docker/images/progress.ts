import type { BuildStep, ImageProgress, ProgressListener } from './types.ts';

export type StepReporter = (message: string, extra?: Pick<ImageProgress, 'percent' | 'bytes'>) => void;

/** Numbers the steps of one build and hands each a reporter that fills in `[i/n] step`. */
export function stepper(steps: readonly BuildStep[], listener: ProgressListener | undefined): (step: BuildStep) => StepReporter {
  return (step) => {
    const index = steps.indexOf(step) + 1;
    return (message, extra) => listener?.({ step, index, total: steps.length, message, ...extra });
  };
}

/** Emits at most one event per whole percent, so a 400 MB upload is ~100 events, not 10,000. */
export function byteReporter(report: StepReporter, verb: string): (sent: number, total: number) => void {
  let last = -1;
  return (sent, total) => {
    const percent = total > 0 ? Math.floor((sent / total) * 100) : 0;
    if (percent === last) return;
    last = percent;
    report(`${verb} ${Math.round(sent / 1e6)}/${Math.round(total / 1e6)} MB`, { percent, bytes: sent });
  };
}
