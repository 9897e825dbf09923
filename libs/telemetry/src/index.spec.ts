import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as telemetry from './index';

test('the public surface exports exactly the documented values', () => {
  assert.deepEqual(Object.keys(telemetry).sort(), [
    'CERTIFICATE_PLOT_COLOURS',
    'CHECKPOINT_DEFAULT_MAX_BYTES',
    'CHECKPOINT_VERSION',
    'CheckpointError',
    'LOG_FLOOR',
    'LOG_LEVELS',
    'TraceWriter',
    'WriteBackoff',
    'WriteError',
    'certificatePlotContour',
    'certificatePlotSpec',
    'certificatePlotSvg',
    'checkpointDifference',
    'convergencePlotSpec',
    'convergencePlotSvg',
    'createLogger',
    'createProgress',
    'decodeCheckpoint',
    'encodeCheckpoint',
    'errorCode',
    'formatSummaryTable',
    'metricPlotSpec',
    'metricPlotSvg',
    'readCheckpoint',
    'readTrace',
    'renderVegaLiteSvg',
    'silentLogger',
    'svgToPng',
    'writeCheckpoint',
    'writeFileAtomic',
  ]);
});
