/** Prints one plain closing line, "browser: N passed, N failed[, N skipped]", after the Playwright run. */
import type { FullResult, Reporter, TestCase, TestResult } from '@playwright/test/reporter';

export default class SummaryReporter implements Reporter {
  private n = { passed: 0, failed: 0, skipped: 0 };

  onTestEnd(test: TestCase, result: TestResult): void {
    if (result.retry < test.retries && result.status !== 'passed' && result.status !== 'skipped') return; // will be retried
    if (result.status === 'passed') this.n.passed++;
    else if (result.status === 'skipped') this.n.skipped++;
    else this.n.failed++;
  }

  onEnd(_result: FullResult): void {
    const { passed, failed, skipped } = this.n;
    console.log(`\nbrowser: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  }

  printsToStdio(): boolean {
    return false;
  }
}
