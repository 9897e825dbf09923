// `node --import ./register-recorder.mjs`: registers record-resolutions.mjs (after tsx, so it sees what tsx resolves).
import { register } from 'node:module';

register('./record-resolutions.mjs', import.meta.url);
