import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as telemetry from './index';

test('the public surface exports exactly the documented values', () => {
  assert.deepEqual(Object.keys(telemetry).sort(), [
    'CERTIFICATE_PLOT_COLOURS',
    'LOG_FLOOR',
    'TraceWriter',
    'certificatePlotContour',
    'certificatePlotSpec',
    'certificatePlotSvg',
    'convergencePlotSpec',
    'convergencePlotSvg',
    'createLogger',
    'createProgress',
    'formatSummaryTable',
    'readTrace',
    'silentLogger',
    'svgToPng',
    'writeFileAtomic',
  ]);
});
