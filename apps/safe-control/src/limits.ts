// Upper bounds of the counts whose cost grows with them (the command line and --config files share them).

/** Largest `--samples`: the sampled check keeps about 0.8 KB per state (2,000,000: 1.6 GB, 50 s on PJ). */
export const MAX_SAMPLES = 1_000_000;
/** Largest `--trajectories`: each is drawn and kept (1,000 on PJ: 12 s, 190 MB; 5,000: 80 s, 760 MB). */
export const MAX_TRAJECTORIES = 1_000;
