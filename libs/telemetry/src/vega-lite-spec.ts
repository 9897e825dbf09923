/**
 * A Vega-Lite specification as this library's public signatures pass it: the JSON object (cast it to vega-lite's
 * `TopLevelSpec` to read it typed). vega-lite's own type stays inside the library: its declarations need the DOM
 * library and do not compile under a user's `exactOptionalPropertyTypes` (vega-lite 6.4, build/axis.d.ts), so a
 * public signature naming it would break the type-check of any program importing @bilevel/telemetry with
 * `skipLibCheck: false`.
 */
export type VegaLiteSpec = object;
