// The certified-control packages' declarations, type-checked as consumer.ts is but with the DOM library
// (tsconfig.control.json): their public types name HiGHS's (the LP solver injected into CertificateLp), and
// highs 1.15's types.d.ts uses the WebAssembly namespace, which Node's types (@types/node 20) do not declare.
import type * as control from '@bilevel/control';
import type * as safeControl from '@bilevel/safe-control';

export type Surfaces = [typeof control, typeof safeControl];
