// @ts-check
const { writeSync } = require('node:fs');

/**
 * Prints `N passed, N failed` as the last line of a Jest run, for CI to count. A test file that failed without a
 * failing test (it could not run, or a hook threw) counts as one failure. The line is written when the process exits,
 * after Jest's own closing words (the force-exit notice), straight to the file descriptor: Jest stops its streams'
 * writes just before it exits.
 */
class ClosingLineReporter {
  /** @param {unknown} _contexts @param {import('@jest/reporters').AggregatedResult} results */
  onRunComplete(_contexts, results) {
    const filesFailedOtherwise = results.testResults.filter(
      (file) => file.numFailingTests === 0 && Boolean(file.testExecError || file.failureMessage),
    ).length;
    const line = `${results.numPassedTests} passed, ${results.numFailedTests + filesFailedOtherwise} failed\n`;
    process.once('exit', () => writeSync(process.stderr.fd, line));
  }
}

module.exports = ClosingLineReporter;
