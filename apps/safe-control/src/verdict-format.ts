/** Format tag and version of verdict.json (polynomial and neural certificates). */
export const VERDICT_FORMAT = 'safe-control.verdict';
export const VERDICT_VERSION = 1;
